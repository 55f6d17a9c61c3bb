/** The app's own origin: the renderer is served from this custom, privileged scheme. */
export const APP_SCHEME = 'alertdesk';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

/**
 * The origin of a URL, compared whole: `alertdesk://app.evil` and `alertdesk://app@evil` are not
 * `alertdesk://app`. Null for anything that does not parse.
 */
export function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    // Custom schemes have an opaque origin ("null") in the URL standard: build it from the parts.
    if (parsed.protocol === `${APP_SCHEME}:`) {
      if (parsed.username || parsed.password) return null;
      return `${APP_SCHEME}://${parsed.host}`;
    }
    return parsed.origin === 'null' ? null : parsed.origin;
  } catch {
    return null;
  }
}

/**
 * Whether a page (an IPC caller, a navigation, a redirect) belongs to the app: its origin equals
 * one of the allowed ones exactly — the app's own, or the Vite dev server outside packaged builds.
 */
export function isTrustedUrl(url: string | undefined, allowedOrigins: readonly string[]): boolean {
  const origin = originOf(url);
  return origin !== null && allowedOrigins.includes(origin);
}

/**
 * The only pages AlertDesk opens in the user's browser: https pages of these origins (provider help
 * and sign-in pages the app points to). One list: add an origin here when the app links to it.
 */
export const EXTERNAL_ORIGINS: readonly string[] = [
  // Where a Google app password is created (the Gmail preset's advice).
  'https://myaccount.google.com',
];

export function mayOpenExternally(url: string, origins: readonly string[] = EXTERNAL_ORIGINS): boolean {
  const origin = originOf(url);
  return origin !== null && origin.startsWith('https://') && origins.includes(origin);
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
