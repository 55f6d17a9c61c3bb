import { createHash } from 'node:crypto';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import type { SecurityMode } from '../../../shared/domain.ts';
import type { HostLookup } from '../adapters.ts';
import { SmtpFailure } from './failure.ts';
import { tlsOptionsFor } from './tls.ts';
import type { Transcript } from './transcript.ts';

export interface PopTarget {
  host: string;
  port: number;
  security: SecurityMode;
  username: string;
  password: string;
  apop: boolean;
  delayMs: number;
  trustedCertificatePem: string | null;
  timeoutMs: number;
}

/**
 * POP-before-SMTP (seed 001): log in to the POP3 server so that it opens SMTP relaying for this
 * address for a while, then wait the configured interval. USER/PASS or APOP, over plain, STLS or
 * implicit TLS.
 */
export async function popBeforeSmtp(
  target: PopTarget,
  transcript: Transcript,
  lookup: HostLookup,
): Promise<void> {
  const fail = (message: string, response: string | null = null) =>
    new SmtpFailure({
      stage: 'pop3',
      local: 'pop3',
      message,
      response,
      facts: { popHost: target.host, popPort: target.port },
    });

  const address = isIP(target.host) ? target.host : (await lookup(target.host).catch(() => []))[0]?.address;
  if (!address) throw fail(`POP3 host ${target.host} was not found`);

  let socket: Socket = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect({ host: address, port: target.port });
    s.setTimeout(target.timeoutMs, () => {
      s.destroy();
      reject(fail(`No answer from POP3 server ${target.host}:${target.port}`));
    });
    s.once('connect', () => resolve(s));
    s.once('error', (e) =>
      reject(fail(`Could not connect to POP3 server ${target.host}:${target.port}: ${e.message}`)),
    );
  });
  transcript.note(`POP3: connected to ${target.host}:${target.port}`);

  const tlsOptions = tlsOptionsFor(target.host, target.trustedCertificatePem);
  const upgrade = (plain: Socket) =>
    new Promise<Socket>((resolve, reject) => {
      const secure = tls.connect({ ...tlsOptions, socket: plain }, () => resolve(secure));
      secure.once('error', (e) => reject(fail(`POP3 TLS failed: ${e.message}`)));
    });
  if (target.security === 'tls') socket = await upgrade(socket);

  let buffer = '';
  let waiting: ((line: string) => void) | null = null;
  let closed: SmtpFailure | null = null;
  let onClosed: ((failure: SmtpFailure) => void) | null = null;
  // A server that hangs up mid-conversation is reported at once, not after the whole timeout.
  const closeListener = () => {
    closed = fail(`POP3 server ${target.host}:${target.port} closed the connection`);
    onClosed?.(closed);
  };
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const end = buffer.indexOf('\r\n');
    if (end >= 0 && waiting) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const w = waiting;
      waiting = null;
      w(line);
    }
  };
  const attach = (s: Socket) => {
    s.on('data', onData);
    s.once('close', closeListener);
  };
  const detach = (s: Socket) => {
    s.removeListener('data', onData);
    s.removeListener('close', closeListener);
  };
  const readLine = () =>
    new Promise<string>((resolve, reject) => {
      if (closed && !buffer.includes('\r\n')) {
        reject(closed);
        return;
      }
      const timer = setTimeout(() => reject(fail('POP3 server stopped answering')), target.timeoutMs);
      onClosed = (failure) => {
        clearTimeout(timer);
        waiting = null;
        reject(failure);
      };
      waiting = (line) => {
        clearTimeout(timer);
        onClosed = null;
        transcript.server(`POP3 ${line}`);
        resolve(line);
      };
      onData(Buffer.alloc(0));
    });
  const command = async (line: string, shown = line) => {
    transcript.client(`POP3 ${shown}`);
    socket.write(`${line}\r\n`);
    const reply = await readLine();
    if (!reply.startsWith('+OK')) throw fail(`POP3 server refused ${shown.split(' ')[0]}`, reply);
    return reply;
  };

  attach(socket);
  try {
    const greeting = await readLine();
    if (!greeting.startsWith('+OK')) throw fail('POP3 server did not greet', greeting);
    if (target.security === 'starttls') {
      await command('STLS');
      if (buffer.length > 0) {
        // RFC 2595 §4 / RFC 3207 §6: nothing received before the handshake may be used after it.
        // A server does not send anything here on its own: someone on the path is injecting.
        const bytes = Buffer.byteLength(buffer);
        buffer = '';
        transcript.note(`POP3: ${bytes} bytes arrived in plain text after the STLS reply; discarded`);
        throw fail(
          `The POP3 server sent ${bytes} bytes in plain text after agreeing to STLS, before the TLS handshake (a sign of command injection on the network path); AlertDesk stopped before logging in`,
        );
      }
      detach(socket);
      socket = await upgrade(socket);
      attach(socket);
      transcript.note('POP3: STLS established');
    }
    if (target.apop) {
      const stamp = /<[^>]+>/.exec(greeting)?.[0];
      if (!stamp) throw fail('The POP3 server does not offer APOP (no timestamp in its greeting)', greeting);
      const digest = createHash('md5')
        .update(stamp + target.password)
        .digest('hex');
      await command(`APOP ${target.username} ${digest}`, `APOP ${target.username} /* redacted */`);
    } else {
      await command(`USER ${target.username}`);
      await command(`PASS ${target.password}`, 'PASS /* redacted */');
    }
    await command('QUIT').catch(() => undefined);
  } finally {
    socket.destroy();
  }
  if (target.delayMs > 0) await new Promise((r) => setTimeout(r, target.delayMs));
}
