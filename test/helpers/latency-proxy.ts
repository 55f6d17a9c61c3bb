import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

export interface LatencyProxyOptions {
  /** The real server behind the proxy (loopback only: tests and benchmarks never leave the machine). */
  target: { host: '127.0.0.1'; port: number };
  /** Every server→client chunk is held this long; client→server data passes at once. */
  delayMs: number;
}

export interface LatencyStats {
  /** TCP connections accepted so far. */
  connections: number;
  /** Connections open now, and the most ever open at once (closing ones included). */
  open: number;
  peakOpen: number;
  /**
   * SMTP sessions in use now and at most at once: from the accepted connection until the client
   * sends QUIT (or hangs up). A client that says QUIT does not wait for the 221, so a connection
   * still waiting for it is no longer a session the client is holding.
   */
  sessions: number;
  peakSessions: number;
  /** Sum over connections of the time they were sessions (ms): divided by a wall time, the mean concurrency. */
  sessionMs: number;
  /** Complete SMTP replies (the final line of each) passed to clients, by reply code. */
  replies: Record<string, number>;
  /**
   * Round trips the clients waited for: server answers to something the client sent (or to its
   * connecting, for the greeting). Replies to pipelined commands arrive together and are one wait;
   * the answer to QUIT is not waited for and is counted in `quitTurns` instead.
   */
  roundTrips: number;
  quitTurns: number;
  /** Server→client chunks delayed. */
  chunks: number;
}

export interface LatencyProxy {
  port: number;
  stats(): LatencyStats;
  /** Forgets the counters (peaks restart from what is open now). */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a local SMTP server that adds a fixed delay to every reply, so a
 * loopback server behaves like one a network round trip away. Chunks keep their order on each
 * connection, and the proxy counts the replies and concurrent sessions it sees, which is what a
 * latency bound has to be computed from.
 */
export async function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  const { delayMs } = options;
  const fresh = () => ({
    connections: 0,
    open: 0,
    peakOpen: 0,
    sessions: 0,
    peakSessions: 0,
    sessionMs: 0,
    replies: {} as Record<string, number>,
    roundTrips: 0,
    quitTurns: 0,
    chunks: 0,
  });
  let stats = fresh();
  const sockets = new Set<Socket>();

  const server = createServer({ noDelay: true }, (client) => {
    sockets.add(client);
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
    let closed = false;
    const closeBoth = () => {
      if (closed) return;
      closed = true;
      endSession();
      stats.open--;
      sockets.delete(client);
      client.destroy();
      upstream.destroy();
    };

    const upstream = connect({ host: options.target.host, port: options.target.port, noDelay: true });
    // Client data before the upstream is connected is buffered by the socket itself.
    let clientLine = '';
    // Connecting is what the greeting answers.
    let clientSpoke = true;
    let quitSent = false;
    let lastServerChunkAt = -Infinity;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      clientSpoke = true;
      if (!inSession) return;
      clientLine += chunk.toString('latin1');
      const lines = clientLine.split('\r\n');
      clientLine = lines.pop()!.slice(-64);
      // Only a bare QUIT line counts; message bodies sent by the benchmarks never contain one.
      if (lines.some((l) => /^QUIT$/i.test(l))) {
        quitSent = true;
        endSession();
      }
    });

    // The delay line: each chunk is due delayMs after it arrived; one timer serves the head.
    const queue: Array<{ due: number; chunk: Buffer | null }> = [];
    let timer: NodeJS.Timeout | null = null;
    let serverLine = '';
    const drain = () => {
      timer = null;
      const now = performance.now();
      while (queue.length && queue[0]!.due <= now + 0.5) {
        const { chunk } = queue.shift()!;
        if (chunk === null) client.end();
        else if (!client.destroyed) client.write(chunk);
      }
      if (queue.length) timer = setTimeout(drain, Math.max(0, queue[0]!.due - now));
    };
    const delay = (chunk: Buffer | null) => {
      queue.push({ due: performance.now() + delayMs, chunk });
      if (!timer) timer = setTimeout(drain, delayMs);
    };
    upstream.on('data', (chunk: Buffer) => {
      stats.chunks++;
      const now = performance.now();
      // A new wait needs something from the client since the last answer, and time: the server may
      // answer pipelined commands in several writes that reach the client together.
      if (clientSpoke && now - lastServerChunkAt >= delayMs / 2) {
        if (quitSent) stats.quitTurns++;
        else stats.roundTrips++;
      }
      clientSpoke = false;
      lastServerChunkAt = now;
      serverLine += chunk.toString('latin1');
      const lines = serverLine.split('\r\n');
      serverLine = lines.pop()!;
      for (const line of lines) {
        const final = /^(\d{3})(?: |$)/.exec(line);
        if (final) stats.replies[final[1]!] = (stats.replies[final[1]!] ?? 0) + 1;
      }
      delay(chunk);
    });
    upstream.on('end', () => delay(null));
    client.on('end', () => {
      endSession();
      upstream.end();
    });
    client.on('close', closeBoth);
    upstream.on('close', () => {
      // The server's last words are still in the delay line: close only after they went out.
      if (queue.length === 0) closeBoth();
      else client.once('finish', closeBoth);
    });
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stats: () => ({ ...stats, replies: { ...stats.replies } }),
    reset() {
      const { open, sessions } = stats;
      stats = { ...fresh(), open, sessions, peakOpen: open, peakSessions: sessions };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
