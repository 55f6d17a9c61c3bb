import { BrowserWindow, app, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { APP_ORIGIN, isTrustedUrl, mayOpenExternally } from './ipc/origin.ts';

/**
 * The main window, locked down: context isolation and the sandbox on, no Node in the renderer,
 * no navigation away from the app, no new windows, every permission request denied.
 */
export function createMainWindow(options: {
  preload: string;
  url: string;
  allowedOrigins: readonly string[];
}): BrowserWindow {
  const window = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 1024,
    minHeight: 640,
    show: false,
    title: 'AlertDesk',
    backgroundColor: '#f5f6f8',
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(options.url);
  return window;
}

/**
 * Applies to every web contents the app ever creates, including ones we did not expect. Origins are
 * compared whole (origin.ts): a prefix test would let `alertdesk://app.evil` through.
 */
export function hardenWebContents(allowedOrigins: readonly string[]): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.setWindowOpenHandler(({ url }) => {
      // Provider pages the app links to open in the user's browser, never inside the app.
      if (mayOpenExternally(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (!isTrustedUrl(url, allowedOrigins)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isTrustedUrl(url, allowedOrigins)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

export const rendererEntry = (devUrl: string | null): string => devUrl ?? `${APP_ORIGIN}/index.html`;
export const preloadPath = (): string => join(import.meta.dirname, 'preload.cjs');
