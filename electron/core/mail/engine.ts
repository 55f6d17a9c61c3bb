import type {
  DeliveryDetail,
  DeliveryKind,
  DeliverySummary,
  DeliveryStatus,
  FailureDetails,
  RejectedRecipient,
} from '../../../shared/delivery.ts';
import type { AuthMethod, SecurityMode } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/result.ts';
import type { Clock, EventSink, HostLookup, Logger, SecretBox } from '../adapters.ts';
import type { AttemptRecord, DeliveryHistory, DeliveryState } from '../history/deliveries.ts';
import { classify, type ClassifyContext } from './classify.ts';
import type { ComposedMessage } from './compose.ts';
import { SmtpFailure, toSmtpFailure } from './failure.ts';
import type { PopTarget } from './pop3.ts';
import { openInProcess, type DeliverySession, type SessionOpener } from './delivery-thread.ts';
import { defaultLookup, type Capabilities, type SmtpTarget } from './session.ts';
import { Transcript } from './transcript.ts';
import { OAuthLoginError, type OAuthLogin } from '../oauth/login.ts';

/** What the engine needs to know about a connector at the moment of each attempt. */
export interface RouteConnector {
  id: string;
  siteId: string;
  siteName: string;
  title: string;
  host: string;
  port: number;
  security: SecurityMode;
  auth: AuthMethod;
  username: string;
  passwordSealed: string | null;
  /** The OAuth2 sign-in of an `xoauth2` connector. */
  oauthAccountId?: string | null;
  sender: string;
  trustedCertificatePem: string | null;
  /** The connector's "allow login without encryption" switch. */
  allowPlainLogin: boolean;
  connectionTimeoutSec: number;
  state: 'RUN' | 'STOPPED';
  maxSessions: number;
  rateLimitPerMinute: number | null;
  dailyLimit: number | null;
  retryDelaysSec: number[];
  pop:
    | (Omit<PopTarget, 'password' | 'trustedCertificatePem' | 'timeoutMs'> & {
        passwordSealed: string | null;
      })
    | null;
}

/**
 * A message composed when its attempt starts, so a run of a thousand burst e-mails does not hold a
 * thousand encoded attachments in memory at once.
 */
export interface LazyMessage {
  meta: Pick<ComposedMessage, 'subject' | 'from' | 'to' | 'cc' | 'bcc'>;
  build: () => Promise<ComposedMessage>;
}

export interface DeliveryJob {
  kind: DeliveryKind;
  connectorId: string;
  camera?: { id: string; name: string } | null;
  runId?: string | null;
  /** A login to use instead of the connector's own: a camera's own account and app password. */
  login?: { username: string; passwordSealed: string | null } | null;
  message: ComposedMessage | LazyMessage;
  /** Test sends may use a STOPPED connector: passing a test is how a connector earns RUN. */
  allowStopped?: boolean;
  signal?: AbortSignal;
}

export interface EngineDeps {
  history: DeliveryHistory;
  connector(id: string): RouteConnector | undefined;
  secrets: SecretBox;
  clock: Clock;
  logger: Logger;
  emit: EventSink;
  lookup?: HostLookup;
  /** Where SMTP sessions run: a DeliveryThread's `open` in the app, this thread by default. */
  openSession?: SessionOpener;
  /** Sessions open at once across all connectors. */
  globalSessions?: number;
  /** Called once per delivery when it reaches a final state. */
  onFinished?(job: DeliveryJob, outcome: DeliveryOutcome): void;
  /**
   * The XOAUTH2 login of an OAuth2 connector (a fresh access token; renewed when `force`d after
   * the server refused `rejected`). Throws an OAuthLoginError when none can be had.
   */
  oauthLogin?(
    connector: RouteConnector,
    options?: { force?: boolean; rejected?: string },
  ): Promise<OAuthLogin>;
}

/** A delivery's state as the engine holds it while it is alive: everything but the attempts. */
export type DeliveryOutcome = Omit<DeliveryDetail, 'attempts'>;

