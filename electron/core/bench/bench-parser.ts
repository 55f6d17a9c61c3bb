import { Worker } from 'node:worker_threads';
import type { Logger } from '../adapters.ts';
import {
  extractAttachment,
  headerBlockOf,
  parseBenchMessage,
  unreadableMessage,
  type ParsedBenchMessage,
} from './bench-parse.ts';

export interface ToBenchWorker {
  id: number;
  raw: ArrayBuffer;
  /** Set: return this attachment's bytes instead of the parsed message. */
  extract?: number;
}
export type FromBenchWorker =
  | { id: number; result: ParsedBenchMessage }
  | { id: number; attachment: { filename: string; bytes: Uint8Array } | null }
  | { id: number; error: string };

export type Attachment = { filename: string; bytes: Uint8Array };

interface Job {
  id: number;
  raw: Buffer;
  bytes: number;
  extract: number | undefined;
  /** Called once: with the worker's reply, or with null and why there is none. */
  settle: (reply: FromBenchWorker | null, why: string) => void;
}

const unreadable = (headerBlock: string, why: string) => unreadableMessage(headerBlock, [why]);

const STOPPED = 'The bench inbox was stopped while reading it.';

/**
 * Parses bench messages one at a time in a worker thread, so a 25 MB message or a burst of large
 * snapshots never holds up the app's event loop (the window, the SMTP sessions of a run). A
 * message that takes longer than `timeoutMs` costs the thread its life: it is ended, the message is
 * kept as unreadable, and the next message starts a fresh thread. Without a script, messages are
 * parsed in this thread (tests of the parsing itself).
 */
export class BenchParser {
  private worker: Worker | null = null;
  private readonly queue: Job[] = [];
  private current: { job: Job; timer: NodeJS.Timeout } | null = null;
  private nextId = 1;
  private closed = false;
  private readonly script: URL | null;
  private readonly logger: Logger;
  private readonly timeoutMs: number;

  constructor(script: URL | null, logger: Logger, timeoutMs = 30_000) {
    this.script = script;
    this.logger = logger;
    this.timeoutMs = timeoutMs;
  }

  /** Messages waiting or being parsed. */
  get backlog(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  /**
   * Never rejects: a message the parser cannot read resolves with the reason as a problem. The
   * buffer is handed to the parsing thread (not copied) when it owns its memory: the caller must
   * not use it afterwards.
   */
  parse(raw: Buffer): Promise<ParsedBenchMessage> {
    if (!this.script) return parseBenchMessage(raw);
    const headerBlock = headerBlockOf(raw);
    return new Promise((resolve) =>
      this.enqueue(raw, undefined, (reply, why) =>
        resolve(
          reply && 'result' in reply
            ? reply.result
            : unreadable(
                headerBlock,
                reply && 'error' in reply
                  ? `The message could not be read (${reply.error}): only its envelope is shown.`
                  : why,
              ),
        ),
      ),
    );
  }

  /** One attachment's bytes (the full-size snapshot); rejects when it cannot be read. */
  attachment(raw: Buffer, index: number): Promise<Attachment | null> {
    if (!this.script) return extractAttachment(raw, index);
    return new Promise((resolve, reject) =>
      this.enqueue(raw, index, (reply, why) => {
        if (reply && 'attachment' in reply) resolve(reply.attachment);
        else reject(new Error(reply && 'error' in reply ? reply.error : why));
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.settle(null, STOPPED);
    this.finish(null, STOPPED);
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private enqueue(raw: Buffer, extract: number | undefined, settle: Job['settle']): void {
    if (this.closed) {
      settle(null, STOPPED);
      return;
    }
    this.queue.push({ id: this.nextId++, raw, bytes: raw.length, extract, settle });
    this.pump();
  }

  private pump(): void {
    if (this.current || this.queue.length === 0) return;
    const job = this.queue.shift()!;
    const worker = this.start();
    const timer = setTimeout(() => {
      this.logger.warn('bench: a message took too long to read; its parsing thread was restarted', {
        bytes: job.bytes,
        timeoutMs: this.timeoutMs,
      });
      const stuck = this.worker;
      this.worker = null;
      void stuck?.terminate();
      this.finish(
        null,
        `The message could not be read within ${Math.round(this.timeoutMs / 1000)} s (${job.bytes} bytes): only its envelope is shown.`,
      );
    }, this.timeoutMs);
    this.current = { job, timer };
    // A large message's buffer owns its memory: it moves to the thread instead of being copied
    // (19 MB copied is ~20 ms of this event loop). A small one sits in Node's shared pool: copied.
    const raw = job.raw;
    const owned =
      raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer;
    const copy = owned ? (raw.buffer as ArrayBuffer) : new Uint8Array(raw).buffer;
    const message: ToBenchWorker = {
      id: job.id,
      raw: copy,
      ...(job.extract === undefined ? {} : { extract: job.extract }),
    };
    worker.postMessage(message, [copy]);
  }

  private finish(reply: FromBenchWorker | null, why: string): void {
    const current = this.current;
    if (!current) return;
    this.current = null;
    clearTimeout(current.timer);
    current.job.settle(reply, why);
    this.pump();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script!);
    worker.unref();
    worker.on('message', (m: FromBenchWorker) => {
      if (this.current?.job.id === m.id) this.finish(m, '');
    });
    const died = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.logger.error('bench: the parsing thread stopped', { why });
      this.finish(
        null,
        `Reading the message stopped its parsing thread (${why}): only its envelope is shown.`,
      );
    };
    worker.on('error', (error) => died(String(error)));
    worker.on('exit', (code) => died(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }
}
