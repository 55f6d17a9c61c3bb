import type { Server, Socket } from 'node:net';

export interface ReplyDelayStats {
  /** TCP connections accepted so far. */
  connections: number;
  /** Connections open now, and the most ever open at once (closing ones included). */
  open: number;
  peakOpen: number;
  /**
   * SMTP sessions in use now and at most at once: from the accepted connection until the client
   * sends QUIT (or hangs up). A client that says QUIT does not wait for the 221, so a connection
   * still waiting for it is no longer a session the client is holding; one that sent QUIT along
   * with a message (pipelined) holds it until the reply to the message reaches it.
   */
  sessions: number;
  peakSessions: number;
  /** Sum over connections of the time they were sessions (ms): divided by a wall time, the mean concurrency. */
  sessionMs: number;
  /** Complete SMTP replies (the final line of each) sent to clients, by reply code. */
  replies: Record<string, number>;
  /**
   * Round trips the clients waited for: server answers to something the client sent (or to its
   * connecting, for the greeting). Replies to pipelined commands are written together and are one
   * wait; the answer to a QUIT sent alone is not waited for and is counted in `quitTurns` instead.
   */
  roundTrips: number;
  quitTurns: number;
  /** Server writes delayed. */
  chunks: number;
  /** Writes and closings released, and how long they were actually held in all (ms): a busy server or timer granularity adds to delayMs. */
  held: number;
  heldMs: number;
}

export interface ReplyDelay {
  stats(): ReplyDelayStats;
  /** Forgets the counters (peaks restart from what is open now). */
  reset(): void;
  /** Sends whatever is still held at once and stops delaying. */
  stop(): void;
}

const fresh = (): ReplyDelayStats => ({
  connections: 0,
  open: 0,
  peakOpen: 0,
  sessions: 0,
  peakSessions: 0,
  sessionMs: 0,
  replies: {},
  roundTrips: 0,
  quitTurns: 0,
  chunks: 0,
  held: 0,
  heldMs: 0,
});

type Held = {
  due: number;
  socket: Socket;
  chunk: string | Uint8Array | null;
  /** The delay it was given (0 once the line is stopped). */
  delay: number;
  /** Called when the chunk reaches the client (the last reply a client that sent QUIT waited for). */
  released?: () => void;
};

/**
 * Makes a local server behave like one a network round trip away: every write the server makes
 * on an accepted connection (an SMTP reply, and the closing of the connection) reaches the wire
 * `delayMs` late; what the client sends arrives at once. Installed on the server's listening
 * socket (smtp-server's `server.server`) before it sees a connection, so the greeting is delayed
 * too. Counts what a latency bound is computed from: awaited round trips, concurrent sessions.
 *
 * Every write is due the same time after it was made, so one queue in due order and one timer
 * serve all connections — the mail side of a benchmark spends its CPU on SMTP, not on timers.
 */
