import type { MailboxStatus } from '../../../shared/mailboxes.ts';
import { accountAnswersTo, type OAuthAccount } from '../../../shared/oauth.ts';
import type { Clock, HostLookup, Logger, PowerMonitor, PlacedSecrets } from '../adapters.ts';
import type { Inventory, StoredMailbox } from '../inventory/inventory.ts';
import type { BackoffPolicy } from './backoff.ts';
import type { InboundHub } from './hub.ts';
import {
  mailboxCredentials,
  openImap,
  type AccessTokenProvider,
  type ImapAccount,
  type ImapCredentials,
} from './imap-session.ts';
import { watchForWake, type WakeCheck } from './resume.ts';
import type { SyncState } from './sync-state.ts';
import { MailboxWatcher } from './watcher.ts';
import type { ImapFlow } from 'imapflow';

export interface WatchersDeps {
  inventory: Inventory;
  hub: InboundHub;
  syncState: SyncState;
  secrets: PlacedSecrets;
  clock: Clock;
  logger: Logger;
  appVersion: string;
  /** Whether this core watches mailboxes at all (the app does; tests and scripts opt in). */
  run: boolean;
  emit: (status: MailboxStatus) => void;
  lookup?: HostLookup | undefined;
  power?: PowerMonitor | undefined;
  accessToken?: AccessTokenProvider | undefined;
  /** Unit tests replace the connection and the timing. */
  open?: (account: ImapAccount, credentials: ImapCredentials) => Promise<ImapFlow>;
  policy?: BackoffPolicy;
  wakeCheck?: WakeCheck;
}

/** Two wake signals within this long (power event and timer drift for one sleep) reconnect once. */
const WAKE_DEBOUNCE_MS = 10_000;

/** The settings that, changed, need a new connection (the title and coverage do not). */
function fingerprint(m: StoredMailbox): string {
  return JSON.stringify([
    m.host,
    m.port,
    m.security,
    m.auth,
    m.username,
    m.passwordSealed,
    m.trustedCertificatePem ?? null,
    m.extraFolders,
    m.watchJunk,
    m.backfillDays ?? null,
    m.pollSeconds ?? null,
  ]);
}

/**
 * The watchers of all enabled mailboxes: one supervised connection each, started and stopped to
 * match the inventory (`reconcile`, after every change of a mailbox, a restore, and at start),
 * reconnected together when the computer wakes from sleep, and closed fast when the core closes.
 * Changes are applied one at a time, so a mailbox never has two watchers.
 */
export class MailboxWatchers {
  private readonly deps: WatchersDeps;
  private readonly running = new Map<string, { watcher: MailboxWatcher; fingerprint: string }>();
  private queue: Promise<void> = Promise.resolve();
  private stopWake: (() => void) | null = null;
  private lastWake = 0;
  private closed = false;

  constructor(deps: WatchersDeps) {
    this.deps = deps;
  }

  /** Starts the enabled mailboxes' watchers (when this core runs watchers) and the wake-up check. */
  start(): Promise<void> {
    if (this.deps.run && !this.stopWake) {
      this.stopWake = watchForWake(this.deps.power, (why) => this.woke(why), this.deps.wakeCheck);
    }
    return this.reconcile();
  }

  /** Brings the running watchers in line with the inventory's mailboxes; resolves when done. */
  reconcile(): Promise<void> {
    this.queue = this.queue
      .then(() => this.apply())
      .catch((error: unknown) => {
        this.deps.logger.error('mailbox watchers: reconcile failed', { error: String(error) });
      });
    return this.queue;
  }

  status(mailbox: StoredMailbox): MailboxStatus {
    const running = this.running.get(mailbox.id);
    if (running) return running.watcher.status();
    const status = this.watcherFor(mailbox).status();
    if (mailbox.enabled && !this.deps.run) {
      status.note = 'This AlertDesk was started without mailbox watchers, so nothing is read.';
    }
    return status;
  }

  /** A login that was rejected works now ("Test connection" passed): try at once, not in hours. */
  loginFixed(mailboxId: string): void {
    this.running.get(mailboxId)?.watcher.retryNow('the login was tested and works');
  }

  /**
   * Someone signed in with an account (the mailboxes logging in as it, waiting after a rejected
   * login, connect now) or signed out of it (their connections end: nothing is read with a
   * sign-in AlertDesk has forgotten).
   */
  accountChanged(account: Pick<OAuthAccount, 'account' | 'aliases'>, what: 'signed-in' | 'signed-out'): void {
    for (const { watcher } of this.running.values()) {
      const m = this.deps.inventory.mailbox(watcher.id);
      if (m?.auth !== 'oauth2' || !accountAnswersTo(account, m.username)) continue;
      if (what === 'signed-in') watcher.retryNow(`${account.account} signed in`);
      else watcher.reconnect(`${account.account} signed out`, true);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWake?.();
    this.stopWake = null;
    await this.queue;
    await Promise.all([...this.running.values()].map((r) => r.watcher.stop()));
    this.running.clear();
  }

  private woke(why: string): void {
    const now = Date.now();
    if (now - this.lastWake < WAKE_DEBOUNCE_MS) return;
    this.lastWake = now;
    this.deps.logger.info('mailbox watchers: reconnecting after a wake-up', { why });
    for (const { watcher } of this.running.values()) watcher.reconnect(why);
  }

  private watcherFor(mailbox: StoredMailbox): MailboxWatcher {
    const d = this.deps;
    return new MailboxWatcher({
      mailbox,
      credentials: (renew) => mailboxCredentials(mailbox, d.secrets, d.accessToken, renew),
      open:
        d.open ??
        ((account, credentials) =>
          openImap(account, credentials, { lookup: d.lookup, appVersion: d.appVersion })),
      hub: d.hub,
      syncState: d.syncState,
      clock: d.clock,
      logger: d.logger,
      onStatus: d.emit,
      ...(d.policy ? { policy: d.policy } : {}),
    });
  }

  private async apply(): Promise<void> {
    if (this.closed) return;
    const wanted = new Map(
      this.deps.inventory.mailboxes.filter((m) => this.deps.run && m.enabled).map((m) => [m.id, m]),
    );
    for (const [id, running] of [...this.running]) {
      const mailbox = wanted.get(id);
      if (mailbox && fingerprint(mailbox) === running.fingerprint) continue;
      this.running.delete(id);
      await running.watcher.stop();
      const still = this.deps.inventory.mailbox(id);
      if (!mailbox && still) this.deps.emit(this.status(still));
    }
    for (const mailbox of wanted.values()) {
      if (this.running.has(mailbox.id)) continue;
      const watcher = this.watcherFor(mailbox);
      this.running.set(mailbox.id, { watcher, fingerprint: fingerprint(mailbox) });
      watcher.start();
    }
    for (const mailbox of this.deps.inventory.mailboxes) {
      if (!wanted.has(mailbox.id)) this.deps.hub.reportHealth(mailbox.id, 'stopped', false);
    }
  }
}
