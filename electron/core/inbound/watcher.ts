import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { IMAP_FAILURE_CATALOG } from '../../../shared/failures.ts';
import { MAILBOX_DEFAULTS, type WatcherState } from '../../../shared/inbound.ts';
import {
  FIRST_SYNC_MAX_MESSAGES,
  type FolderSync,
  type ImapFailure,
  type ImapStage,
  type MailboxStatus,
} from '../../../shared/mailboxes.ts';
import type { Clock, Logger } from '../adapters.ts';
import type { StoredMailbox } from '../inventory/inventory.ts';
import { afterFailure, BACKOFF, type BackoffPolicy, type RetryCounts } from './backoff.ts';
import type { InboundHub, InboundInput } from './hub.ts';
import { classifyImap, ImapProblem } from './imap-failure.ts';
import {
  closeQuietly,
  imapAccount,
  inboundInput,
  LIGHT_FETCH,
  listFolders,
  loginRefused,
  tokenExpiredDrop,
  watchedFolders,
  type ImapAccount,
  type ImapCredentials,
  type WatchedFolder,
} from './imap-session.ts';
import type { FolderState, SyncState } from './sync-state.ts';

const DAY = 86_400_000;
/** Messages stored in the hub at a time while a FETCH streams in (and progress reported). */
const BATCH = 500;
/** UIDs asked for in one FETCH: the command stays short, the server streams without pauses. */
const FETCH_SPAN = 5000;
/** Status events while catching up are sent at most this often (state changes go at once). */
const PROGRESS_EVERY_MS = 250;

export interface WatcherDeps {
  /** The mailbox's settings when the watcher started (a change starts a new watcher). */
  mailbox: StoredMailbox;
  /**
   * The login: the stored password, or an access token (a renewed one when `renew` names the token
   * the server refused). Throws ImapProblem when there is none.
   */
  credentials: (renew?: { rejected: string }) => Promise<ImapCredentials>;
  /** Opens a connected, logged-in client (openImap, or a fake in unit tests). */
  open: (account: ImapAccount, credentials: ImapCredentials) => Promise<ImapFlow>;
  hub: InboundHub;
  syncState: SyncState;
  clock: Clock;
  logger: Logger;
  onStatus: (status: MailboxStatus) => void;
  policy?: BackoffPolicy;
  random?: () => number;
}

type Wake = 'timer' | 'exists' | 'closed' | 'reconnect' | 'stop';