export function delayReplies(server: Server, delayMs: number): ReplyDelay {
  let stats = fresh();
  let stopped = false;
  const queue: Held[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | null = null;
  const originals = new WeakMap<
    Socket,
    { write: (chunk: string | Uint8Array) => boolean; end: () => Socket }
  >();

  const release = (held: Held) => {
    const { socket, chunk } = held;
    held.released?.();
    stats.held++;
    stats.heldMs += performance.now() - held.due + held.delay;
    const original = originals.get(socket)!;
    if (socket.destroyed) return;
    if (chunk === null) original.end();
    else original.write(chunk);
  };
  const drain = () => {
    timer = null;
    const now = performance.now();
    while (head < queue.length && queue[head]!.due <= now + 0.5) release(queue[head++]!);
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    if (head < queue.length) timer = setTimeout(drain, Math.max(0, queue[head]!.due - now));
  };
  const hold = (socket: Socket, chunk: Held['chunk'], released?: () => void) => {
    const now = performance.now();
    if (stopped) return release({ due: now, delay: 0, socket, chunk, ...(released ? { released } : {}) });
    queue.push({ due: now + delayMs, delay: delayMs, socket, chunk, ...(released ? { released } : {}) });
    timer ??= setTimeout(drain, delayMs);
  };

  server.prependListener('connection', (socket: Socket) => {
    stats.connections++;
    stats.peakOpen = Math.max(stats.peakOpen, ++stats.open);
    stats.sessions++;
    // Taken once this turn's reads are done: a client that sent QUIT on one connection and opened the
    // next at once must not count twice because the accept was handled before the QUIT was read.
    setImmediate(() => (stats.peakSessions = Math.max(stats.peakSessions, stats.sessions)));
    const openedAt = performance.now();
    let inSession = true;
    const endSession = () => {
      if (!inSession) return;
      inSession = false;
      stats.sessions--;
      stats.sessionMs += performance.now() - openedAt;
    };
    socket.once('close', () => {
      endSession();
      stats.open--;
    });

    // Connecting is what the greeting answers.
    let clientSpoke = true;
    let quitSent = false;
    /**
     * QUIT came along with commands or message data still unanswered (RFC 2920 pipelining): the
     * client holds the session until the reply to those reaches it.
     */
    let awaitingLast = false;
    let lastWriteAt = -Infinity;
    let clientLine = '';
    socket.on('data', (chunk: Buffer) => {
      // Whether the client had sent anything the server has not answered yet, before this chunk.
      const clientSpokeBefore = clientSpoke;
      clientSpoke = true;
      if (!inSession) return;
      clientLine += chunk.toString('latin1');
      const answered = !clientSpokeBefore;
      const lines = clientLine.split('\r\n');
      clientLine = lines.pop()!.slice(-64);
      // Only a bare QUIT line counts; message bodies sent by the benchmarks never contain one.
      const quitAt = lines.findIndex((l) => /^QUIT$/i.test(l));
      if (quitAt >= 0) {
        quitSent = true;
        if (answered && quitAt === 0) endSession();
        else awaitingLast = true;
      }
    });

    let serverLine = '';
    originals.set(socket, {
      write: socket.write.bind(socket) as (chunk: string | Uint8Array) => boolean,
      end: socket.end.bind(socket) as () => Socket,
    });
    socket.write = ((chunk: string | Uint8Array) => {
      stats.chunks++;
      const now = performance.now();
      // A new wait needs something from the client since the last answer, and time: the server may
      // answer pipelined commands in several writes that reach the client together.
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
      if (clientSpoke && now - lastWriteAt >= delayMs / 2) {
        if (quitSent && !awaitingLast) stats.quitTurns++;
        else stats.roundTrips++;
      }
      clientSpoke = false;
      lastWriteAt = now;
      // The reply a client that pipelined QUIT still waited for ends its session when it arrives.
      let released: (() => void) | undefined;
      if (awaitingLast) {
        awaitingLast = false;
        if (/^221[ -]/.test(text)) endSession();
        else released = endSession;
      }
      serverLine += text;
      const lines = serverLine.split('\r\n');
      serverLine = lines.pop()!;
      for (const line of lines) {
        const final = /^(\d{3})(?: |$)/.exec(line);
        if (final) stats.replies[final[1]!] = (stats.replies[final[1]!] ?? 0) + 1;
      }
      hold(socket, chunk, released);
      return true;
    }) as Socket['write'];
    socket.end = ((chunk?: string | Uint8Array | (() => void)) => {
      if (chunk !== undefined && typeof chunk !== 'function') socket.write(chunk);
      hold(socket, null);
      return socket;
    }) as Socket['end'];
  });

  return {
    stats: () => ({ ...stats, replies: { ...stats.replies } }),
    reset() {
      const { open, sessions } = stats;
      stats = { ...fresh(), open, sessions, peakOpen: open, peakSessions: sessions };
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      while (head < queue.length) release(queue[head++]!);
      queue.length = 0;
      head = 0;
    },
  };
}
