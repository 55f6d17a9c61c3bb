import { app, BrowserWindow, clipboard, dialog, ipcMain, net, protocol, type WebContents } from 'electron';
import ElectronStore from 'electron-store';
import { userInfo } from 'node:os';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EVENT_CHANNEL } from '../shared/contract.ts';
import { nativeFilePicker } from './adapters/dialogs.ts';
import { electronBrowser } from './adapters/external-browser.ts';
import { fileLogger } from './adapters/file-logger.ts';
import { electronNotifier } from './adapters/notifications.ts';
import { electronPowerMonitor } from './adapters/power-monitor.ts';
import { electronReportPrinter } from './adapters/report-printer.ts';
import { SafeStorageSecretBox } from './adapters/safe-storage.ts';
import { createCore, type Core } from './core/core.ts';
import { deliveryThreadPays } from './core/mail/delivery-thread.ts';
import { publishedApps } from './core/oauth/published.ts';
import { storeOnConf } from './core/store/conf-store.ts';
import {
  lockDataFolder,
  makePrivateDir,
  PRIVATE_FILE,
  type DataFolderLock,
} from './core/store/data-folder.ts';
import { devSwitches } from './dev-switches.ts';
import { registerDoor } from './ipc/door.ts';
import { createDispatcher } from './ipc/dispatch.ts';
import { APP_ORIGIN, APP_SCHEME, CONTENT_SECURITY_POLICY } from './ipc/origin.ts';
import { createMainWindow, hardenWebContents, preloadPath, rendererEntry } from './window.ts';

/**
 * Start-up wiring only: build the core with the Electron adapters, open the guarded door, serve the
 * renderer from the app's own scheme, show the window. Everything else lives in electron/core.
 */

protocol.registerSchemesAsPrivileged([
  {
    scheme: APP_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
  },
]);

// Dev-only switches are ignored in a packaged build (dev-switches.ts).
const switches = devSwitches(process.env, app.isPackaged);
// A separate data folder for tests and for integrators who keep several workspaces.
if (switches.dataDir) app.setPath('userData', switches.dataDir);

const devUrl = switches.devUrl;
const allowedOrigins = devUrl ? [APP_ORIGIN, new URL(devUrl).origin] : [APP_ORIGIN];
const rendererDir = join(import.meta.dirname, '..', 'renderer');

let mainWindow: BrowserWindow | null = null;
/** Web contents of the app's own windows: the only senders the IPC door serves. */
const appWindows = new Set<WebContents>();
let core: Core | null = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  void app.whenReady().then(start);
}

function serveRenderer(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const { pathname } = new URL(request.url);
    const file = normalize(join(rendererDir, decodeURIComponent(pathname)));
    if (!file.startsWith(rendererDir + sep)) return new Response('Not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}

function openMainWindow(): void {
  const window = createMainWindow({ preload: preloadPath(), url: rendererEntry(devUrl), allowedOrigins });
  const contents = window.webContents;
  appWindows.add(contents);
  mainWindow = window;
  window.on('closed', () => {
    appWindows.delete(contents);
    mainWindow = null;
  });
}

async function start(): Promise<void> {
  const dataDir = app.getPath('userData');
  // Chromium keeps its own files (cache, local storage) in the same folder: the owner's only.
  makePrivateDir(dataDir);
  const logger = fileLogger(dataDir);
  logger.info('AlertDesk starting', { version: app.getVersion(), dataDir });
  if (switches.ignored.length) logger.warn('ignored development switches', { switches: switches.ignored });

  // The app's single-instance lock does not cover a script on the same folder: this one does.
  let lock: DataFolderLock;
  try {
    lock = lockDataFolder(dataDir, 'the AlertDesk app');
  } catch (error) {
    logger.error('data folder in use', { error: String(error) });
    dialog.showErrorBox('AlertDesk cannot open its data folder', (error as Error).message);
    app.exit(1);
    return;
  }

  hardenWebContents(allowedOrigins);
  serveRenderer();

  let opened: Core;
  try {
    const store = new ElectronStore<Record<string, unknown>>({
      name: 'alertdesk',
      cwd: dataDir,
      clearInvalidConfig: false,
      configFileMode: PRIVATE_FILE,
    });
    opened = await createCore({
      lock,
      dataDir,
      // bundled beside main.js by scripts/build-electron.mjs; used when a core is free for it
      ...(deliveryThreadPays() ? { deliveryThread: new URL('./smtp-worker.cjs', import.meta.url) } : {}),
      store: storeOnConf(store),
      benchWorker: new URL('./bench-worker.cjs', import.meta.url),
      csvThread: new URL('./camera-csv-worker.cjs', import.meta.url),
      secrets: new SafeStorageSecretBox(),
      files: nativeFilePicker(() => mainWindow),
      browser: electronBrowser,
      logger,
      clipboard: { readText: () => clipboard.readText(), writeText: (text) => clipboard.writeText(text) },
      notifier: electronNotifier(() => mainWindow),
      printer: electronReportPrinter({
        preload: preloadPath(),
        trust: (contents) => appWindows.add(contents),
        untrust: (contents) => appWindows.delete(contents),
      }),
      samplesDir: app.isPackaged
        ? join(process.resourcesPath, 'snapshots')
        : join(app.getAppPath(), 'assets', 'snapshots'),
      osUser: userInfo().username,
      appVersion: app.getVersion(),
      // Replaced by their values at build time (scripts/build-electron.mjs): not read at run time.
      builtInOAuthApps: publishedApps({
        ALERTDESK_MICROSOFT_CLIENT_ID: process.env.ALERTDESK_MICROSOFT_CLIENT_ID,
        ALERTDESK_GOOGLE_CLIENT_ID: process.env.ALERTDESK_GOOGLE_CLIENT_ID,
        ALERTDESK_GOOGLE_CLIENT_SECRET: process.env.ALERTDESK_GOOGLE_CLIENT_SECRET,
      }),
      watchMailboxes: true,
      power: electronPowerMonitor,
    });
  } catch (error) {
    lock.release();
    logger.error('could not open the data folder', { error: String(error) });
    dialog.showErrorBox('AlertDesk cannot open its data folder', (error as Error).message);
    app.exit(1);
    return;
  }
  core = opened;

  const { dispatch, channels } = createDispatcher(opened.handlers, logger);
  registerDoor({
    ipcMain,
    dispatch,
    channels,
    isAppWindow: (contents) => appWindows.has(contents),
    allowedOrigins,
    logger,
  });
  opened.onEvent((message) => {
    for (const contents of appWindows) if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, message);
  });

  openMainWindow();
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('activate', () => {
  if (core && BrowserWindow.getAllWindows().length === 0) openMainWindow();
});

let closing = false;
app.on('before-quit', (event) => {
  if (closing || !core) return;
  closing = true;
  event.preventDefault();
  void core.close().finally(() => app.quit());
});
