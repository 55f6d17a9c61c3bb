import { createServer, type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import type { TestCertificate } from './certs.ts';

/**
 * A loopback SMTP peer whose every answer the test writes: `answer` gets each command line (and,
 * after a 354, the message data with its final dot) and the connection to reply on. For the
 * behaviours no real server shows on purpose: replies split or joined oddly, echoes, injections.
 */
export interface PeerConnection {
  /** The socket replies go out on (the TLS one after `upgrade`). */
  socket: Socket;
  /** Writes `text` and a CRLF. */
  say(text: string): void;
  /** Writes bytes as they are. */
  raw(bytes: string | Buffer): void;
  /** Turns this connection into TLS (server side) with `cert`; lines are then read from it. */
  upgrade(cert: TestCertificate): void;
  /** Set by the test: the message data follows the next DATA (default when 354 was said). */
  secure: boolean;
}

export interface SmtpPeer {
  port: number;
  /** Every command line received, across connections, in order. */
  commands: string[];
  /** Each message's data (up to and with the final dot). */
  messages: string[];
  connections: number;
  /** Each 'data' event, as text (what arrived together). */
  chunks: string[];
  close(): Promise<void>;
}

export type PeerAnswer = (line: string, conn: PeerConnection) => void;

export async function startSmtpPeer(
  answer: PeerAnswer,
  options: { greeting?: string | null; host?: string } = {},
): Promise<SmtpPeer> {
  const sockets = new Set<Socket>();
  const server = createServer((plain) => {
    peer.connections++;
    sockets.add(plain);
    plain.on('error', () => {});
    let buffer = '';
    let inData = false;
    let lastSaid = '';
    const conn: PeerConnection = {
      socket: plain,
      secure: false,
      say(text) {
        lastSaid = text;
        if (!conn.socket.destroyed) conn.socket.write(`${text}\r\n`);
      },
      raw(bytes) {
        if (!conn.socket.destroyed) conn.socket.write(bytes);
      },
      upgrade(cert) {
        plain.removeListener('data', onData);
        buffer = '';
        const secure = new tls.TLSSocket(plain, { isServer: true, key: cert.key, cert: cert.cert });
        secure.on('error', () => {});
        secure.on('data', onData);
        conn.socket = secure;
        conn.secure = true;
      },
    };
    const onData = (data: Buffer) => {
      peer.chunks.push(data.toString('latin1'));
      buffer += data.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.startsWith('.\r\n') ? -2 : buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          const message = buffer.slice(0, end + 5);
          buffer = buffer.slice(end + 5);
          inData = false;
          peer.messages.push(message);
          answer(message, conn);
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0 || conn.socket.destroyed) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        peer.commands.push(line);
        answer(line, conn);
        if (/^DATA$/i.test(line)) inData = lastSaid.startsWith('354');
      }
    };
    plain.on('data', onData);
    const greeting = options.greeting === undefined ? '220 peer.test ESMTP' : options.greeting;
    if (greeting !== null) conn.say(greeting);
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const peer: SmtpPeer = {
    port: (server.address() as AddressInfo).port,
    commands: [],
    messages: [],
    connections: 0,
    chunks: [],
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return peer;
}

/** An EHLO reply: the host line, then the extension lines. */
export const ehloReply = (extensions: string[]) => {
  const all = ['peer.test', ...extensions];
  return all.map((e, i) => `250${i === all.length - 1 ? ' ' : '-'}${e}`).join('\r\n');
};

/**
 * A peer that answers EHLO with `extensions` and everything else by `rest`: a reply, null for the
 * usual one (235 to AUTH, 354 to DATA, 221 to QUIT, 250 otherwise), or undefined when `rest`
 * answered (or chose silence) itself.
 */
export const ehloThen =
  (
    extensions: string[],
    rest: (line: string, conn: PeerConnection) => string | null | undefined = () => null,
  ) =>
  (line: string, conn: PeerConnection) => {
    if (/^EHLO /i.test(line)) return conn.say(ehloReply(extensions));
    const reply = rest(line, conn);
    if (reply === undefined) return;
    if (reply !== null) return conn.say(reply);
    if (/^AUTH /i.test(line)) return conn.say('235 2.7.0 Authentication successful');
    if (/^DATA$/i.test(line)) return conn.say('354 go ahead');
    if (/^QUIT$/i.test(line)) {
      conn.say('221 bye');
      conn.socket.end();
      return;
    }
    conn.say(line.endsWith('\r\n.\r\n') ? '250 2.0.0 Ok: queued as P1' : '250 Ok');
  };