/** Compresses ascending UIDs into an IMAP set: 1,2,3,7,9,10 → "1:3,7,9:10". */
export function uidSet(uids: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < uids.length;) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    parts.push(i === j ? String(uids[i]) : `${uids[i]}:${uids[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * One watched mailbox, supervised: connects (imapflow clients are single-use and never reconnect
 * by themselves), catches up every watched folder by UID — the first time only within the window
 * of `backfillDays` —, then waits in IDLE on the Inbox (or polls where the server has no IDLE) and
 * checks the other folders with STATUS every `pollSeconds`. Any failure closes the client; the
 * next attempt comes after a jittered exponential pause (a long one after a rejected login) and
 * catches up from where the history database says reading stopped. An OAuth2 token the server
 * refuses, or whose session it ends, is renewed and tried again at once, not after a pause. Its
 * state is reported to the hub (watching = connected and caught up) and to `onStatus`.
 */
export class MailboxWatcher {
  private readonly deps: WatcherDeps;
  private readonly mailbox: StoredMailbox;
  private readonly random: () => number;
  private readonly policy: BackoffPolicy;
  private state: WatcherState = 'stopped';
  private since: number;
  private stage: ImapStage = 'connect';
  private failure: ImapFailure | null = null;
  private nextAttemptAt: number | null = null;
  private idle: boolean | null = null;
  private lastSyncAt: number | null = null;
  private messagesSeen: number;
  private lastMessageAt: number | null;
  private progress: { done: number; total: number } | null = null;
  private missing: string[] = [];
  private watched: WatchedFolder[] = [];
  private readonly folderStates = new Map<string, FolderState>();
  private client: ImapFlow | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private readonly stopper = new AbortController();
  private readonly stopSignal = this.stopper.signal;
  private reconnectAsked = false;
  private wake: ((why: Wake) => void) | null = null;
  private pendingWake: Wake | null = null;
  private lastEmit = 0;
  private emitTimer: NodeJS.Timeout | null = null;

  constructor(deps: WatcherDeps) {
    this.deps = deps;
    this.mailbox = deps.mailbox;
    this.random = deps.random ?? Math.random;
    this.policy = deps.policy ?? BACKOFF;
    this.since = deps.clock.now();
    for (const f of deps.syncState.folders(this.mailbox.id)) this.folderStates.set(f.folder, f);
    this.messagesSeen = deps.hub.count(this.mailbox.id);
    const newest = deps.hub.query({ sourceId: this.mailbox.id, limit: 1 })[0];
    this.lastMessageAt = newest ? Date.parse(newest.receivedAt) : null;
    const synced = [...this.folderStates.values()].map((f) => f.syncedAt);
    this.lastSyncAt =
      synced.length && synced.every((s) => s !== null) ? Math.min(...(synced as number[])) : null;
  }

  get id(): string {
    return this.mailbox.id;
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run().catch((error: unknown) => {
      this.deps.logger.error('mailbox watcher: stopped unexpectedly', {
        mailbox: this.mailbox.id,
        error: String(error),
      });
      this.setState('stopped');
    });
  }

  /** Closes the connection at once (no LOGOUT round trip) and ends the loop. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopper.abort();
    this.poke('stop');
    closeQuietly(this.client);
    await this.loop;
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.emitTimer = null;
    this.setState('stopped');
  }

  /**
   * Drops the connection and connects again now, catching up: after the computer woke from
   * sleep, or when the network came back. A watcher waiting after a rejected login keeps waiting
   * (retrying a refused password changes nothing) unless `evenIfRejected` (the login was fixed).
   */
  reconnect(why: string, evenIfRejected = false): void {
    if (this.stopping || (this.state === 'login-rejected' && !evenIfRejected)) return;
    this.deps.logger.info('mailbox watcher: reconnecting', { mailbox: this.mailbox.id, why });
    this.reconnectAsked = true;
    this.poke('reconnect');
    closeQuietly(this.client);
  }

  /** Tries again now if the watcher is waiting after a failure (the login was fixed elsewhere). */
  retryNow(why: string): void {
    if (this.state === 'login-rejected' || this.state === 'reconnecting') this.reconnect(why, true);
  }

  status(): MailboxStatus {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const folders: FolderSync[] = this.watched.map((w) => {
      const s = this.folderStates.get(w.path);
      return {
        path: w.path,
        role: w.role,
        uidValidity: s?.uidValidity ?? null,
        lastUid: s?.lastUid ?? null,
        syncedAt: iso(s?.syncedAt ?? null),
        missing: false,
      };
    });
    if (this.watched.length === 0) {
      for (const s of this.folderStates.values()) {
        folders.push({
          path: s.folder,
          role: s.role,
          uidValidity: s.uidValidity,
          lastUid: s.lastUid,
          syncedAt: iso(s.syncedAt),
          missing: false,
        });
      }
    }
    for (const path of this.missing) {
      folders.push({ path, role: 'other', uidValidity: null, lastUid: null, syncedAt: null, missing: true });
    }
    return {
      mailboxId: this.mailbox.id,
      state: this.state,
      watching: this.state === 'connected',
      since: new Date(this.since).toISOString(),
      idle: this.idle,
      lastSyncAt: iso(this.lastSyncAt),
      messagesSeen: this.messagesSeen,
      lastMessageAt: iso(this.lastMessageAt),
      progress: this.progress ? { ...this.progress } : null,
      failure: this.failure,
      nextAttemptAt: iso(this.nextAttemptAt),
      folders,
      note: null,
    };
  }

  // ─── The supervising loop ────────────────────────────────────────────────────────────────

  private async run(): Promise<void> {
    const counts: RetryCounts = { failures: 0, rejections: 0 };
    let first = true;
    // A refused (or expired) access token to renew before the next login, and whether one was
    // renewed at once since the watcher was last caught up: a second refusal is the login's fault.
    let renew: { rejected: string } | null = null;
    let renewed = false;
    while (!this.stopping) {
      this.setState(first ? 'catching-up' : 'reconnecting');
      let client: ImapFlow | null = null;
      let credentials: ImapCredentials | null = null;
      try {
        this.stage = 'login';
        const asked = renew;
        renew = null;
        credentials = await this.deps.credentials(asked ?? undefined);
        this.stage = 'connect';
        client = await this.unlessStopped(this.deps.open(imapAccount(this.mailbox), credentials));
        this.client = client;
        if (this.stopping || this.reconnectAsked)
          throw new ImapProblem('connection-dropped', 'connect', 'asked');
        // New mail noticed on an old connection is read by the catch-up anyway.
        if (this.pendingWake === 'exists') this.pendingWake = null;
        const closed = new Promise<void>((resolve) => client!.once('close', () => resolve()));
        this.idle = client.capabilities.has('IDLE');
        this.stage = 'list';
        const { watched, missing } = watchedFolders(await listFolders(client), this.mailbox);
        this.watched = watched;
        this.missing = missing;
        this.setState('catching-up');
        await this.catchUp(client, watched);
        counts.failures = 0;
        counts.rejections = 0;
        renewed = false;
        this.failure = missing.length > 0 ? this.missingFolders(missing) : null;
        this.setState('connected');
        await this.watch(client, watched, closed);
      } catch (error) {
        if (this.stopping) break;
        if (this.reconnectAsked) {
          this.reconnectAsked = false;
          if (this.pendingWake === 'reconnect') this.pendingWake = null;
          first = false;
          continue;
        }
        const token = credentials && 'accessToken' in credentials ? credentials.accessToken : null;
        if (
          token !== null &&
          !renewed &&
          (loginRefused(error) || tokenExpiredDrop(error, client?.byeReason))
        ) {
          // The token, not the mailbox, is what the server turned down: a new one now, no pause.
          this.deps.logger.info('mailbox watcher: access token refused or expired, renewing it', {
            mailbox: this.mailbox.id,
          });
          renew = { rejected: token };
          renewed = true;
          first = false;
          continue;
        }
        this.failure = classifyImap(error, this.context(), new Date(this.deps.clock.now()).toISOString());
        const next = afterFailure(this.failure.class, counts, this.random, this.policy);
        this.deps.logger.warn('mailbox watcher: failed', {
          mailbox: this.mailbox.id,
          failureClass: this.failure.class,
          stage: this.failure.stage,
          explanation: this.failure.explanation,
          retryInMs: next.delayMs,
        });
        this.progress = null;
        this.nextAttemptAt = next.delayMs === null ? null : this.deps.clock.now() + next.delayMs;
        this.setState(next.state);
        await this.pause(next.delayMs);
        this.nextAttemptAt = null;
        this.reconnectAsked = false;
      } finally {
        closeQuietly(client);
        this.client = null;
      }
      first = false;
    }
  }

  private context() {
    const m = this.mailbox;
    return {
      host: m.host,
      port: m.port,
      security: m.security,
      username: m.username,
      auth: m.auth,
      stage: this.stage,
    };
  }

  private missingFolders(missing: string[]): ImapFailure {
    return {
      class: 'folder-missing',
      title: IMAP_FAILURE_CATALOG['folder-missing'].title,
      explanation: `${missing.map((f) => `"${f}"`).join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist on ${this.mailbox.host}; the other folders are watched.`,
      fix: IMAP_FAILURE_CATALOG['folder-missing'].fix,
      retryable: false,
      stage: 'list',
      reply: null,
      errorCode: null,
      at: new Date(this.deps.clock.now()).toISOString(),
    };
  }

  /**
   * A connection being opened, unless the watcher is stopped first: stopping must not wait for a
   * connect or DNS timeout (15 s to an unreachable host). A client that opens too late is closed.
   */
  private unlessStopped(opening: Promise<ImapFlow>): Promise<ImapFlow> {
    return new Promise((resolve, reject) => {
      const onStop = () => {
        opening.then(closeQuietly, () => undefined);
        reject(new ImapProblem('connection-dropped', 'connect', 'stopped'));
      };
      if (this.stopping) return onStop();
      this.stopSignal.addEventListener('abort', onStop, { once: true });
      opening.then(
        (client) => {
          this.stopSignal.removeEventListener('abort', onStop);
          resolve(client);
        },
        (error: unknown) => {
          this.stopSignal.removeEventListener('abort', onStop);
          reject(error);
        },
      );
    });
  }

  /** Waits `ms` (null: until woken), or less when stopped or asked to reconnect. */
  private async pause(ms: number | null): Promise<void> {
    const why = await this.waitFor(ms, null);
    if (why === 'reconnect') this.reconnectAsked = false;
  }

  /** Resolves with the first of: the timer, a wake-up (new mail, reconnect, stop), the connection closing. */
  private async waitFor(ms: number | null, closed: Promise<void> | null): Promise<Wake> {
    if (this.pendingWake) {
      const why = this.pendingWake;
      this.pendingWake = null;
      return why;
    }
    if (this.stopping) return 'stop';
    const abort = new AbortController();
    const woken = new Promise<Wake>((resolve) => {
      this.wake = resolve;
    });
    const racers: Array<Promise<Wake>> = [woken];
    if (ms !== null) {
      racers.push(
        this.deps.clock.sleep(ms, abort.signal).then(
          () => 'timer' as const,
          () => 'stop' as const,
        ),
      );
    }
    if (closed) racers.push(closed.then(() => 'closed' as const));
    const why = await Promise.race(racers);
    this.wake = null;
    abort.abort();
    return why;
  }

  private poke(why: Wake): void {
    if (this.wake) this.wake(why);
    // Stop and reconnect win over new mail; new mail is remembered while the watcher is busy.
    else if (why !== 'exists' || this.pendingWake === null) this.pendingWake = why;
  }

  // ─── Reading ─────────────────────────────────────────────────────────────────────────────

  /** Reads every watched folder up to date, the Inbox first, and leaves the Inbox selected. */
  private async catchUp(client: ImapFlow, watched: WatchedFolder[]): Promise<void> {
    this.progress = { done: 0, total: 0 };
    for (const folder of watched) await this.readFolder(client, folder, true);
    if (watched.length > 1) {
      this.stage = 'select';
      await client.mailboxOpen(watched[0]!.path, { readOnly: true });
    }
    this.progress = null;
    this.lastSyncAt = this.deps.clock.now();
  }

  /** IDLE (or the poll) until the connection ends or a reconnect/stop is asked. */
  private async watch(client: ImapFlow, watched: WatchedFolder[], closed: Promise<void>): Promise<void> {
    const [inbox, ...others] = watched as [WatchedFolder, ...WatchedFolder[]];
    const onExists = (event: { path: string; count: number; prevCount: number }) => {
      if (event.path === inbox.path && event.count > event.prevCount) this.poke('exists');
    };
    client.on('exists', onExists);
    // Also with IDLE and the Inbox alone: a timer pass renews IDLE and catches an EXISTS the server
    // never sent, and "last sync" stays within one period.
    const period = (this.mailbox.pollSeconds ?? MAILBOX_DEFAULTS.pollSeconds) * 1000;
    try {
      for (;;) {
        if (this.idle) {
          this.stage = 'idle';
          void client.idle().catch(() => undefined);
        }
        const why = await this.waitFor(period, closed);
        if (why === 'stop' || why === 'reconnect') throw new ImapProblem('connection-dropped', 'idle', why);
        if (why === 'closed') {
          throw Object.assign(new Error('the server closed the connection'), {
            code: 'EConnectionClosed',
            reason: client.byeReason,
          });
        }
        await this.readFolder(client, inbox, false);
        if (why === 'timer' && others.length > 0) {
          let moved = false;
          for (const folder of others) moved = (await this.pollFolder(client, folder)) || moved;
          if (moved) {
            this.stage = 'select';
            await client.mailboxOpen(inbox.path, { readOnly: true });
          }
        }
        if (why === 'timer') this.lastSyncAt = this.deps.clock.now();
        this.emit();
      }
    } finally {
      client.off('exists', onExists);
    }
  }

  /** STATUS of a folder not selected: reads it only when it has new mail or was renumbered. */
  private async pollFolder(client: ImapFlow, folder: WatchedFolder): Promise<boolean> {
    this.stage = 'select';
    const saved = this.folderStates.get(folder.path);
    let status;
    try {
      status = await client.status(folder.path, { uidNext: true, uidValidity: true });
    } catch (error) {
      if ((error as { mailboxMissing?: boolean }).mailboxMissing) {
        this.missing = [...new Set([...this.missing, folder.path])];
        this.failure = this.missingFolders(this.missing);
        return false;
      }
      throw error;
    }
    const unchanged =
      status &&
      saved &&
      String(status.uidValidity) === saved.uidValidity &&
      status.uidNext !== undefined &&
      status.uidNext - 1 <= saved.lastUid;
    if (unchanged) {
      this.save({ ...saved, syncedAt: this.deps.clock.now() });
      return false;
    }
    await this.readFolder(client, folder, false);
    return true;
  }

  /**
   * Reads a folder's new messages into the hub, in UID batches. A folder read for the first time,
   * or renumbered by the server (a new UIDVALIDITY), is read only within the first-start window
   * (SEARCH SINCE), at most FIRST_SYNC_MAX_MESSAGES of it, and everything older is marked read.
   */
  private async readFolder(client: ImapFlow, folder: WatchedFolder, catchingUp: boolean): Promise<void> {
    this.stage = 'select';
    const box = await client.mailboxOpen(folder.path, { readOnly: true });
    const uidValidity = String(box.uidValidity);
    const saved = this.folderStates.get(folder.path);
    const renumbered = saved !== undefined && saved.uidValidity !== uidValidity;
    const fresh = saved === undefined || renumbered;
    const since = new Date(
      this.deps.clock.now() - (this.mailbox.backfillDays ?? MAILBOX_DEFAULTS.backfillDays) * DAY,
    );
    this.stage = 'fetch';
    let uids: number[] = [];
    if (box.exists > 0) {
      const found = fresh
        ? await client.search({ since }, { uid: true })
        : await client.search({ uid: `${saved.lastUid + 1}:*` }, { uid: true });
      uids = (found || []).filter((u) => fresh || u > saved!.lastUid).sort((a, b) => a - b);
      // A first start, or a gap of months (the app closed since), reads the newest ones only.
      if (uids.length > FIRST_SYNC_MAX_MESSAGES) uids = uids.slice(-FIRST_SYNC_MAX_MESSAGES);
    }
    if (renumbered) {
      this.deps.logger.warn(
        'mailbox watcher: folder renumbered (UIDVALIDITY changed), reading the window again',
        {
          mailbox: this.mailbox.id,
          folder: folder.path,
          was: saved.uidValidity,
          now: uidValidity,
        },
      );
    }
    // Everything below the first UID to read was read before, or is older than the window.
    let lastUid =
      uids.length > 0 ? Math.max(uids[0]! - 1, fresh ? 0 : saved.lastUid) : fresh ? 0 : saved.lastUid;
    if (catchingUp && this.progress) this.progress.total += uids.length;
    else if (uids.length > 0) this.progress = { done: 0, total: uids.length };
    // One FETCH for many UIDs, so the server streams without a pause per batch; what arrives is
    // stored every BATCH messages, and reading is marked done up to the last UID stored with all
    // the ones before it.
    for (let i = 0; i < uids.length; i += FETCH_SPAN) {
      const span = uids.slice(i, i + FETCH_SPAN);
      const stored = new Set<number>();
      let next = 0;
      let chunk: FetchMessageObject[] = [];
      const store = () => {
        const now = this.deps.clock.now();
        let inputs = chunk.map((m) => inboundInput(this.mailbox.id, folder, uidValidity, m, now));
        if (renumbered) inputs = inputs.filter((input) => !this.seenWithoutId(input));
        this.publish(inputs);
        for (const m of chunk) stored.add(m.uid);
        while (next < span.length && stored.has(span[next]!)) next++;
        if (next > 0) lastUid = Math.max(lastUid, span[next - 1]!);
        this.save({ folder: folder.path, role: folder.role, uidValidity, lastUid, syncedAt: null });
        if (this.progress) this.progress.done += chunk.length;
        chunk = [];
        this.emitSoon();
      };
      for await (const message of client.fetch(uidSet(span), LIGHT_FETCH, { uid: true })) {
        chunk.push(message);
        if (chunk.length >= BATCH) store();
      }
      if (chunk.length > 0) store();
      // A UID the server no longer has (expunged meanwhile) is passed over, not asked for again.
      lastUid = Math.max(lastUid, span[span.length - 1]!);
    }
    if (fresh) lastUid = Math.max(lastUid, (box.uidNext ?? 1) - 1);
    this.save({
      folder: folder.path,
      role: folder.role,
      uidValidity,
      lastUid,
      syncedAt: this.deps.clock.now(),
    });
    if (!catchingUp) this.progress = null;
  }

  /**
   * After a renumbering, a message without a Message-ID cannot be recognised by the hub's second
   * key: it is taken as seen when this source already holds one received at the same moment, of
   * the same size, sender and subject.
   */
  private seenWithoutId(input: InboundInput): boolean {
    if (input.messageId) return false;
    const at = input.receivedAt instanceof Date ? input.receivedAt.getTime() : Date.parse(input.receivedAt);
    return this.deps.hub
      .query({ sourceId: this.mailbox.id, since: at, until: at, limit: 50 })
      .some(
        (m) =>
          m.messageId === null &&
          m.size === input.size &&
          m.subject === input.subject &&
          m.from === input.from.trim().toLowerCase(),
      );
  }

  private publish(inputs: InboundInput[]): void {
    const added = this.deps.hub.publish(inputs);
    this.messagesSeen += added.length;
    for (const m of added) {
      const at = Date.parse(m.receivedAt);
      if (this.lastMessageAt === null || at > this.lastMessageAt) this.lastMessageAt = at;
    }
  }

  private save(state: FolderState): void {
    this.deps.syncState.save(this.mailbox.id, state);
    this.folderStates.set(state.folder, state);
  }

  // ─── Reporting ───────────────────────────────────────────────────────────────────────────

  private setState(state: WatcherState): void {
    if (state !== this.state) {
      this.state = state;
      this.since = this.deps.clock.now();
    }
    this.deps.hub.reportHealth(this.mailbox.id, state, state === 'connected');
    this.emit();
  }

  private emit(): void {
    if (this.emitTimer) clearTimeout(this.emitTimer);
    this.emitTimer = null;
    this.lastEmit = Date.now();
    this.deps.onStatus(this.status());
  }

  /** Progress while catching up: at most one event every PROGRESS_EVERY_MS. */
  private emitSoon(): void {
    const wait = this.lastEmit + PROGRESS_EVERY_MS - Date.now();
    if (wait <= 0) this.emit();
    else if (!this.emitTimer) {
      this.emitTimer = setTimeout(() => this.emit(), wait);
      this.emitTimer.unref();
    }
  }
}
