import type {
  DeliveryDetail,
  DeliveryKind,
  DeliveryStatus,
  FailureDetails,
} from '../../../shared/delivery.ts';
import type { AuthMethod, SecurityMode } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/result.ts';
import type { Clock, EventSink, HostLookup, Logger, SecretBox } from '../adapters.ts';
import type { AttemptRecord, DeliveryHistory, DeliveryState } from '../history/deliveries.ts';
import { classify, type ClassifyContext } from './classify.ts';
import type { ComposedMessage } from './compose.ts';
import { SmtpFailure, toSmtpFailure } from './failure.ts';
import type { PopTarget } from './pop3.ts';
import { SmtpSession, type Capabilities, type SmtpTarget } from './session.ts';
import { Transcript } from './transcript.ts';

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
  sender: string;
  trustedCertificatePem: string | null;
  connectionTimeoutSec: number;
  state: 'RUN' | 'STOPPED';
  mailDebug: boolean;
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
  /** Sessions open at once across all connectors. */
  globalSessions?: number;
  /** Called once per delivery when it reaches a final state. */
  onFinished?(job: DeliveryJob, detail: DeliveryDetail): void;
}

interface Pending {
  id: string;
  job: DeliveryJob;
  lane: Lane;
  attempt: number;
  firstStartedAt: number | null;
  finish: (detail: DeliveryDetail) => void;
}

interface Lane {
  key: string;
  connectorId: string;
  queue: Pending[];
  workers: number;
}

