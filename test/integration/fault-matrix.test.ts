import { randomBytes } from 'node:crypto';
import type { SMTPServerDataStream } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../electron/core/adapters.ts';
import { composeMessage } from '../../electron/core/mail/compose.ts';
import type { DeliveryDetail } from '../../shared/delivery.ts';
import type { AuthMethod, SecurityMode } from '../../shared/domain.ts';
import type { FailureClass } from '../../shared/failures.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { startTestCore, unwrap, waitForDelivery, type TestCore } from '../helpers/core.ts';
import {
  closedPort,
  issueCertificate,
  loopbackLookup,
  startBacklogFullListener,
  startDnsServer,
  startScriptedSmtp,
  startSilentServer,
  type LoopbackDns,
} from '../helpers/faults.ts';
import { startSmtpServer } from '../helpers/smtp.ts';

/**
 * The fault matrix: every failure class produced by a real server misbehaving on loopback, checked
 * end to end through the core — the class, whether it is retried, and how many attempts were made.
 */

const USER = 'alerts@example.test';
const PASSWORD = 'tiger-lily-2026';
/** Two immediate retries: a retried class makes 3 attempts, a class that is not retried makes 1. */
const FAST_RETRIES = [0, 0];

let t: TestCore;
let siteId: string;
let dns: LoopbackDns;
let selfSigned: TestCertificate;

beforeAll(async () => {
  dns = await startDnsServer((name) => {
    if (name.startsWith('nxdomain.')) return { rcode: 'NXDOMAIN' };
    if (name.startsWith('servfail.')) return { rcode: 'SERVFAIL' };
    return { rcode: 'NOERROR', addresses: ['127.0.0.1'] };
  });
  selfSigned = makeCertificate();
  t = await startTestCore({ lookup: loopbackLookup(dns.port) });
  siteId = unwrap(await t.api.sites.create({ name: 'Fault Lab', customer: 'AlertDesk QA' })).id;
});
afterAll(async () => {
  await t?.close();
  await dns?.close();
});

interface ConnectorSpec {
  host?: string;
  port: number;
  security: SecurityMode;
  auth?: AuthMethod;
  password?: string;
  sender?: string;
  trustedCertificatePem?: string | null;
  retryDelaysSec?: number[];
  connectionTimeoutSec?: number;
  allowPlainLogin?: boolean;
}

async function makeConnector(spec: ConnectorSpec, core: TestCore = t, site = siteId) {
  const auth = spec.auth ?? 'plain';
  return unwrap(
    await core.api.connectors.create({
      siteId: site,
      title: `Fault ${spec.security} ${auth} ${spec.host ?? '127.0.0.1'}:${spec.port}`,
      host: spec.host ?? '127.0.0.1',
      port: spec.port,
      portIsManual: true,
      security: spec.security,
      auth,
      username: auth === 'none' ? '' : USER,
      ...(auth === 'none' ? {} : { password: spec.password ?? PASSWORD }),
      sender: spec.sender ?? USER,
      connectionTimeoutSec: spec.connectionTimeoutSec ?? 2,
      trustedCertificatePem: spec.trustedCertificatePem ?? null,
      // The matrix's plain servers stand for relays inside a trusted network: the switch is on.
      allowPlainLogin: spec.allowPlainLogin ?? spec.security === 'none',
      ...(spec.retryDelaysSec ? { retryDelaysSec: spec.retryDelaysSec } : {}),
    }),
  );
}

/** Sends a test message through a new connector and waits until the delivery is final. */
async function sendThrough(
  spec: ConnectorSpec,
  options: { to?: string[]; attachmentBytes?: number } = {},
): Promise<DeliveryDetail> {
  const connector = await makeConnector({ retryDelaysSec: FAST_RETRIES, ...spec });
  const { deliveryId } = unwrap(
    await t.api.mail.sendTest({
      connectorId: connector.id,
      to: options.to ?? ['ops@example.test'],
      subject: 'Fault matrix',
      body: 'Motion detected at North Gate',
      ...(options.attachmentBytes
        ? {
            attachments: [
              { filename: 'snapshot.bin', content: randomBytes(options.attachmentBytes).toString('base64') },
            ],
          }
        : {}),
    }),
  );
  return waitForDelivery(t.api, deliveryId);
}

