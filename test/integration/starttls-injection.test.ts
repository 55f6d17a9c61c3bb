import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpFailure } from '../../electron/core/mail/failure.ts';
import { popBeforeSmtp, type PopTarget } from '../../electron/core/mail/pop3.ts';
import { Transcript } from '../../electron/core/mail/transcript.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { startTestCore, unwrap, waitForDelivery, type TestCore } from '../helpers/core.ts';
import { ehloThen, startSmtpPeer } from '../helpers/smtp-peer.ts';

/**
 * STARTTLS command injection (RFC 3207 §6, RFC 2595 §4): whatever arrives in plain text after the
 * server agreed to upgrade, before the handshake, is discarded and ends the session — for SMTP
 * (nodemailer drops the bytes; AlertDesk then stops before logging in) and for POP3 STLS.
 */

let cert: TestCertificate;
let t: TestCore;
const USER = 'alerts@example.test';
const PASSWORD = 'injection-test-pass';

beforeAll(async () => {
  cert = makeCertificate();
  t = await startTestCore();
});
afterAll(() => t.close());

describe('SMTP STARTTLS', () => {
  async function sendThrough(inject: string) {
    const peer = await startSmtpPeer(
      ehloThen(['PIPELINING', 'STARTTLS', 'AUTH PLAIN'], (line, conn) => {
        if (!/^STARTTLS$/i.test(line)) return null;
        // the 220 and the injected bytes in one plain-text write, then the handshake
        conn.raw(`220 2.0.0 Ready to start TLS\r\n${inject}`);
        conn.upgrade(cert);
        return undefined;
      }),
    );
    try {
      const site = unwrap(await t.api.sites.create({ name: `Injection ${inject.length}` })).id;
      const connector = unwrap(
        await t.api.connectors.create({
          siteId: site,
          title: 'STARTTLS relay',
          host: '127.0.0.1',
          port: peer.port,
          portIsManual: true,
          security: 'starttls',
          auth: 'plain',
          username: USER,
          password: PASSWORD,
          sender: USER,
          trustedCertificatePem: cert.cert,
          connectionTimeoutSec: 5,
          retryDelaysSec: [],
        }),
      );
      const { deliveryId } = unwrap(
        await t.api.mail.sendTest({ connectorId: connector.id, to: ['ops@example.test'], subject: 'Inject' }),
      );
      return { d: await waitForDelivery(t.api, deliveryId), commands: peer.commands };
    } finally {
      await peer.close();
    }
  }

  it('discards plain text sent after the STARTTLS reply and ends the session before logging in', async () => {
    // a whole EHLO reply of the injector's choosing, waiting to be read as the one after the handshake
    const { d, commands } = await sendThrough('250-fake.test\r\n250 AUTH PLAIN LOGIN\r\n');
    expect(d.status).toBe('failed');
    expect(d.failureClass).toBe('server-permanent');
    expect(d.failure?.retryable).toBe(false);
    expect(d.failure?.explanation).toMatch(/\d+ bytes arrived in plain text before the TLS handshake/);
    const notes = d.attempts[0]!.transcript.filter((l) => l.dir === 'i').map((l) => l.text);
    expect(
      notes.some((n) => /^Discarded \d+ bytes received in plaintext after the STARTTLS response$/.test(n)),
    ).toBe(true);
    // the handshake happened, the EHLO after it too, and then nothing: no login, no message
    expect(commands.filter((c) => /^EHLO /.test(c))).toHaveLength(2);
    expect(commands.some((c) => /^(AUTH|MAIL|RCPT|DATA)\b/i.test(c))).toBe(false);
  });

  it('goes on as usual when nothing was injected (control)', async () => {
    const { d, commands } = await sendThrough('');
    expect(d.status).toBe('sent');
    expect(commands.some((c) => /^AUTH PLAIN /.test(c))).toBe(true);
  });
});

describe('POP3 STLS', () => {
  /** A POP3 server that agrees to STLS, optionally with plain text right after its +OK. */
  async function popServer(inject: string) {
    const commands: string[] = [];
    const sockets = new Set<Socket>();
    const server: Server = createServer((plain) => {
      sockets.add(plain);
      plain.on('error', () => {});
      let socket: Socket = plain;
      let buffer = '';
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString('latin1');
        for (let eol = buffer.indexOf('\r\n'); eol >= 0; eol = buffer.indexOf('\r\n')) {
          const line = buffer.slice(0, eol);
          buffer = buffer.slice(eol + 2);
          commands.push(line);
          if (line === 'STLS') {
            plain.write(`+OK Begin TLS negotiation\r\n${inject}`);
            plain.removeListener('data', onData);
            const secure = new tls.TLSSocket(plain, { isServer: true, key: cert.key, cert: cert.cert });
            secure.on('error', () => {});
            secure.on('data', onData);
            socket = secure;
          } else if (line.startsWith('QUIT')) {
            socket.end('+OK bye\r\n');
          } else socket.write('+OK\r\n');
        }
      };
      plain.on('data', onData);
      plain.write('+OK POP3 ready\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target: PopTarget = {
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      security: 'starttls',
      username: 'yard',
      password: 'pop-secret-1234',
      apop: false,
      delayMs: 0,
      trustedCertificatePem: cert.cert,
      timeoutMs: 5000,
    };
    const close = async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    };
    return { commands, target, close };
  }

  it('refuses plain text sent after the STLS reply and never sends the login', async () => {
    const pop = await popServer('+OK injected\r\n');
    try {
      const transcript = new Transcript();
      const error = await popBeforeSmtp(pop.target, transcript, async () => []).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SmtpFailure);
      expect((error as SmtpFailure).raw.local).toBe('pop3');
      expect((error as SmtpFailure).message).toMatch(/14 bytes in plain text after agreeing to STLS/);
      expect(pop.commands).toEqual(['STLS']);
      expect(
        transcript.lines().some((l) => /14 bytes arrived in plain text after the STLS reply/.test(l.text)),
      ).toBe(true);
    } finally {
      await pop.close();
    }
  });

  it('logs in over TLS when nothing was injected (control)', async () => {
    const pop = await popServer('');
    try {
      await popBeforeSmtp(pop.target, new Transcript(), async () => []);
      expect(pop.commands).toEqual(['STLS', 'USER yard', 'PASS pop-secret-1234', 'QUIT']);
    } finally {
      await pop.close();
    }
  });
});
