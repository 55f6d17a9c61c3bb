import type { EventMap, EventTopic } from '../../shared/contract.ts';
import type { SecretStorageStatus } from '../../shared/domain.ts';
import type { OAuthApps, OAuthProvider } from '../../shared/oauth.ts';
import type { ProviderEndpoints } from './oauth/providers.ts';
import type { PaperSize } from '../../shared/report.ts';

/**
 * Everything the core needs from its surroundings. The Electron app passes electron-store,
 * safeStorage and native dialogs; tests and scripts pass conf, a passphrase box and fakes.
 * Nothing under electron/core imports 'electron'.
 */

/** Small documents (sites, connectors, cameras, app-password records) kept as one JSON file. */
export interface DocumentStore {
  readonly path: string;
  get(key: string): unknown;
  /** Writes all entries in one atomic file write, or nothing. */
  setMany(entries: Record<string, unknown>): void;
}

/** Encrypts secrets at rest. Sealed values are opaque strings safe to put in the document store. */
export interface SecretBox {
  status(): Promise<SecretStorageStatus>;
  seal(plain: string): Promise<string>;
  open(sealed: string): Promise<string>;
}

/**
 * The secret box the core's services use (keyring.ts wraps the adapter's): each secret is sealed
 * for one place (`secretPlace`), and opening it with a place refuses a value sealed for another.
 */
export interface PlacedSecrets extends SecretBox {
  seal(plain: string, place?: string): Promise<string>;
  open(sealed: string, place?: string): Promise<string>;
}

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with an AbortError when the signal fires first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface PickedFileRef {
  path: string;
  filename: string;
  size: number;
}

/** Native open-file dialog in the app; a fixed list in tests. */
export interface FilePicker {
  pickAttachments(): Promise<PickedFileRef[]>;
}

/** The system clipboard (Electron's in the app, a fake in tests). */
export interface Clipboard {
  readText(): Promise<string>;
  writeText(text: string): Promise<void>;
}

/** Renders a site's handover report as PDF (Electron's printToPDF in the app, Chromium in tests). */
export interface ReportPrinter {
  pdf(runId: string, siteId: string, paper: PaperSize): Promise<Buffer>;
}

/**
 * Opens a sign-in page in the integrator's browser (Electron's shell.openExternal in the app).
 * Only https pages of the given origins may be opened; anything else is refused.
 */
export interface ExternalBrowser {
  open(url: string, allowedOrigins: string[]): Promise<void>;
}

/** Tells the core that the computer woke from sleep (Electron's powerMonitor 'resume' in the app). */
export interface PowerMonitor {
  onResume(listener: () => void): () => void;
}

/** One OS notification; `urgent` asks the OS to keep it on screen (cameras down, not recoveries). */
export interface OsNotification {
  title: string;
  body: string;
  urgent: boolean;
}

/** OS notifications: Electron's Notification in the app, a recording fake in tests. */
export interface Notifier {
  notify(notification: OsNotification): void;
}

export type EventSink = <K extends EventTopic>(topic: K, payload: EventMap[K]) => void;

/** Name resolution, injectable so tests can point it at a DNS server on loopback. */
export type HostLookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

export interface CoreAdapters {
  dataDir: string;
  store: DocumentStore;
  secrets: SecretBox;
  clock: Clock;
  logger: Logger;
  files: FilePicker;
  /** The OS account using the app, recorded in audit events. */
  osUser: string;
  appVersion: string;
  lookup?: HostLookup;
  clipboard?: Clipboard;
  printer?: ReportPrinter;
  /** Folder of the sample snapshot JPEGs for burst tests. */
  samplesDir?: string;
  browser?: ExternalBrowser;
  /** OAuth2 sign-in endpoints other than the providers' own: tests' fake servers on loopback only. */
  oauthEndpoints?: Partial<Record<OAuthProvider, ProviderEndpoints>>;
  /**
   * The sign-in apps this build was published with (client IDs compiled in at build time, see
   * scripts/build-electron.mjs); a field the integrator leaves empty in Sign-in apps uses them.
   */
  builtInOAuthApps?: OAuthApps;
  /** The CSV thread's script (camera-csv-worker.ts; .cjs in the app); without it CSV files are checked in this thread. */
  csvThread?: URL;
  /** Wake-from-sleep notices, so mailbox watchers reconnect at once (a timer-drift check backs it up). */
  power?: PowerMonitor;
  /** Heartbeat alerts; without one, alerts are still recorded (and e-mailed) but not shown by the OS. */
  notifier?: Notifier;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason ?? new DOMException('Aborted', 'AbortError'));
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason ?? new DOMException('Aborted', 'AbortError'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
