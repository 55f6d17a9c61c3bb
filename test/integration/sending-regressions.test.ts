import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOrder } from '../../electron/core/mail/connect.ts';
import type { DeliveryDetail } from '../../shared/delivery.ts';
import type { SecurityMode } from '../../shared/domain.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { failure, startTestCore, unwrap, waitForDelivery, type TestCore } from '../helpers/core.ts';
import { ehloReply, ehloThen, startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peer.ts';
import { startSmtpServer } from '../helpers/smtp.ts';

/**
 * Issue 11: what the hand-written SMTP client got wrong, each against a scripted server on
 * loopback, each asserting what an integrator who trusts AlertDesk's "sent" expects.
 */

const USER = 'alerts@example.test';
const PASSWORD = 'gate-camera-pass-2026';

let t: TestCore;
let siteId: string;
let cert: TestCertificate;
const peers: SmtpPeer[] = [];

beforeAll(async () => {
  cert = makeCertificate();
  t = await startTestCore({
    // relay.multi.test has five addresses; only the last one listens (see the test)
    lookup: async (host) =>
      host === 'relay.multi.test'
        ? ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map((address) => ({ address, family: 4 }))
        : [{ address: '127.0.0.1', family: 4 }],
  });
  siteId = unwrap(await t.api.sites.create({ name: 'Regression yard' })).id;
});
afterAll(async () => {
  for (const p of peers) await p.close();
  await t.close();
});

async function peer(...args: Parameters<typeof startSmtpPeer>) {
  const p = await startSmtpPeer(...args);
  peers.push(p);
  return p;
}

interface Spec {
  port: number;
  host?: string;
  security?: SecurityMode;
  auth?: 'none' | 'plain' | 'login';
  sender?: string;
  allowPlainLogin?: boolean;
  trustedCertificatePem?: string | null;
  timeoutSec?: number;
}

async function send(spec: Spec, message: { to?: string[]; cc?: string[]; bcc?: string[] } = {}) {
  const auth = spec.auth ?? 'plain';
  const connector = unwrap(
    await t.api.connectors.create({
      siteId,
      title: `Regression ${spec.port}`,
      host: spec.host ?? '127.0.0.1',
      port: spec.port,
      portIsManual: true,
      security: spec.security ?? 'none',
      auth,
      username: auth === 'none' ? '' : USER,
      ...(auth === 'none' ? {} : { password: PASSWORD }),
      sender: spec.sender ?? USER,
      allowPlainLogin: spec.allowPlainLogin ?? true,
      trustedCertificatePem: spec.trustedCertificatePem ?? null,
      connectionTimeoutSec: spec.timeoutSec ?? 5,
      retryDelaysSec: [],
    }),
  );
  const { deliveryId } = unwrap(
    await t.api.mail.sendTest({
      connectorId: connector.id,
      to: message.to ?? ['ops@example.test'],
      cc: message.cc ?? [],
      bcc: message.bcc ?? [],
      subject: 'Regression',
      body: 'Motion detected at North Gate',
    }),
  );
  return waitForDelivery(t.api, deliveryId);
}

const lines = (d: DeliveryDetail, dir: 'c' | 's' | 'i') =>
  d.attempts.flatMap((a) => a.transcript.filter((l) => l.dir === dir).map((l) => l.text));

describe('AlertDesk never calls a message "sent" that the server did not accept', () => {
  it('fails a message whose reply the server withholds, even when it answers QUIT with 221', async () => {
    const p = await peer(
      ehloThen(['PIPELINING', 'AUTH PLAIN LOGIN'], (line, conn) => {
        if (line.endsWith('\r\n.\r\n')) return undefined; // the verdict on the message never comes
        if (/^QUIT/i.test(line)) {
          conn.say('221 2.0.0 Bye');
          conn.socket.end();
          return undefined;
        }
        return null;
      }),
    );
    const d = await send({ port: p.port, timeoutSec: 1 });
    expect(d.status).toBe('failed');
    expect(d.accepted).toEqual([]);
    expect(d.reply ?? '').not.toMatch(/^221/);
    expect(d.failureClass).toBe('server-temporary');
    expect(d.failure?.explanation).toMatch(/stopped answering during DATA/);
    expect(p.messages).toHaveLength(1);
    // nothing took a reply to anything else for the verdict on the message
    expect(lines(d, 's').some((l) => l.startsWith('221'))).toBe(false);
  });

  it('reports every refused recipient, with its reply, when the server refuses them all', async () => {
    const p = await peer(
      ehloThen(['PIPELINING', 'AUTH PLAIN'], (line) => {
        const rcpt = /^RCPT TO:<(.+)>/.exec(line);
        if (rcpt) return `550 5.1.1 <${rcpt[1]}>: Recipient address rejected: User unknown`;
        return /^DATA$/.test(line) ? '554 5.5.1 Error: no valid recipients' : null;
      }),
    );
    const d = await send({ port: p.port }, { to: ['nobody@example.test', 'ghost@example.test'] });
    expect(d.status).toBe('failed');
    expect(d.failureClass).toBe('recipient-rejected');
    expect(d.rejected).toEqual([
      {
        address: 'nobody@example.test',
        reply: '550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown',
      },
      {
        address: 'ghost@example.test',
        reply: '550 5.1.1 <ghost@example.test>: Recipient address rejected: User unknown',
      },
    ]);
    expect(d.attempts[0]!.rejected.map((r) => r.address)).toEqual([
      'nobody@example.test',
      'ghost@example.test',
    ]);
    expect(p.messages).toHaveLength(0);
  });
});

describe('servers nodemailer sends through', () => {
  it('logs in when the EHLO line separates AUTH from its mechanisms with a tab', async () => {
    const p = await peer(ehloThen(['PIPELINING', 'AUTH\tPLAIN LOGIN']));
    const d = await send({ port: p.port });
    expect(d.status).toBe('sent');
    expect(p.commands.some((c) => /^AUTH PLAIN \S+$/.test(c))).toBe(true);
    expect(p.messages).toHaveLength(1);
  });

  it('logs in when the mechanisms are spread over two AUTH lines (AUTH=LOGIN, then AUTH PLAIN LOGIN)', async () => {
    const p = await peer(ehloThen(['AUTH=LOGIN', 'AUTH PLAIN LOGIN', 'PIPELINING']));
    const d = await send({ port: p.port, auth: 'plain' });
    expect(d.status).toBe('sent');
    expect(p.commands.some((c) => /^AUTH PLAIN \S+$/.test(c))).toBe(true);
  });

  it('keeps replies in step when a whitespace-only line comes before the EHLO reply', async () => {
    const p = await peer((line, conn) => {
      if (/^EHLO /.test(line)) {
        conn.raw('   \r\n');
        conn.say(ehloReply(['PIPELINING', 'AUTH PLAIN']));
        return;
      }
      ehloThen([])(line, conn);
    });
    const d = await send({ port: p.port });
    expect(d.status).toBe('sent');
    expect(d.reply).toBe('250 2.0.0 Ok: queued as P1');
  });

  it('keeps the 421 a server sends in the same write as its greeting', async () => {
    const p = await peer(ehloThen([]), {
      greeting: '220 peer.test ESMTP\r\n421 4.7.0 Too many connections from your address, closing',
    });
    const d = await send({ port: p.port });
    expect(d.status).toBe('failed');
    expect(d.failure?.responseCode).toBe(421);
    expect(d.failure?.reply).toBe('421 4.7.0 Too many connections from your address, closing');
    expect(d.reply).toBe('421 4.7.0 Too many connections from your address, closing');
    expect(d.failureClass).toBe('rate-limited');
  });

  it('writes an internationalized domain in punycode to a server without SMTPUTF8', async () => {
    const p = await peer(ehloThen(['PIPELINING', '8BITMIME']));
    const d = await send(
      { port: p.port, auth: 'none', sender: 'alerts@bücher.example' },
      { to: ['leitstelle@münchen.example'] },
    );
    expect(d.status).toBe('sent');
    expect(p.commands).toContain('MAIL FROM:<alerts@xn--bcher-kva.example>');
    expect(p.commands).toContain('RCPT TO:<leitstelle@xn--mnchen-3ya.example>');
    // not one byte of 8-bit text went over a connection that never offered SMTPUTF8
    expect(p.chunks.every((c) => [...Buffer.from(c, 'latin1')].every((b) => b < 0x80))).toBe(true);
  });

  it('tries every address of the host: the first three refuse, the fourth delivers', async () => {
    const p = await peer(ehloThen(['PIPELINING', 'AUTH PLAIN']), { host: '127.0.0.5' });
    const d = await send({ port: p.port, host: 'relay.multi.test' });
    expect(d.status).toBe('sent');
    const notes = lines(d, 'i');
    expect(notes.filter((l) => /^Could not connect to 127\.0\.0\.[234]:/.test(l))).toHaveLength(3);
    expect(notes).toContain(`Connected to 127.0.0.5 port ${p.port}`);
  });

  it('alternates the address families, starting with the resolver’s first', () => {
    expect(connectionOrder(['2001:db8::1', '2001:db8::2', '192.0.2.1', '192.0.2.2', '192.0.2.3'])).toEqual([
      '2001:db8::1',
      '192.0.2.1',
      '2001:db8::2',
      '192.0.2.2',
      '192.0.2.3',
    ]);
    expect(connectionOrder(['192.0.2.1', '2001:db8::1'])).toEqual(['192.0.2.1', '2001:db8::1']);
    expect(connectionOrder(['192.0.2.1', '192.0.2.2'])).toEqual(['192.0.2.1', '192.0.2.2']);
  });
});

describe('a server that sends without end', () => {
  it('stops reading a multi-line reply past 1 MB in all (100 lines of 1 MB offered)', async () => {
    let written = 0;
    const p = await peer((line, conn) => {
      if (!/^EHLO /.test(line)) return ehloThen([])(line, conn);
      const megabyteLine = `250-${'x'.repeat(1024 * 1024 - 6)}\r\n`;
      const next = () => {
        if (written >= 100 || conn.socket.destroyed) return;
        written++;
        if (conn.socket.write(megabyteLine)) setImmediate(next);
        else conn.socket.once('drain', next);
      };
      conn.socket.once('close', () => (written = Math.min(written, 100)));
      next();
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const d = await send({ port: p.port });
    expect(d.status).toBe('failed');
    expect(d.failure?.message).toMatch(/exceeds maximum allowed size/);
    expect(d.failureClass).toBe('server-permanent');
    // AlertDesk hung up long before the server was through
    expect(written).toBeLessThan(100);
    console.log(
      `100 × 1 MB reply: the server got ${written} lines out before AlertDesk hung up; heap +${Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024)} MB`,
    );
  });

  it('stops reading one line past 1 MB that arrives in 512-byte writes', async () => {
    const p = await peer((line, conn) => {
      if (!/^EHLO /.test(line)) return ehloThen([])(line, conn);
      conn.socket.setNoDelay(true);
      const total = Math.round(1.1 * 1024 * 1024);
      let sent = 0;
      const next = () => {
        if (sent >= total || conn.socket.destroyed) return;
        conn.socket.write(sent === 0 ? `250 ${'y'.repeat(508)}` : 'y'.repeat(512));
        sent += 512;
        setImmediate(next);
      };
      next();
    });
    const cpu = process.cpuUsage();
    const d = await send({ port: p.port });
    const used = process.cpuUsage(cpu);
    expect(d.status).toBe('failed');
    expect(d.failure?.message).toMatch(/exceeds maximum allowed size/);
    console.log(
      `1.1 MB line in 512-byte writes: ${Math.round((used.user + used.system) / 1000)} ms of CPU in the test process (client and the scripted server)`,
    );
  });
});

describe('what reaches RCPT TO is what the message says', () => {
  it.each([
    ['NUL', 'ops\u0000@example.test'],
    ['DEL', 'ops\u007f@example.test'],
    ['NEXT LINE (U+0085)', 'ops\u0085@example.test'],
    ['a C0 control', 'ops\u0007@example.test'],
  ])('refuses a recipient with %s at its field, and sends nothing', async (_what, address) => {
    const p = await peer(ehloThen(['PIPELINING']));
    const connector = unwrap(
      await t.api.connectors.create({
        siteId,
        title: 'Control characters',
        host: '127.0.0.1',
        port: p.port,
        portIsManual: true,
        security: 'none',
        auth: 'none',
        sender: USER,
      }),
    );
    const before = unwrap(await t.api.deliveries.query({})).total;
    for (const field of ['to', 'cc', 'bcc'] as const) {
      const error = failure(
        await t.api.mail.sendTest({
          connectorId: connector.id,
          to: field === 'to' ? ['ok@example.test', address] : ['ok@example.test'],
          ...(field === 'to' ? {} : { [field]: [address] }),
          subject: 'Control',
        }),
      );
      expect(error).toMatchObject({ code: 'invalid-input', field: `${field}.${field === 'to' ? 1 : 0}` });
      expect(error.message).toMatch(/control character/);
    }
    expect(unwrap(await t.api.deliveries.query({})).total).toBe(before);
    expect(p.connections).toBe(0);
  });

  it('asks the server for exactly the recipients the To and Cc headers name, and the Bcc', async () => {
    const p = await peer(ehloThen(['PIPELINING', 'AUTH PLAIN']));
    const d = await send(
      { port: p.port },
      {
        to: ['ops@example.test', 'deputy@example.test'],
        cc: ['cc@example.test'],
        bcc: ['audit@example.test'],
      },
    );
    expect(d.status).toBe('sent');
    expect(p.commands.filter((c) => c.startsWith('RCPT TO:'))).toEqual([
      'RCPT TO:<ops@example.test>',
      'RCPT TO:<deputy@example.test>',
      'RCPT TO:<cc@example.test>',
      'RCPT TO:<audit@example.test>',
    ]);
    const head = p.messages[0]!.split('\r\n\r\n')[0]!;
    expect(head).toMatch(/^To: ops@example\.test, deputy@example\.test$/m);
    expect(head).toMatch(/^Cc: cc@example\.test$/m);
    expect(head).not.toMatch(/audit@example\.test/);
  });
});

describe('security "none" with a login', () => {
  it('upgrades with STARTTLS when the server offers it, says so, and logs in only over TLS', async () => {
    const server = await startSmtpServer({ mode: 'starttls', cert, users: { [USER]: PASSWORD } });
    try {
      const d = await send({
        port: server.port,
        allowPlainLogin: false,
        trustedCertificatePem: cert.cert,
      });
      expect(d.status).toBe('sent');
      expect(server.received[0]?.secure).toBe(true);
      expect(server.logins).toEqual([{ method: 'PLAIN', user: USER, ok: true }]);
      const attempt = d.attempts[0]!;
      expect(attempt.tls?.mode).toBe('starttls');
      const said = attempt.transcript.map((l) => `${l.dir} ${l.text}`);
      const upgrade = said.findIndex((l) =>
        /^i .*upgrading to TLS, so the login is not sent in clear text/.test(l),
      );
      const starttls = said.indexOf('c STARTTLS');
      const auth = said.findIndex((l) => l.startsWith('c AUTH PLAIN'));
      expect(upgrade).toBeGreaterThanOrEqual(0);
      expect(starttls).toBeGreaterThan(upgrade);
      expect(auth).toBeGreaterThan(starttls);
    } finally {
      await server.close();
    }
  });

  it('does not fall back to clear text when the STARTTLS upgrade fails (certificate not trusted)', async () => {
    const server = await startSmtpServer({ mode: 'starttls', cert, users: { [USER]: PASSWORD } });
    try {
      const d = await send({ port: server.port, allowPlainLogin: true });
      expect(d.status).toBe('failed');
      expect(d.failureClass).toBe('certificate-untrusted');
      expect(server.logins).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('never logs in in clear text unless the connector allows it', async () => {
    const server = await startSmtpServer({ mode: 'none', users: { [USER]: PASSWORD } });
    try {
      const refused = await send({ port: server.port, allowPlainLogin: false });
      expect(refused.status).toBe('failed');
      expect(refused.failureClass).toBe('login-not-encrypted');
      expect(refused.failure?.retryable).toBe(false);
      expect(refused.failure?.explanation).toMatch(/would cross the network in clear text/);
      expect(refused.failure?.fix).toMatch(/Allow login without encryption/);
      expect(lines(refused, 'c').some((l) => /^AUTH/i.test(l))).toBe(false);
      expect(server.logins).toHaveLength(0);
      expect(server.received).toHaveLength(0);

      const allowed = await send({ port: server.port, allowPlainLogin: true });
      expect(allowed.status).toBe('sent');
      expect(server.logins).toEqual([{ method: 'PLAIN', user: USER, ok: true }]);
      expect(server.received[0]?.secure).toBe(false);
    } finally {
      await server.close();
    }
  });
});