/** The verdict every attempt must carry, and the number of attempts the retry decision implies. */
function expectVerdict(d: DeliveryDetail, cls: FailureClass, retryable: boolean): void {
  expect(d.status).toBe('failed');
  expect(d.failureClass).toBe(cls);
  expect(d.failure?.class).toBe(cls);
  expect(d.failure?.retryable).toBe(retryable);
  expect(d.failure?.explanation).toBeTruthy();
  expect(d.failure?.fix).toBeTruthy();
  expect(d.attempts).toHaveLength(retryable ? 1 + FAST_RETRIES.length : 1);
  for (const attempt of d.attempts) {
    expect(attempt.outcome).toBe('failed');
    expect(attempt.failure?.class).toBe(cls);
    expect(attempt.failure?.retryable).toBe(retryable);
  }
}

/** An error from an smtp-server hook; smtp-server replies with its responseCode and message. */
class ReplyError extends Error {
  responseCode: number;
  constructor(responseCode: number, message: string) {
    super(message);
    this.responseCode = responseCode;
  }
}

/** An onData hook that reads the whole message, then answers with the given error. */
function refuseData(code: number, message: string) {
  return (stream: SMTPServerDataStream, _session: unknown, callback: (err?: Error | null) => void) => {
    stream.on('data', () => {});
    stream.on('end', () => callback(new ReplyError(code, message)));
  };
}