/** Session timeouts: the connector's timeout bounds every phase; nodemailer's minutes-long defaults never apply. */
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
    trustedCertificatePem: c.trustedCertificatePem,
    connectTimeoutMs: Math.min(timeoutMs, CONNECT_TIMEOUT_CAP_MS),
    greetingTimeoutMs: Math.min(timeoutMs, GREETING_TIMEOUT_CAP_MS),
    socketTimeoutMs: timeoutMs,
    debug: c.mailDebug,
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
  /** What each connector's server last advertised (SIZE, AUTH…), for planning runs. */
  readonly capabilities = new Map<string, Capabilities>();
  private closed = false;

  private readonly deps: EngineDeps;

  constructor(deps: EngineDeps) {
    this.deps = deps;
    this.limiter = new RateLimiter(deps.clock);
    this.globalCap = deps.globalSessions ?? DEFAULT_GLOBAL_SESSIONS;
  }

  submit(job: DeliveryJob): { id: string; done: Promise<DeliveryDetail> } {
    if (this.closed) throw new AppError('shutting-down', 'AlertDesk is closing; the message was not queued.');
    const connector = this.deps.connector(job.connectorId);
    if (!connector) throw new AppError('not-found', 'The connector no longer exists.', 'connectorId');
    const id = crypto.randomUUID();
    const now = this.deps.clock.now();
    this.deps.history.create({
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
      ...metaOf(job.message),
    });
    this.publish(id);
    const username = job.login?.username ?? connector.username;
    // Messages share a session only when they log in the same way: same connector, login and
    // secret. A camera with its own (perhaps revoked) app password must not ride on a session that
    // another camera's valid password opened.
    const secretRef = job.login ? (job.login.passwordSealed ?? '') : (connector.passwordSealed ?? '');
    const key = `${connector.id}\u0000${username}\u0000${secretRef}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { key, connectorId: connector.id, queue: [], workers: 0 };
      this.lanes.set(key, lane);
    }
    let finish!: (detail: DeliveryDetail) => void;
    const done = new Promise<DeliveryDetail>((resolve) => (finish = resolve));
    lane.queue.push({ id, job, lane, attempt: 0, firstStartedAt: null, finish });
    this.pump();
    return { id, done };
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

  private pump(): void {
    for (const lane of this.lanes.values()) {
      while (lane.queue.length > lane.workers) {
        const connector = this.deps.connector(lane.connectorId);
        const max = connector?.maxSessions ?? 1;
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
          this.pump();
        });
        this.idle.add(run);
      }
    }
  }

  private async work(lane: Lane): Promise<void> {
    let session: SmtpSession | null = null;
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
  private async attempt(item: Pending, reuse: SmtpSession | null): Promise<SmtpSession | null> {
    const { job } = item;
    const clock = this.deps.clock;
    item.attempt++;
    const startedAt = clock.now();
    item.firstStartedAt ??= startedAt;
    const transcript = new Transcript();
    const connector = this.deps.connector(job.connectorId);
    const username = job.login?.username ?? connector?.username ?? '';

    this.deps.history.setState(item.id, this.state('sending'), startedAt);
    this.publish(item.id);

    let session: SmtpSession | null = null;
    let failure: FailureDetails | null = null;
    let outcome: Awaited<ReturnType<SmtpSession['send']>> | null = null;
    let builtId: string | null = null;
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
      } else {
        reuse?.close();
        const sealed = job.login ? job.login.passwordSealed : connector.passwordSealed;
        const password = sealed ? await this.deps.secrets.open(sealed) : '';
        const popPassword = connector.pop?.passwordSealed
          ? await this.deps.secrets.open(connector.pop.passwordSealed)
          : '';
        session = await SmtpSession.open(
          targetFor(connector, username, password, popPassword),
          transcript,
          this.deps.lookup,
        );
        this.capabilities.set(connector.id, session.capabilities);
      }
      const message = 'build' in job.message ? await job.message.build() : job.message;
      builtId = message.messageId;
      outcome = await session.send(message, transcript);
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
      transcript.note(`Failed: ${failure.class} — ${failure.explanation}`);
    }

    const finishedAt = clock.now();
    const record: AttemptRecord = {
      n: item.attempt,
      startedAt,
      durationMs: Math.round(finishedAt - startedAt),
      outcome: failure ? 'failed' : 'sent',
      failure,
      accepted: outcome?.accepted ?? [],
      rejected: outcome?.rejected ?? [],
      response: outcome?.response ?? failure?.reply ?? null,
      timings: transcript.timings(),
      tls: session?.tls ?? null,
      transcript: transcript.lines(),
    };

    const maxAttempts = 1 + (connector?.retryDelaysSec.length ?? 0);
    const retry = failure !== null && failure.retryable && item.attempt < maxAttempts && !job.signal?.aborted;
    const delayMs = retry ? (connector!.retryDelaysSec[item.attempt - 1] ?? 0) * 1000 : 0;
    const status: DeliveryStatus = !failure ? 'sent' : retry ? 'retrying' : 'failed';
    this.deps.history.appendAttempt(
      item.id,
      record,
      {
        status,
        failureClass: failure?.class ?? null,
        failure,
        reply: outcome?.response ?? failure?.reply ?? null,
        messageId: outcome ? builtId : null,
        serverMessageId: outcome?.serverMessageId ?? null,
        durationMs: Math.round(finishedAt - item.firstStartedAt),
        nextAttemptAt: retry ? finishedAt + delayMs : null,
        accepted: outcome?.accepted ?? [],
        rejected: outcome?.rejected ?? [],
      },
      finishedAt,
    );
    this.publish(item.id);

    if (retry) {
      void clock.sleep(delayMs, job.signal).then(
        () => {
          if (this.closed) return this.finalCancelled(item, 'AlertDesk was closed before the retry.');
          item.lane.queue.push(item);
          if (!this.lanes.has(item.lane.key)) this.lanes.set(item.lane.key, item.lane);
          this.pump();
        },
        () => this.finalCancelled(item, 'Cancelled before the retry.'),
      );
    } else {
      this.finished(item);
    }
    return session;
  }

  private state(status: DeliveryStatus): DeliveryState {
    return {
      status,
      failureClass: null,
      failure: null,
      reply: null,
      messageId: null,
      serverMessageId: null,
      durationMs: null,
      nextAttemptAt: null,
      accepted: [],
      rejected: [],
    };
  }

  private finalCancelled(item: Pending, why: string): void {
    this.deps.logger.info('delivery cancelled', { id: item.id, why });
    const current = this.deps.history.detail(item.id);
    this.deps.history.setState(
      item.id,
      {
        ...this.state('cancelled'),
        failureClass: current?.failureClass ?? null,
        failure: current?.failure ?? null,
        reply: current?.reply ?? null,
        durationMs: current?.durationMs ?? null,
      },
      this.deps.clock.now(),
    );
    this.publish(item.id);
    this.finished(item);
  }

  private finished(item: Pending): void {
    const detail = this.deps.history.detail(item.id)!;
    try {
      this.deps.onFinished?.(item.job, detail);
    } catch (error) {
      this.deps.logger.error('onFinished hook failed', { error: String(error) });
    }
    item.finish(detail);
  }

  private publish(id: string): void {
    const summary = this.deps.history.summary(id);
    if (summary) this.deps.emit('delivery', { delivery: summary });
  }
}
