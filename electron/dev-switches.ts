/**
 * Switches for development and tests, read from the environment. A packaged app ignores the ones
 * that would widen what the app trusts: `ALERTDESK_DEV_URL` would let any page at that origin call
 * every API (reveal included). `ALERTDESK_DATA_DIR` stays: it only chooses a folder of the user's.
 */
export interface DevSwitches {
  /** The Vite dev server the window loads instead of the built renderer. */
  devUrl: string | null;
  /** Another data folder (tests, integrators who keep several workspaces). */
  dataDir: string | null;
  /** Switches that were set but ignored, to log. */
  ignored: string[];
}

export function devSwitches(env: NodeJS.ProcessEnv, isPackaged: boolean): DevSwitches {
  const ignored: string[] = [];
  let devUrl: string | null = null;
  if (env.ALERTDESK_DEV_URL) {
    if (isPackaged) ignored.push('ALERTDESK_DEV_URL');
    else devUrl = loopbackHttp(env.ALERTDESK_DEV_URL);
    if (!isPackaged && devUrl === null) ignored.push('ALERTDESK_DEV_URL');
  }
  return { devUrl, dataDir: env.ALERTDESK_DATA_DIR || null, ignored };
}

/** The dev server runs on this computer; anything else is refused even in development. */
function loopbackHttp(url: string): string | null {
  try {
    const parsed = new URL(url);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && loopback ? parsed.href : null;
  } catch {
    return null;
  }
}
