import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TranscriptLine, TlsDetails } from '../../../shared/delivery.ts';
import type { HostLookup, Logger } from '../adapters.ts';
import type { ComposedMessage } from './compose.ts';
import { SmtpFailure, type RawFailure } from './failure.ts';
import { resolveHost, SmtpSession, type Capabilities, type SendOutcome, type SmtpTarget } from './session.ts';
import { secretForms, type Transcript, type TranscriptSnapshot } from './transcript.ts';

/** What the delivery engine needs of an SMTP session, wherever its socket lives. */
export interface DeliverySession {
  readonly openedAt: number;
  readonly messagesSent: number;
  readonly usable: boolean;
  readonly openingLines: TranscriptLine[];
  /** Known once the session is open (with its first message, for the delivery thread's). */
  readonly capabilities: Capabilities | null;
  readonly tls: TlsDetails | null;
  send(message: ComposedMessage, transcript: Transcript): Promise<SendOutcome>;
  quit(): void;
  close(): void;
}

export type SessionOpener = (
  target: SmtpTarget,
  transcript: Transcript,
  lookup: HostLookup,
) => Promise<DeliverySession>;

/** Sessions in this thread: what diagnostics use, and the engine when no delivery thread is set up. */
export const openInProcess: SessionOpener = (target, transcript, lookup) =>
  SmtpSession.open(target, transcript, lookup);

// ── The protocol between the engine's thread and the delivery thread (smtp-worker.ts) ─────────────

type WireMessage = Pick<ComposedMessage, 'raw' | 'envelopeFrom' | 'recipients'>;

export type ToDeliveryThread =
  /** Opens a session and sends its first message: one round trip between the threads, not two. */
  | {
      op: 'open-send';
      id: number;
      sid: number;
      target: SmtpTarget;
      addresses: string[];
      message: WireMessage;
    }
  | { op: 'send'; id: number; sid: number; message: WireMessage }
  | { op: 'quit'; sid: number }
  | { op: 'close'; sid: number };

/** What a session opened in the delivery thread reports about itself. */
export interface OpenedSession {
  capabilities: Capabilities;
  tls: TlsDetails | null;
  /** How many of the transcript's first lines are the session's opening (connect … AUTH). */
  openingLineCount: number;
}

export type FromDeliveryThread =
  | {
      type: 'done';
      id: number;
      transcript: TranscriptSnapshot;
      /** Set when this request opened the session (and the opening succeeded). */
      opened: OpenedSession | null;
      outcome: SendOutcome | null;
      failure: RawFailure | null;
    }
  /** The server or the network ended a session between messages. */
  | { type: 'broken'; sid: number };

type Reply = Extract<FromDeliveryThread, { type: 'done' }>;

/** Logical cores from which deliveries' SMTP sessions run in the delivery thread. */
export const DELIVERY_THREAD_MIN_CORES = 4;

/**
 * Whether the delivery thread pays on a computer with `cores` logical cores. The thread takes the
 * sessions' work off the main process's event loop and onto another core, but handing every message
 * over and back costs CPU: bench:bulk on 2 cores measured ~1.8 ms of CPU a message in one thread
 * against ~2.2 ms with the delivery thread, and a slower run. It pays only when a core is free for
 * it — and the app's renderer and GPU processes want theirs too — so from 4 cores.
 */
export function deliveryThreadPays(cores: number = availableParallelism()): boolean {
  return cores >= DELIVERY_THREAD_MIN_CORES;
}

/**
 * SMTP sessions in a worker thread: the sockets, TLS and nodemailer's SMTP dialogue run there, and
 * the engine — queues, retries, classification, history — stays in the main process, which is then
 * free for the window (a 1,000-camera run kept it ~85 % busy) and gets a second core on the work.
 * DNS is resolved here with the engine's lookup and the addresses are handed over; a session opens
 * in the thread together with its first message. POP-before-SMTP connectors (rare, and their POP3
 * login needs the lookup too) keep their sessions in this thread. Credentials are scrubbed from
 * transcripts in the worker, before anything crosses back.
 */