interface Pending {
  id: string;
  job: DeliveryJob;
  lane: Lane;
  attempt: number;
  firstStartedAt: number | null;
  /** The live state: events and calls read it here; SQLite gets it once per attempt. */
  record: DeliveryOutcome;
  finish: (outcome: DeliveryOutcome) => void;
}

interface Lane {
  key: string;
  connectorId: string;
  queue: Pending[];
  workers: number;
}

/** Session timeouts: the connector's timeout bounds every phase (no minutes-long library defaults). */
export const CONNECT_TIMEOUT_CAP_MS = 15_000;
export const GREETING_TIMEOUT_CAP_MS = 15_000;
export const DEFAULT_GLOBAL_SESSIONS = 64;

export function targetFor(
  c: RouteConnector,
  username: string,
  password: string,
  popPassword: string,
): SmtpTarget {
  const timeoutMs = c.connectionTimeoutSec * 1000;
  return {
    host: c.host,
    port: c.port,
    security: c.security,
    auth: c.auth,
    username,
    password,
    allowPlainLogin: c.allowPlainLogin,
    trustedCertificatePem: c.trustedCertificatePem,
    connectTimeoutMs: Math.min(timeoutMs, CONNECT_TIMEOUT_CAP_MS),
    greetingTimeoutMs: Math.min(timeoutMs, GREETING_TIMEOUT_CAP_MS),
    socketTimeoutMs: timeoutMs,
    pop: c.pop
      ? {
          host: c.pop.host,
          port: c.pop.port,
          security: c.pop.security,
          username: c.pop.username,
          password: popPassword,
          apop: c.pop.apop,
          delayMs: c.pop.delayMs,
          trustedCertificatePem: c.trustedCertificatePem,
          timeoutMs: Math.min(timeoutMs, CONNECT_TIMEOUT_CAP_MS),
        }
      : null,
  };
}

function metaOf(m: ComposedMessage | LazyMessage): LazyMessage['meta'] {
  const { subject, from, to, cc, bcc } = 'build' in m ? m.meta : m;
  return { subject, from, to, cc, bcc };
}

export function classifyContext(c: RouteConnector, username: string): ClassifyContext {
  return { host: c.host, port: c.port, security: c.security, auth: c.auth, username, sender: c.sender };
}

/** Sliding one-minute window per connector, so a bulk run stays inside the provider's rate. */
class RateLimiter {
  private readonly sent = new Map<string, number[]>();
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  async take(connectorId: string, perMinute: number | null, signal?: AbortSignal): Promise<void> {
    if (!perMinute) return;
    for (;;) {
      const now = this.clock.now();
      const window = (this.sent.get(connectorId) ?? []).filter((t) => t > now - 60_000);
      if (window.length < perMinute) {
        window.push(now);
        this.sent.set(connectorId, window);
        return;
      }
      this.sent.set(connectorId, window);
      await this.clock.sleep(window[0]! + 60_000 - now + 1, signal);
    }
  }
}

/**
 * The delivery engine: every message becomes a delivery record; sending runs here in the main
 * process from per-connector pools under a global cap, so the UI never waits on SMTP. Messages with
 * the same connector and login share SMTP sessions. Each attempt is classified and recorded;
 * transient failures are retried on the connector's schedule (seed 003: at once, +10 s, +30 s).
 */
export class DeliveryEngine {
  private readonly lanes = new Map<string, Lane>();
  private readonly connectorWorkers = new Map<string, number>();
  private globalWorkers = 0;
  private readonly limiter: RateLimiter;
  private readonly globalCap: number;
  private readonly idle = new Set<Promise<void>>();
  /** Lanes with messages waiting for a worker. */
  private readonly ready = new Set<Lane>();
  /** Deliveries not yet final, by id. */
  private readonly live = new Map<string, Pending>();
  /** What each connector's server last advertised (SIZE, AUTH…), for planning runs. */
  readonly capabilities = new Map<string, Capabilities>();
  private closed = false;

  private readonly deps: EngineDeps;

  constructor(deps: EngineDeps) {
    this.deps = deps;
    this.limiter = new RateLimiter(deps.clock);
    this.globalCap = deps.globalSessions ?? DEFAULT_GLOBAL_SESSIONS;
  }

