import { open } from 'node:fs/promises';
import { createServer, isIP, type AddressInfo, type Server, type Socket } from 'node:net';

export interface PopLogin {
  user: string;
  ip: string;
  /** Unix time in seconds, from Dovecot's log timestamp. */
  at: number;
}

export interface PopBeforeSmtpTable {
  port: number;
  /** Forget every POP3 login so far: the relay port is closed again until the next one. */
  reset(): Promise<void>;
  /** POP3 logins seen since the last reset, oldest first. */
  logins(): Promise<PopLogin[]>;
  /** The lookups Postfix made and what it was told, for assertions and debugging. */
  lookups: Array<{ key: string; found: boolean }>;
  close(): Promise<void>;
}

// `1795261342 pop3-login: Info: Login: user=<alerts@example.test>, method=PLAIN, rip=127.0.0.1, …`
const LOGIN_LINE = /^(\d+) pop3-login: Info: Login: user=<([^>]*)>, .*?\brip=([0-9a-fA-F.:]+)/;

/**
 * Postfix's side of POP-before-SMTP, the way the classic pop-before-smtp daemons do it: watch the
 * POP3 server's log for logins and allow the logged-in client address to send mail for a while.
 * This is a Postfix tcp_table server (`check_client_access tcp:127.0.0.1:PORT`): Postfix asks
 * `get <key>` for the client's name, address and networks; an address with a POP3 login in
 * Dovecot's log during the last `windowSec` seconds gets `200 OK`, anything else `500`.
 */
export async function startPopBeforeSmtpTable(
  dovecotLog: string,
  windowSec: number,
): Promise<PopBeforeSmtpTable> {
  let offset = 0;
  let partial = '';
  let seen: PopLogin[] = [];

  /** Reads what Dovecot appended to its log since the last call. */
  const scan = async () => {
    const file = await open(dovecotLog, 'r').catch(() => null);
    if (!file) return;
    try {
      const { size } = await file.stat();
      if (size < offset) {
        offset = 0;
        partial = '';
      }
      if (size === offset) return;
      const chunk = Buffer.alloc(size - offset);
      const { bytesRead } = await file.read(chunk, 0, chunk.length, offset);
      offset += bytesRead;
      const lines = (partial + chunk.subarray(0, bytesRead).toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const m = LOGIN_LINE.exec(line);
        if (m) seen.push({ at: Number(m[1]), user: m[2] ?? '', ip: m[3] ?? '' });
      }
    } finally {
      await file.close();
    }
  };

  const allowed = (ip: string) => {
    const now = Date.now() / 1000;
    return seen.some((l) => l.ip === ip && now - l.at <= windowSec);
  };

  const lookups: PopBeforeSmtpTable['lookups'] = [];
  const answer = async (key: string): Promise<string> => {
    await scan();
    // Dovecot's log process may write the login line a moment after the client got `+OK`.
    if (!allowed(key) && isIP(key)) {
      await new Promise((r) => setTimeout(r, 150));
      await scan();
    }
    const found = allowed(key);
    lookups.push({ key, found });
    return found ? '200 OK\n' : '500 no%20POP3%20login%20from%20this%20address\n';
  };

  /** One request line: `get <%-encoded key>`. */
  const answerRequest = async (line: string): Promise<string> => {
    const m = /^get (.*)$/.exec(line);
    if (!m) return '400 unsupported%20request\n';
    let key: string;
    try {
      key = decodeURIComponent(m[1] ?? '');
    } catch {
      return '400 badly%20encoded%20key\n';
    }
    return answer(key);
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = '';
    let chain = Promise.resolve();
    socket.on('data', (data) => {
      buffer += data.toString('latin1');
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end).replace(/\r$/, '');
        buffer = buffer.slice(end + 1);
        chain = chain.then(async () => {
          const reply = await answerRequest(line);
          if (!socket.destroyed) socket.write(reply);
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    lookups,
    async reset() {
      await scan();
      seen = [];
    },
    async logins() {
      await scan();
      return [...seen];
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