export class DeliveryThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private readonly sessions = new Map<number, RemoteSession>();
  private readonly script: URL;
  private readonly logger: Logger;

  constructor(script: URL, logger: Logger) {
    this.script = script;
    this.logger = logger;
  }

  /** Starts the thread now, so the first test does not wait for it to load (~0.3 s). */
  warmUp(): void {
    this.start();
  }

  readonly open: SessionOpener = async (target, transcript, lookup) => {
    if (target.auth === 'pop-before-smtp') return SmtpSession.open(target, transcript, lookup);
    const addresses = await resolveHost(target.host, transcript, lookup);
    transcript.protect(secretForms(target.username, target.password));
    const session = new RemoteSession(this, this.nextId++, target, addresses);
    this.sessions.set(session.sid, session);
    return session;
  };

  /** @internal Sends one message (opening the session first when `open` is given). */
  async send(
    sid: number,
    open: { target: SmtpTarget; addresses: string[] } | null,
    message: ComposedMessage,
    transcript: Transcript,
  ): Promise<{ outcome: SendOutcome | null; failure: SmtpFailure | null; opened: OpenedSession | null }> {
    const id = this.nextId++;
    const wire: WireMessage = {
      raw: message.raw,
      envelopeFrom: message.envelopeFrom,
      recipients: message.recipients,
    };
    const reply = await this.ask(
      open ? { op: 'open-send', id, sid, ...open, message: wire } : { op: 'send', id, sid, message: wire },
    );
    transcript.absorb(reply.transcript);
    return {
      outcome: reply.outcome,
      failure: reply.failure ? new SmtpFailure(reply.failure) : null,
      opened: reply.opened,
    };
  }

  /** @internal */
  end(sid: number, how: 'quit' | 'close', opened: boolean): void {
    this.sessions.delete(sid);
    if (!opened) return;
    const message: ToDeliveryThread = how === 'quit' ? { op: 'quit', sid } : { op: 'close', sid };
    this.worker?.postMessage(message);
  }

  /** Stops the thread; sessions still open are cut. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private ask(message: Extract<ToDeliveryThread, { id: number }>): Promise<Reply> {
    const worker = this.start();
    return new Promise<Reply>((resolve) => {
      this.waiting.set(message.id, resolve);
      worker.postMessage(message);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script);
    // An idle thread does not keep AlertDesk (or a test) alive; close() ends it.
    worker.unref();
    worker.on('message', (m: FromDeliveryThread) => {
      if (m.type === 'broken') {
        this.sessions.get(m.sid)?.markBroken();
        return;
      }
      const resolve = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      resolve?.(m);
    });
    const fail = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.logger.error('delivery thread stopped', { why });
      // Whatever was in flight there is lost: those attempts fail (and are retried like any other).
      const transcript: TranscriptSnapshot = {
        startedAt: performance.timeOrigin + performance.now(),
        lines: [],
        steps: [],
        current: null,
      };
      const failure = new SmtpFailure({
        code: 'ECONNECTION',
        message: `AlertDesk's delivery thread stopped: ${why}`,
      }).raw;
      for (const [id, resolve] of this.waiting)
        resolve({ type: 'done', id, transcript, opened: null, outcome: null, failure });
      this.waiting.clear();
      for (const session of this.sessions.values()) session.markBroken();
      this.sessions.clear();
    };
    worker.on('error', (error) => fail(String(error)));
    worker.on('exit', (code) => fail(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }
}

class RemoteSession implements DeliverySession {
  readonly openedAt = Date.now();
  messagesSent = 0;
  capabilities: Capabilities | null = null;
  tls: TlsDetails | null = null;
  openingLines: TranscriptLine[] = [];
  private broken = false;
  /** Until its first message, the session exists only here: this is what opens it. */
  private pending: { target: SmtpTarget; addresses: string[] } | null;
  private readonly thread: DeliveryThread;
  readonly sid: number;

  constructor(thread: DeliveryThread, sid: number, target: SmtpTarget, addresses: string[]) {
    this.thread = thread;
    this.sid = sid;
    this.pending = { target, addresses };
  }

  get usable(): boolean {
    return !this.broken;
  }

  markBroken(): void {
    this.broken = true;
  }

  async send(message: ComposedMessage, transcript: Transcript): Promise<SendOutcome> {
    const open = this.pending;
    this.pending = null;
    const before = transcript.lines().length;
    const { outcome, failure, opened } = await this.thread.send(this.sid, open, message, transcript);
    if (opened) {
      this.capabilities = opened.capabilities;
      this.tls = opened.tls;
      this.openingLines = transcript.lines().slice(before, before + opened.openingLineCount);
    }
    if (failure || !outcome) {
      this.broken = true;
      throw failure ?? new SmtpFailure({ message: 'The delivery thread gave no answer.' });
    }
    this.messagesSent++;
    return outcome;
  }

  quit(): void {
    this.end('quit');
  }

  close(): void {
    this.end('close');
  }

  private end(how: 'quit' | 'close'): void {
    this.broken = true;
    this.thread.end(this.sid, how, this.pending === null);
    this.pending = null;
  }
}