  submit(job: DeliveryJob): { id: string; done: Promise<DeliveryOutcome> } {
    if (this.closed) throw new AppError('shutting-down', 'AlertDesk is closing; the message was not queued.');
    const connector = this.deps.connector(job.connectorId);
    if (!connector) throw new AppError('not-found', 'The connector no longer exists.', 'connectorId');
    const id = crypto.randomUUID();
    const now = this.deps.clock.now();
    const meta = metaOf(job.message);
    const created = {
      id,
      createdAt: now,
      kind: job.kind,
      siteId: connector.siteId,
      siteName: connector.siteName,
      connectorId: connector.id,
      connectorTitle: connector.title,
      cameraId: job.camera?.id ?? null,
      cameraName: job.camera?.name ?? null,
      runId: job.runId ?? null,
      ...meta,
    };
    this.deps.history.create(created);
    const at = new Date(now).toISOString();
    const record: DeliveryOutcome = {
      ...created,
      createdAt: at,
      updatedAt: at,
      status: 'queued',
      attemptCount: 0,
      failureClass: null,
      reply: null,
      messageId: null,
      durationMs: null,
      nextAttemptAt: null,
      accepted: [],
      rejected: [],
      serverMessageId: null,
      failure: null,
    };
    const username = job.login?.username ?? connector.username;
    // Messages share a session only when they log in the same way: same connector, login and
    // secret. A camera with its own (perhaps revoked) app password must not ride on a session that
    // another camera's valid password opened.
    const secretRef = job.login
      ? (job.login.passwordSealed ?? '')
      : connector.auth === 'xoauth2'
        ? `oauth:${connector.oauthAccountId ?? ''}`
        : (connector.passwordSealed ?? '');
    const key = `${connector.id}\u0000${username}\u0000${secretRef}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { key, connectorId: connector.id, queue: [], workers: 0 };
      this.lanes.set(key, lane);
    }
    let finish!: (outcome: DeliveryOutcome) => void;
    const done = new Promise<DeliveryOutcome>((resolve) => (finish = resolve));
    const item: Pending = { id, job, lane, attempt: 0, firstStartedAt: null, record, finish };
    this.live.set(id, item);
    this.publish(item);
    this.enqueue(item);
    return { id, done };
  }

  /** The session target of an attempt: the connector's server with this job's login. */
  private async targetOf(connector: RouteConnector, job: DeliveryJob, username: string): Promise<SmtpTarget> {
    const sealed = job.login ? job.login.passwordSealed : connector.passwordSealed;
    const password = sealed ? await this.deps.secrets.open(sealed) : '';
    const popPassword = connector.pop?.passwordSealed
      ? await this.deps.secrets.open(connector.pop.passwordSealed)
      : '';
    const target = targetFor(connector, username, password, popPassword);
    if (connector.auth !== 'xoauth2') return target;
    // A camera with a login of its own logs in with its password even on an OAuth2 connector
    // (cameras cannot do OAuth2); one that uses the connector's login goes with its sign-in.
    const ownLogin =
      job.login &&
      (job.login.username.toLowerCase() !== connector.username.toLowerCase() ||
        job.login.passwordSealed !== connector.passwordSealed);
    if (ownLogin) return { ...target, auth: 'any' };
    return { ...target, oauth2: await this.oauthLogin(connector) };
  }

  private async oauthLogin(
    connector: RouteConnector,
    options: { force?: boolean; rejected?: string } = {},
  ): Promise<OAuthLogin> {
    if (!this.deps.oauthLogin)
      throw new SmtpFailure({ local: 'missing-token', message: 'No OAuth2 sign-in is available here' });
    try {
      return await this.deps.oauthLogin(connector, options);
    } catch (error) {
      if (!(error instanceof OAuthLoginError)) throw error;
      throw new SmtpFailure({
        local: 'oauth',
        message: error.message,
        facts: { failureClass: error.failureClass },
      });
    }
  }

  /** Whether a session failed because the server refused the XOAUTH2 access token. */
  private tokenRefused(error: unknown, transcript: Transcript, c: RouteConnector, username: string): boolean {
    const raw = toSmtpFailure(error, transcript.currentStep()).raw;
    return raw.local === null && classify(raw, classifyContext(c, username)).class === 'oauth-token-rejected';
  }

  /** The live state of a delivery still queued, sending or waiting to retry (null once it is over). */
  liveState(id: string): DeliveryOutcome | null {
    return this.live.get(id)?.record ?? null;
  }

  /** Stops accepting work and waits for the sessions in flight to finish. */
  async close(): Promise<void> {
    this.closed = true;
    for (const lane of this.lanes.values()) {
      for (const p of lane.queue.splice(0))
        this.finalCancelled(p, 'AlertDesk was closed before this message was sent.');
    }
    await Promise.allSettled([...this.idle]);
  }

  private enqueue(item: Pending): void {
    const lane = item.lane;
    if (!this.lanes.has(lane.key)) this.lanes.set(lane.key, lane);
    lane.queue.push(item);
    this.ready.add(lane);
    this.pump();
  }

  /**
   * Starts workers for lanes with waiting messages, within each connector's pool and the global
   * cap. Only lanes with work are visited, and nothing is visited when the cap is full, so a run of
   * a thousand cameras does not rescan a thousand lanes on every message.
   */
  private pump(): void {
    if (this.globalWorkers >= this.globalCap) return;
    for (const lane of this.ready) {
      if (lane.queue.length <= lane.workers) {
        this.ready.delete(lane);
        continue;
      }
      const max = this.deps.connector(lane.connectorId)?.maxSessions ?? 1;
      while (lane.queue.length > lane.workers) {
        const busy = this.connectorWorkers.get(lane.connectorId) ?? 0;
        if (busy >= max || this.globalWorkers >= this.globalCap) break;
        lane.workers++;
        this.connectorWorkers.set(lane.connectorId, busy + 1);
        this.globalWorkers++;
        const run = this.work(lane).finally(() => {
          this.idle.delete(run);
          lane.workers--;
          this.connectorWorkers.set(lane.connectorId, (this.connectorWorkers.get(lane.connectorId) ?? 1) - 1);
          this.globalWorkers--;
          if (lane.queue.length === 0 && lane.workers === 0) this.lanes.delete(lane.key);
          else if (lane.queue.length > lane.workers) this.ready.add(lane);
          this.pump();
        });
        this.idle.add(run);
      }
      if (lane.queue.length <= lane.workers) this.ready.delete(lane);
      if (this.globalWorkers >= this.globalCap) return;
    }
  }

  private async work(lane: Lane): Promise<void> {
    let session: DeliverySession | null = null;
    try {
      for (let item = lane.queue.shift(); item; item = lane.queue.shift()) {
        if (item.job.signal?.aborted) {
          this.finalCancelled(item, 'Cancelled before it was sent.');
          continue;
        }
        const connector = this.deps.connector(item.job.connectorId);
        try {
          await this.limiter.take(
            item.job.connectorId,
            connector?.rateLimitPerMinute ?? null,
            item.job.signal,
          );
        } catch {
          this.finalCancelled(item, 'Cancelled while waiting for the rate limit.');
          continue;
        }
        session = await this.attempt(item, session);
      }
    } catch (error) {
      this.deps.logger.error('delivery worker failed', { error: String(error) });
    } finally {
      session?.quit();
    }
  }

  /** One attempt of one delivery; returns the session to keep for the next message of the lane. */
  private async attempt(item: Pending, reuse: DeliverySession | null): Promise<DeliverySession | null> {
    const { job } = item;
    const clock = this.deps.clock;
    item.attempt++;
    const startedAt = clock.now();
    item.firstStartedAt ??= startedAt;
    const transcript = new Transcript();
    const connector = this.deps.connector(job.connectorId);
    const username = job.login?.username ?? connector?.username ?? '';

    this.update(item, { status: 'sending', nextAttemptAt: null }, startedAt);

    let session: DeliverySession | null = null;
    /** A session opened for this attempt: what its server advertised is kept for planning runs. */
    let opened: DeliverySession | null = null;
    let failure: FailureDetails | null = null;
    let outcome: Awaited<ReturnType<DeliverySession['send']>> | null = null;
    let builtId: string | null = null;
    /** Recipients the server refused when it refused the message (every one of them, say). */
    let refused: RejectedRecipient[] = [];
    try {
      if (!connector)
        throw new SmtpFailure({ message: 'The connector was deleted while the message was queued.' });
      if (connector.state !== 'RUN' && !job.allowStopped) {
        transcript.note(`Connector "${connector.title}" is STOPPED: nothing was sent.`);
        throw new SmtpFailure({ local: 'connector-stopped', message: 'Connector is STOPPED' });
      }
      if (connector.dailyLimit) {
        const midnight = new Date(clock.now());
        midnight.setHours(0, 0, 0, 0);
        if (this.deps.history.sentSince(connector.id, midnight.getTime()) >= connector.dailyLimit) {
          throw new SmtpFailure({
            local: 'daily-limit',
            message: 'Daily limit reached',
            facts: { limit: connector.dailyLimit },
          });
        }
      }
      if (reuse?.usable) {
        session = reuse;
        transcript.prepend(
          reuse.openingLines,
          `Reusing the SMTP session opened ${Math.round(Date.now() - reuse.openedAt)} ms ago (message ${reuse.messagesSent + 1} on it).`,
        );
        const message = 'build' in job.message ? await job.message.build() : job.message;
        builtId = message.messageId;
        outcome = await session.send(message, transcript);
      } else {
        reuse?.close();
        let message: ComposedMessage | null = null;
        const sendFresh = async (target: SmtpTarget) => {
          const fresh = await (this.deps.openSession ?? openInProcess)(
            target,
            transcript,
            this.deps.lookup ?? defaultLookup,
          );
          session = opened = fresh;
          message ??= 'build' in job.message ? await job.message.build() : job.message;
          builtId = message.messageId;
          return fresh.send(message, transcript);
        };
        const target = await this.targetOf(connector, job, username);
        try {
          outcome = await sendFresh(target);
        } catch (error) {
          // An access token the server refuses is renewed once: it may have been revoked or have
          // expired early. A refused login sent nothing, so the message goes again.
          if (!target.oauth2 || !this.tokenRefused(error, transcript, connector, username)) throw error;
          (session as DeliverySession | null)?.close();
          session = null;
          transcript.note('The server refused the access token: AlertDesk renews it and tries once more.');
          const renewed = await this.oauthLogin(connector, {
            force: true,
            rejected: target.oauth2.accessToken,
          });
          outcome = await sendFresh({ ...target, oauth2: renewed });
        }
      }
    } catch (error) {
      session?.close();
      session = null;
      const raw = (
        error instanceof AppError
          ? new SmtpFailure({ message: error.message })
          : toSmtpFailure(error, transcript.currentStep())
      ).raw;
      const ctx: ClassifyContext = connector
        ? classifyContext(connector, username)
        : { host: '', port: 0, security: 'none', auth: 'none', username, sender: metaOf(job.message).from };
      failure = classify(raw, ctx);
      refused = raw.rejected;
      transcript.note(`Failed: ${failure.class} — ${failure.explanation}`);
    }

    // (A session in the delivery thread opens with its first message: known only now.)
    // The cast: TypeScript does not see the assignment inside sendFresh.
    const openedNow = opened as DeliverySession | null;
    if (openedNow?.capabilities && connector) this.capabilities.set(connector.id, openedNow.capabilities);

    const finishedAt = clock.now();
    const record: AttemptRecord = {
      n: item.attempt,
      startedAt,
      durationMs: Math.round(finishedAt - startedAt),
      outcome: failure ? 'failed' : 'sent',
      failure,
      accepted: outcome?.accepted ?? [],
      rejected: outcome?.rejected ?? refused,
      response: outcome?.response ?? failure?.reply ?? null,
      timings: transcript.timings(),
      tls: session?.tls ?? null,
      transcript: transcript.lines(),
    };

    const maxAttempts = 1 + (connector?.retryDelaysSec.length ?? 0);
    const retry = failure !== null && failure.retryable && item.attempt < maxAttempts && !job.signal?.aborted;
    const delayMs = retry ? (connector!.retryDelaysSec[item.attempt - 1] ?? 0) * 1000 : 0;
    const status: DeliveryStatus = !failure ? 'sent' : retry ? 'retrying' : 'failed';
    // A final outcome is reported (and the delivery finished) only once it is committed: an
    // accepted message the app has called sent is never lost to a crash (see writeSoon).
    this.update(
      item,
      {
        status,
        attemptCount: item.attempt,
        failureClass: failure?.class ?? null,
        failure,
        reply: outcome?.response ?? failure?.reply ?? null,
        messageId: outcome ? builtId : null,
        serverMessageId: outcome?.serverMessageId ?? null,
        durationMs: Math.round(finishedAt - item.firstStartedAt),
        nextAttemptAt: retry ? new Date(finishedAt + delayMs).toISOString() : null,
        accepted: outcome?.accepted ?? [],
        rejected: outcome?.rejected ?? refused,
      },
      finishedAt,
      record,
      retry ? undefined : () => this.finished(item),
    );

    if (retry) {
      void clock.sleep(delayMs, job.signal).then(
        () => {
          if (this.closed) return this.finalCancelled(item, 'AlertDesk was closed before the retry.');
          this.enqueue(item);
        },
        () => this.finalCancelled(item, 'Cancelled before the retry.'),
      );
    }
    return session;
  }

  /**
   * Moves a delivery to its next state in memory and tells the listeners. SQLite is written with
   * an attempt (one transaction: the attempt and the delivery row) and with a final state, not for
   * the passing "sending" state. A final state is told (and `then` runs) once it is committed.
   */
  private update(
    item: Pending,
    change: Partial<DeliveryOutcome>,
    at: number,
    attempt?: AttemptRecord,
    then?: () => void,
  ): void {
    const r = item.record;
    Object.assign(r, change, { updatedAt: new Date(at).toISOString() });
    const final = r.status === 'sent' || r.status === 'failed' || r.status === 'cancelled';
    const known = () => {
      this.publish(item);
      then?.();
    };
    if (attempt) this.deps.history.appendAttempt(item.id, attempt, stateOf(r), at, final ? known : undefined);
    else if (final) this.deps.history.setState(item.id, stateOf(r), at, known);
    if (!final) known();
  }

  private finalCancelled(item: Pending, why: string): void {
    this.deps.logger.info('delivery cancelled', { id: item.id, why });
    this.update(item, { status: 'cancelled', nextAttemptAt: null }, this.deps.clock.now(), undefined, () =>
      this.finished(item),
    );
  }

  private finished(item: Pending): void {
    this.live.delete(item.id);
    try {
      this.deps.onFinished?.(item.job, item.record);
    } catch (error) {
      this.deps.logger.error('onFinished hook failed', { error: String(error) });
    }
    item.finish(item.record);
  }

  private publish(item: Pending): void {
    this.deps.emit('delivery', { delivery: summaryOf(item.record) });
  }
}

function stateOf(r: DeliveryOutcome): DeliveryState {
  return {
    status: r.status,
    failureClass: r.failureClass,
    failure: r.failure,
    reply: r.reply,
    messageId: r.messageId,
    serverMessageId: r.serverMessageId,
    durationMs: r.durationMs,
    nextAttemptAt: r.nextAttemptAt ? Date.parse(r.nextAttemptAt) : null,
    accepted: r.accepted,
    rejected: r.rejected,
  };
}

export function summaryOf(r: DeliveryOutcome): DeliverySummary {
  return {
    id: r.id,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    kind: r.kind,
    status: r.status,
    siteId: r.siteId,
    siteName: r.siteName,
    connectorId: r.connectorId,
    connectorTitle: r.connectorTitle,
    cameraId: r.cameraId,
    cameraName: r.cameraName,
    runId: r.runId,
    subject: r.subject,
    from: r.from,
    to: r.to,
    attemptCount: r.attemptCount,
    failureClass: r.failureClass,
    reply: r.reply,
    messageId: r.messageId,
    durationMs: r.durationMs,
    nextAttemptAt: r.nextAttemptAt,
  };
}
