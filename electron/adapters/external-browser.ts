import { shell } from 'electron';
import type { ExternalBrowser } from '../core/adapters.ts';

/**
 * Opens sign-in pages in the integrator's default browser. Only https pages of the origins the
 * core names (the provider's sign-in site) are opened: a compromised answer cannot make the app
 * open a file, another scheme or another site.
 */
export const electronBrowser: ExternalBrowser = {
  async open(url, allowedOrigins) {
    const target = new URL(url);
    if (target.protocol !== 'https:' || !allowedOrigins.includes(target.origin)) {
      throw new Error(`AlertDesk opens only the provider's sign-in pages, not ${target.origin}`);
    }
    await shell.openExternal(target.href, { activate: true });
  },
};