async function withServer<T extends { close(): Promise<void> }>(
  server: T,
  run: (server: T) => Promise<void>,
): Promise<void> {
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

const clientLines = (d: DeliveryDetail) =>
  d.attempts.flatMap((a) => a.transcript.filter((l) => l.dir === 'c').map((l) => l.text));

describe('fault matrix: every failure class from a real misbehaving server on loopback', () => {
  // ─── Name resolution and TCP ───────────────────────────────────────────────────────────────

  it('classifies a name the DNS server says does not exist (NXDOMAIN) as dns-failure and does not retry it', async () => {
    const d = await sendThrough({
      host: 'nxdomain.alertdesk.test',
      port: 25,
      security: 'none',
      auth: 'none',
    });
    expectVerdict(d, 'dns-failure', false);
    expect(d.failure?.errorCode).toBe('ENOTFOUND');
    expect(d.failure?.explanation).toContain('nxdomain.alertdesk.test');
    expect(dns.queries.some((q) => q.name === 'nxdomain.alertdesk.test')).toBe(true);
  });

  it('classifies a DNS server failure (SERVFAIL) as a retryable dns-failure and retries it', async () => {
    const d = await sendThrough({
      host: 'servfail.alertdesk.test',
      port: 25,
      security: 'none',
      auth: 'none',
    });
    expectVerdict(d, 'dns-failure', true);
    expect(d.failure?.errorCode).toBe('ESERVFAIL');
    expect(dns.queries.filter((q) => q.name === 'servfail.alertdesk.test').length).toBeGreaterThanOrEqual(3);
  });

  it('classifies a refused connection as connection-refused and retries it', async () => {
    const d = await sendThrough({ port: await closedPort(), security: 'none', auth: 'none' });
    expectVerdict(d, 'connection-refused', true);
    expect(d.failure?.errorCode).toBe('ECONNREFUSED');
  });

  it('classifies SYNs that go unanswered (full accept queue) as connect-timeout and retries it', async () => {
    await withServer(await startBacklogFullListener(), async (listener) => {
      const d = await sendThrough({
        port: listener.port,
        security: 'none',
        auth: 'none',
        connectionTimeoutSec: 1,
      });
      expectVerdict(d, 'connect-timeout', true);
      expect(d.failure?.explanation).toMatch(/did not answer the connection attempt/);
      for (const attempt of d.attempts) {
        expect(attempt.durationMs).toBeGreaterThanOrEqual(900);
        expect(attempt.timings.map((s) => s.step)).toEqual(['connect']);
      }
    });
  });

  it('classifies a server that accepts and never greets as greeting-timeout and retries it', async () => {
    await withServer(await startSilentServer(), async (silent) => {
      const d = await sendThrough({
        port: silent.port,
        security: 'none',
        auth: 'none',
        connectionTimeoutSec: 1,
      });
      expectVerdict(d, 'greeting-timeout', true);
      expect(d.failure?.explanation).toMatch(/never sent its SMTP greeting/);
      expect(silent.connections).toBe(3);
    });
  });

  // ─── TLS ───────────────────────────────────────────────────────────────────────────────────

  it('classifies SSL/TLS spoken to a plain STARTTLS port as tls-mode-mismatch and does not retry it', async () => {
    await withServer(
      await startSmtpServer({ mode: 'starttls', cert: selfSigned, users: { [USER]: PASSWORD } }),
      async (server) => {
        const d = await sendThrough({
          port: server.port,
          security: 'tls',
          trustedCertificatePem: selfSigned.cert,
        });
        expectVerdict(d, 'tls-mode-mismatch', false);
        expect(d.failure?.explanation).toMatch(/answered in plain SMTP/);
        expect(server.received).toHaveLength(0);
      },
    );
  });

  it('classifies a self-signed certificate that is not pinned as certificate-untrusted (SSL/TLS) and does not retry it', async () => {
    await withServer(
      await startSmtpServer({ mode: 'tls', cert: selfSigned, users: { [USER]: PASSWORD } }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'tls' });
        expectVerdict(d, 'certificate-untrusted', false);
        expect(d.failure?.errorCode).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
        expect(server.logins).toHaveLength(0);
      },
    );
  });

  it('classifies a self-signed certificate that is not pinned as certificate-untrusted (STARTTLS) and does not retry it', async () => {
    await withServer(
      await startSmtpServer({ mode: 'starttls', cert: selfSigned, users: { [USER]: PASSWORD } }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'starttls' });
        expectVerdict(d, 'certificate-untrusted', false);
        expect(d.failure?.errorCode).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
        expect(server.logins).toHaveLength(0);
      },
    );
  });

  it('classifies a pinned but expired certificate as certificate-expired and does not retry it', async () => {
    const day = 24 * 3600_000;
    const expired = makeCertificate({
      notBefore: new Date(Date.now() - 30 * day),
      notAfter: new Date(Date.now() - day),
    });
    await withServer(
      await startSmtpServer({ mode: 'tls', cert: expired, users: { [USER]: PASSWORD } }),
      async (server) => {
        const d = await sendThrough({
          port: server.port,
          security: 'tls',
          trustedCertificatePem: expired.cert,
        });
        expectVerdict(d, 'certificate-expired', false);
        expect(d.failure?.errorCode).toBe('CERT_HAS_EXPIRED');
        expect(server.logins).toHaveLength(0);
      },
    );
  });

  it('classifies a trusted certificate issued for another name as certificate-name-mismatch and does not retry it', async () => {
    // The connector pins a private CA, not the server certificate itself, so the name check applies
    // (it is waived only when the server presents exactly the pinned certificate).
    const ca = makeCertificate({ names: ['AlertDesk Test CA'], commonName: 'AlertDesk Test CA' });
    const wrongName = issueCertificate(ca, { names: ['mail.other.test'] });
    const rightName = issueCertificate(ca, { names: ['127.0.0.1'] });

    await withServer(
      await startSmtpServer({ mode: 'tls', cert: wrongName, users: { [USER]: PASSWORD } }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'tls', trustedCertificatePem: ca.cert });
        expectVerdict(d, 'certificate-name-mismatch', false);
        expect(d.failure?.errorCode).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
        expect(d.failure?.explanation).toContain('mail.other.test');
        expect(d.failure?.fix).toContain('mail.other.test');
        expect(server.logins).toHaveLength(0);
      },
    );
    // Control: the same CA with a certificate for the right name is trusted and delivers.
    await withServer(
      await startSmtpServer({ mode: 'tls', cert: rightName, users: { [USER]: PASSWORD } }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'tls', trustedCertificatePem: ca.cert });
        expect(d.status).toBe('sent');
        expect(server.received).toHaveLength(1);
      },
    );
  });

  it('classifies a STARTTLS connector on a server without STARTTLS as starttls-not-offered and does not retry it', async () => {
    await withServer(await startSmtpServer({ mode: 'none', users: { [USER]: PASSWORD } }), async (server) => {
      const d = await sendThrough({ port: server.port, security: 'starttls' });
      expectVerdict(d, 'starttls-not-offered', false);
      expect(d.failure?.explanation).toMatch(/does not offer STARTTLS/);
      const ehloReply = d.attempts[0]!.transcript.filter((l) => l.dir === 's' && /^250[ -]/.test(l.text));
      expect(ehloReply.length).toBeGreaterThan(0);
      expect(ehloReply.some((l) => /STARTTLS/i.test(l.text))).toBe(false);
      expect(server.logins).toHaveLength(0);
      expect(server.received).toHaveLength(0);
    });
  });

  // ─── Authentication ────────────────────────────────────────────────────────────────────────

  it('classifies a login against a server that offers no AUTH as auth-not-offered, never sending silently', async () => {
    await withServer(await startSmtpServer({ mode: 'none' }), async (server) => {
      const d = await sendThrough({ port: server.port, security: 'none', auth: 'plain' });
      expectVerdict(d, 'auth-not-offered', false);
      expect(server.received).toHaveLength(0);
      expect(clientLines(d).some((l) => /^(MAIL|RCPT|DATA)\b/i.test(l))).toBe(false);
    });
  });

  it('classifies CRAM-MD5 against a server offering only PLAIN LOGIN as auth-mechanism-unsupported', async () => {
    await withServer(
      await startSmtpServer({
        mode: 'starttls',
        cert: selfSigned,
        users: { [USER]: PASSWORD },
        authMethods: ['PLAIN', 'LOGIN'],
      }),
      async (server) => {
        const d = await sendThrough({
          port: server.port,
          security: 'starttls',
          auth: 'cram-md5',
          trustedCertificatePem: selfSigned.cert,
        });
        expectVerdict(d, 'auth-mechanism-unsupported', false);
        expect(d.failure?.explanation).toContain('PLAIN LOGIN');
        expect(server.logins).toHaveLength(0);
      },
    );
  });

  it('classifies a rejected password (535) as auth-failed and does not retry it', async () => {
    await withServer(await startSmtpServer({ mode: 'none', users: { [USER]: PASSWORD } }), async (server) => {
      const d = await sendThrough({ port: server.port, security: 'none', password: 'not-the-password' });
      expectVerdict(d, 'auth-failed', false);
      expect(d.failure?.responseCode).toBe(535);
      expect(server.logins).toEqual([{ method: 'PLAIN', user: USER, ok: false }]);
    });
  });

  it("classifies Google's 534 5.7.9 as app-password-required and does not retry it", async () => {
    await withServer(
      await startScriptedSmtp({
        extensions: ['AUTH PLAIN LOGIN', 'ENHANCEDSTATUSCODES'],
        replies: {
          AUTH: [
            '534-5.7.9 Application-specific password required. For more information, go to',
            '534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor x-gsmtp',
          ].join('\r\n'),
        },
      }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'none', auth: 'plain' });
        expectVerdict(d, 'app-password-required', false);
        expect(d.failure?.responseCode).toBe(534);
        expect(d.failure?.enhancedCode).toBe('5.7.9');
        expect(server.commands.some((c) => /^MAIL/i.test(c))).toBe(false);
      },
    );
  });

  it("classifies Microsoft's 535 5.7.139 as basic-auth-disabled and does not retry it", async () => {
    await withServer(
      await startSmtpServer({
        mode: 'none',
        users: { [USER]: PASSWORD },
        extra: {
          onAuth: (_auth, _session, callback) =>
            callback(
              new ReplyError(
                535,
                '5.7.139 Authentication unsuccessful, basic authentication is disabled. [AM0PR01CA0001.eurprd01.prod.exchangelabs.com]',
              ),
            ),
        },
      }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'none', auth: 'login' });
        expectVerdict(d, 'basic-auth-disabled', false);
        expect(d.failure?.enhancedCode).toBe('5.7.139');
        expect(server.received).toHaveLength(0);
      },
    );
  });

  // ─── Envelope ──────────────────────────────────────────────────────────────────────────────

  it('classifies 550 5.7.60 at MAIL FROM as sender-rejected and does not retry it', async () => {
    await withServer(
      await startSmtpServer({
        mode: 'none',
        users: { [USER]: PASSWORD },
        extra: {
          onMailFrom: (_address, _session, callback) =>
            callback(
              new ReplyError(550, '5.7.60 SMTP; Client does not have permissions to send as this sender'),
            ),
        },
      }),
      async (server) => {
        const d = await sendThrough({
          port: server.port,
          security: 'none',
          sender: 'gate-camera@example.test',
        });
        expectVerdict(d, 'sender-rejected', false);
        expect(d.failure?.command).toMatch(/^MAIL FROM/);
        expect(d.failure?.enhancedCode).toBe('5.7.60');
        expect(d.failure?.explanation).toContain(`${USER} has no right to send as gate-camera@example.test`);
        expect(d.failure?.fix).toContain(`Use the login address (${USER}) as the sender`);
      },
    );
  });

  it('classifies 550 5.1.1 at RCPT TO for every recipient as recipient-rejected and does not retry it', async () => {
    const refused: string[] = [];
    await withServer(
      await startSmtpServer({
        mode: 'none',
        users: { [USER]: PASSWORD },
        extra: {
          onRcptTo: (address, _session, callback) => {
            refused.push(address.address);
            callback(
              new ReplyError(550, `5.1.1 <${address.address}>: Recipient address rejected: User unknown`),
            );
          },
        },
      }),
      async (server) => {
        const d = await sendThrough(
          { port: server.port, security: 'none' },
          { to: ['nobody@example.test', 'ghost@example.test'] },
        );
        expectVerdict(d, 'recipient-rejected', false);
        expect(d.failure?.responseCode).toBe(550);
        expect(refused.sort()).toEqual(['ghost@example.test', 'nobody@example.test']);
        expect(server.received).toHaveLength(0);
      },
    );
  });

  it('classifies 421 4.7.0 throttling at MAIL FROM as rate-limited and retries it', async () => {
    let mailFrom = 0;
    await withServer(
      await startSmtpServer({
        mode: 'none',
        users: { [USER]: PASSWORD },
        extra: {
          onMailFrom: (_address, _session, callback) => {
            mailFrom++;
            callback(new ReplyError(421, '4.7.0 Too many messages from this account, slow down'));
          },
        },
      }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'none' });
        expectVerdict(d, 'rate-limited', true);
        expect(d.failure?.responseCode).toBe(421);
        expect(mailFrom).toBe(3);
      },
    );
  });

  it('classifies 550 5.4.5 daily sending limit as rate-limited and does not retry it', async () => {
    await withServer(
      await startSmtpServer({
        mode: 'none',
        users: { [USER]: PASSWORD },
        extra: {
          onMailFrom: (_address, _session, callback) =>
            callback(new ReplyError(550, '5.4.5 Daily user sending limit exceeded')),
        },
      }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'none' });
        expectVerdict(d, 'rate-limited', false);
        expect(d.failure?.enhancedCode).toBe('5.4.5');
      },
    );
  });

  // ─── Message ───────────────────────────────────────────────────────────────────────────────

  it("classifies a message over the server's SIZE limit as message-too-large before sending it", async () => {
    await withServer(
      await startSmtpServer({ mode: 'none', users: { [USER]: PASSWORD }, extra: { size: 4096 } }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'none' }, { attachmentBytes: 16 * 1024 });
        expectVerdict(d, 'message-too-large', false);
        expect(d.failure?.explanation).toMatch(/Nothing was sent/);
        expect(clientLines(d).some((l) => /^(MAIL|RCPT|DATA)\b/i.test(l))).toBe(false);
        expect(server.received).toHaveLength(0);
      },
    );
  });

  it('classifies 552 at DATA from a server advertising no SIZE as message-too-large', async () => {
    await withServer(
      await startScriptedSmtp({
        extensions: ['AUTH PLAIN LOGIN', '8BITMIME'],
        replies: { MESSAGE: '552 5.3.4 Message size exceeds fixed maximum message size' },
      }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'none' }, { attachmentBytes: 16 * 1024 });
        expectVerdict(d, 'message-too-large', false);
        expect(d.failure?.responseCode).toBe(552);
        expect(d.failure?.command).toBe('DATA');
        expect(server.messages).toBe(1);
        const serverLines = d.attempts[0]!.transcript.filter((l) => l.dir === 's').map((l) => l.text);
        expect(serverLines.some((l) => /\bSIZE\b/.test(l))).toBe(false);
      },
    );
  });

  it('classifies a connection dropped in the middle of DATA as connection-dropped and retries it', async () => {
    await withServer(
      await startScriptedSmtp({ extensions: ['AUTH PLAIN'], dropAfterDataBytes: 1 }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'none' }, { attachmentBytes: 256 * 1024 });
        expectVerdict(d, 'connection-dropped', true);
        expect(d.failure?.explanation).toMatch(/DATA/);
        expect(server.connections).toBe(3);
        expect(server.messages).toBe(0);
      },
    );
  });

  it('classifies 451 4.3.0 at DATA as server-temporary and retries it', async () => {
    await withServer(
      await startSmtpServer({
        mode: 'none',
        users: { [USER]: PASSWORD },
        extra: { onData: refuseData(451, '4.3.0 Mail server temporarily rejected message') },
      }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'none' });
        expectVerdict(d, 'server-temporary', true);
        expect(d.failure?.responseCode).toBe(451);
        expect(d.failure?.command).toBe('DATA');
      },
    );
  });

  it('classifies 554 5.6.0 at DATA as server-permanent and does not retry it', async () => {
    await withServer(
      await startSmtpServer({
        mode: 'none',
        users: { [USER]: PASSWORD },
        extra: { onData: refuseData(554, '5.6.0 Message content rejected: invalid headers') },
      }),
      async (server) => {
        const d = await sendThrough({ port: server.port, security: 'none' });
        expectVerdict(d, 'server-permanent', false);
        expect(d.failure?.responseCode).toBe(554);
        expect(d.failure?.command).toBe('DATA');
      },
    );
  });

  // ─── Local decisions ───────────────────────────────────────────────────────────────────────

  it('fails a bulk send through a STOPPED connector loudly as connector-stopped, with no network traffic', async () => {
    await withServer(await startScriptedSmtp({ extensions: ['AUTH PLAIN'] }), async (server) => {
      // a host name (answered by the loopback DNS server) shows that not even DNS is asked
      const connector = await makeConnector({
        host: 'stopped.alertdesk.test',
        port: server.port,
        security: 'none',
        retryDelaysSec: FAST_RETRIES,
      });
      expect(connector.state).toBe('STOPPED');
      const message = await composeMessage({
        from: USER,
        fromName: 'Gate camera',
        to: ['ops@example.test'],
        cc: [],
        bcc: [],
        replyTo: '',
        subject: 'Motion at North Gate',
        body: 'Motion detected',
        contentType: 'text',
        importance: 'high',
        attachments: [],
      });
      const { done } = t.core.engine.submit({ kind: 'bulk', connectorId: connector.id, message });
      const d = t.core.deliveries.detail((await done).id)!;
      expectVerdict(d, 'connector-stopped', false);
      expect(d.failure?.explanation).toMatch(/STOPPED/);
      expect(d.attempts[0]!.transcript.filter((l) => l.dir !== 'i')).toEqual([]);
      expect(server.connections).toBe(0);
      expect(dns.queries.some((q) => q.name === 'stopped.alertdesk.test')).toBe(false);
      expect(unwrap(await t.api.connectors.get({ id: connector.id })).state).toBe('STOPPED');
    });
  });
});

