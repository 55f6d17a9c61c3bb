/** mailauth's RFC 8601 / RFC 6376 header parser (plain CommonJS, no types of its own). */
declare module 'mailauth/lib/parse-dkim-headers.js' {
  const headerParser: (
    header: string | Buffer,
    options?: { strict?: boolean },
  ) => { parsed: Record<string, unknown>; original: string | Buffer };
  export default headerParser;
}
