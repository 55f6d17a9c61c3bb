import { userInfo } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type {
  Clipboard,
  Clock,
  ExternalBrowser,
  FilePicker,
  HostLookup,
  Logger,
  Notifier,
  PowerMonitor,
  ReportPrinter,
} from './adapters.ts';
import type { OAuthApps, OAuthProvider } from '../../shared/oauth.ts';
import type { ProviderEndpoints } from './oauth/providers.ts';
import { createCore, type Core } from './core.ts';
import { deliveryThreadPays } from './mail/delivery-thread.ts';
import { PassphraseSecretBox } from './secrets/passphrase-box.ts';
import { createConfStore } from './store/conf-store.ts';
import { lockDataFolder } from './store/data-folder.ts';

export const KEY_FILE = 'passphrase-key.json';

export interface OpenCoreOptions {
  /** Folder for the document store, the history database and the key file; created if missing. */
  dataDir: string;
  /** Passphrase the secrets are encrypted with (AES-256-GCM under an scrypt-derived key). */
  passphrase: string;
  files?: FilePicker;
  lookup?: HostLookup;
  clock?: Clock;
  logger?: Logger;
  osUser?: string;
  globalSessions?: number;
  clipboard?: Clipboard;
  printer?: ReportPrinter;
  samplesDir?: string;
  browser?: ExternalBrowser;
  /** OAuth2 endpoints on loopback (tests' fake authorization server). */
  oauthEndpoints?: Partial<Record<OAuthProvider, ProviderEndpoints>>;
  /** The sign-in apps a build was published with (see CoreOptions). */
  builtInOAuthApps?: OAuthApps;
  notifier?: Notifier;
  /**
   * SMTP sessions in a worker thread (`true`) or in this thread (`false`); by default as the app
   * decides on this computer (deliveryThreadPays: from 4 cores).
   */
  deliveryThread?: boolean;
  /** Watch the enabled mailboxes (IMAP) from the start; off unless asked. */
  watchMailboxes?: boolean;
  /** Wake-from-sleep notices (tests pass a fake to simulate a laptop waking up). */
  power?: PowerMonitor;
}

const noFiles: FilePicker = { pickAttachments: async () => [] };

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

/**
 * The plain-Node entry point: the same core the app runs, on a data folder the caller chooses,
 * with secrets sealed by a passphrase instead of the OS keychain. Tests, benchmarks and scripts use
 * it; see the README.
 */
export async function openCore(options: OpenCoreOptions): Promise<Core> {
  // Before the key file: two openers of a fresh folder would each create their own key.
  const lock = lockDataFolder(options.dataDir, 'a script on the AlertDesk core (openCore)');
  let secrets: PassphraseSecretBox;
  try {
    secrets = await PassphraseSecretBox.open(join(options.dataDir, KEY_FILE), options.passphrase);
  } catch (error) {
    lock.release();
    throw error;
  }
  return createCore({
    lock,
    dataDir: options.dataDir,
    store: createConfStore(options.dataDir),
    secrets,
    files: options.files ?? noFiles,
    osUser: options.osUser ?? userInfo().username,
    appVersion: packageVersion(),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.lookup ? { lookup: options.lookup } : {}),
    ...(options.globalSessions ? { globalSessions: options.globalSessions } : {}),
    ...(options.clipboard ? { clipboard: options.clipboard } : {}),
    ...(options.printer ? { printer: options.printer } : {}),
    ...(options.browser ? { browser: options.browser } : {}),
    ...(options.oauthEndpoints ? { oauthEndpoints: options.oauthEndpoints } : {}),
    ...(options.builtInOAuthApps ? { builtInOAuthApps: options.builtInOAuthApps } : {}),
    ...(options.watchMailboxes ? { watchMailboxes: true } : {}),
    ...(options.power ? { power: options.power } : {}),
    ...(options.notifier ? { notifier: options.notifier } : {}),
    ...((options.deliveryThread ?? deliveryThreadPays())
      ? { deliveryThread: new URL('./mail/smtp-worker.ts', import.meta.url) }
      : {}),
    benchWorker: new URL('./bench/bench-worker.ts', import.meta.url),
    samplesDir: options.samplesDir ?? fileURLToPath(new URL('../../assets/snapshots', import.meta.url)),
    csvThread: new URL('./inventory/camera-csv-worker.ts', import.meta.url),
  });
}