describe('retry schedule', () => {
  it('waits 10 s, then 30 s between attempts by default (injected clock)', async () => {
    const sleeps: number[] = [];
    let offset = 0;
    const clock: Clock = {
      now: () => Date.now() + offset,
      sleep: async (ms) => {
        sleeps.push(ms);
        offset += ms;
      },
    };
    const core = await startTestCore({ clock });
    try {
      const site = unwrap(await core.api.sites.create({ name: 'Clock Lab' })).id;
      const connector = await makeConnector(
        { port: await closedPort(), security: 'none', auth: 'none' },
        core,
        site,
      );
      expect(connector.retryDelaysSec).toEqual([10, 30]);
      const { deliveryId } = unwrap(
        await core.api.mail.sendTest({
          connectorId: connector.id,
          to: ['ops@example.test'],
          subject: 'Retry',
        }),
      );
      const d = await waitForDelivery(core.api, deliveryId);
      expect(d.status).toBe('failed');
      expect(d.failureClass).toBe('connection-refused');
      expect(d.attempts).toHaveLength(3);
      expect(sleeps).toEqual([10_000, 30_000]);
      const started = d.attempts.map((a) => Date.parse(a.startedAt));
      expect(started[1]! - started[0]!).toBeGreaterThanOrEqual(10_000);
      expect(started[2]! - started[1]!).toBeGreaterThanOrEqual(30_000);
    } finally {
      await core.close();
    }
  });
});
