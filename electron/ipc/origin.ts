/** The app's own origin: the renderer is served from this custom, privileged scheme. */
export const APP_SCHEME = 'alertdesk';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/**
 * Whether an IPC call comes from a page the app itself loaded. A call is accepted only from the
 * main window's top frame and from the app's origin (or the Vite dev server in development).
 */
export function isTrustedUrl(url: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (!url) return false;
  let origin: string;
  try {
    const parsed = new URL(url);
    origin = parsed.protocol === `${APP_SCHEME}:` ? `${APP_SCHEME}://${parsed.host}` : parsed.origin;
  } catch {
    return false;
  }
  return allowedOrigins.includes(origin);
}

/** Content-Security-Policy of every page: only the app's own scripts and styles, no remote anything. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
