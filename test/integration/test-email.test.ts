import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityMode } from '../../shared/domain.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { failure, startTestCore, unwrap, waitForDelivery, type TestCore } from '../helpers/core.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

const USER = 'alerts@example.test';
const PASSWORD = 'tiger-lily-2026';

let cert: TestCertificate;
let t: TestCore;
let siteId: string;

beforeAll(async () => {
  cert = makeCertificate();
  t = await startTestCore();
  siteId = unwrap(await t.api.sites.create({ name: 'Riverside Depot', customer: 'Acme Logistics' })).id;
});
afterAll(async () => {
  await t.close();
});

async function connectorFor(
  server: TestSmtpServer,
  security: SecurityMode,
  auth: 'plain' | 'login' | 'cram-md5',
  password = PASSWORD,
) {
  return unwrap(
    await t.api.connectors.create({
      siteId,
      title: `Test ${security} ${auth}`,
      host: '127.0.0.1',
      port: server.port,
      portIsManual: true,
      security,
      auth,
      username: USER,
      password,
      sender: USER,
      connectionTimeoutSec: 5,
      trustedCertificatePem: security === 'none' ? null : cert.cert,
      // smtp-server's "none" mode offers no STARTTLS: a login there needs the switch
      allowPlainLogin: security === 'none',
      retryDelaysSec: [],
    }),
  );
}

describe('test e-mail through a connector, against smtp-server on loopback', () => {
  const modes: SecurityMode[] = ['tls', 'starttls', 'none'];
  const methods = [
    ['plain', 'PLAIN'],
    ['login', 'LOGIN'],
    ['cram-md5', 'CRAM-MD5'],
  ] as const;

  for (const security of modes) {
    for (const [auth, mechanism] of methods) {
      it(`delivers over ${security} with AUTH ${mechanism}, trusting the pinned self-signed certificate`, async () => {
        const server = await startSmtpServer({ mode: security, cert, users: { [USER]: PASSWORD } });
        try {
          const connector = await connectorFor(server, security, auth);
          expect(connector.state).toBe('STOPPED');
          const { deliveryId } = unwrap(
            await t.api.mail.sendTest({
              connectorId: connector.id,
              to: ['ops@example.test', 'night-shift@example.test'],
              cc: ['manager@example.test'],
              bcc: ['archive@example.test'],
              subject: `Gate camera test (${security}/${mechanism})`,
              body: '<p>Motion detected at <b>North Gate</b></p>',
              contentType: 'html',
              importance: 'high',
              replyTo: 'noc@example.test',
              attachments: [{ filename: 'snapshot.txt', content: Buffer.from('frame 1').toString('base64') }],
            }),
          );
          const d = await waitForDelivery(t.api, deliveryId);
          expect(d.status).toBe('sent');
          expect(d.accepted.sort()).toEqual([
            'archive@example.test',
            'manager@example.test',
            'night-shift@example.test',
            'ops@example.test',
          ]);
          expect(d.rejected).toEqual([]);
          expect(d.reply).toMatch(/^250 /);
          expect(d.messageId).toMatch(/^<.+@example\.test>$/);
          expect(d.durationMs).toBeGreaterThanOrEqual(0);

          expect(server.logins).toEqual([{ method: mechanism, user: USER, ok: true }]);
          expect(server.received).toHaveLength(1);
          const got = server.received[0]!;
          expect(got.secure).toBe(security !== 'none');
          expect(got.parsed.subject).toBe(`Gate camera test (${security}/${mechanism})`);
          expect(got.parsed.cc?.map((a) => ('address' in a ? a.address : ''))).toEqual([
            'manager@example.test',
          ]);
          expect(got.raw.toString()).not.toMatch(/^Bcc:/im);
          expect(got.to).toContain('archive@example.test');
          expect(got.parsed.replyTo?.map((a) => ('address' in a ? a.address : ''))).toEqual([
            'noc@example.test',
          ]);
          expect(got.parsed.headers.find((h) => h.key === 'importance')?.value).toBe('High');
          expect(got.parsed.headers.find((h) => h.key === 'x-priority')?.value).toMatch(/^1/);
          expect(got.parsed.attachments[0]?.filename).toBe('snapshot.txt');

          const attempt = d.attempts[0]!;
          if (security === 'none') expect(attempt.tls).toBeNull();
          else {
            expect(attempt.tls?.mode).toBe(security === 'tls' ? 'implicit' : 'starttls');
            expect(attempt.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
            expect(attempt.tls?.certificate?.subject).toContain('CN=localhost');
          }
          expect(attempt.timings.map((s) => s.step)).toEqual(
            [
              ...(security === 'tls' ? ['connect', 'tls'] : ['connect']),
              'greeting',
              'ehlo',
              ...(security === 'starttls' ? ['starttls', 'ehlo'] : []),
              'auth',
              'envelope',
              'data',
            ].filter((s, i, all) => !(s === 'ehlo' && all[i - 1] === 'ehlo')),
          );
          const after = unwrap(await t.api.connectors.get({ id: connector.id }));
          expect(after.state).toBe('RUN');
          expect(after.lastTest?.ok).toBe(true);
        } finally {
          await server.close();
        }
      });
    }
  }

  it('explains a wrong password (535) and does not retry it', async () => {
    const server = await startSmtpServer({ mode: 'starttls', cert, users: { [USER]: PASSWORD } });
    try {
      const connector = await connectorFor(server, 'starttls', 'login', 'not-the-password');
      const { deliveryId } = unwrap(
        await t.api.mail.sendTest({
          connectorId: connector.id,
          to: ['ops@example.test'],
          subject: 'Wrong password',
        }),
      );
      const d = await waitForDelivery(t.api, deliveryId);
      expect(d.status).toBe('failed');
      expect(d.failureClass).toBe('auth-failed');
      expect(d.attempts).toHaveLength(1);
      expect(d.failure?.command).toMatch(/^AUTH LOGIN/);
      expect(d.failure?.responseCode).toBe(535);
      expect(d.failure?.reply).toContain('535');
      expect(d.failure?.explanation).toContain('rejected the login');
      expect(server.received).toHaveLength(0);
      expect(unwrap(await t.api.connectors.get({ id: connector.id })).state).toBe('STOPPED');
    } finally {
      await server.close();
    }
  });

  it('says a STARTTLS connector pointed at an implicit-TLS port never got a greeting', async () => {
    const server = await startSmtpServer({ mode: 'tls', cert, users: { [USER]: PASSWORD } });
    try {
      const connector = await connectorFor(server, 'starttls', 'plain');
      const updated = unwrap(
        await t.api.connectors.update({ ...connectorInput(connector), connectionTimeoutSec: 2 }),
      );
      const { deliveryId } = unwrap(
        await t.api.mail.sendTest({
          connectorId: updated.id,
          to: ['ops@example.test'],
          subject: 'Mode mismatch',
        }),
      );
      const d = await waitForDelivery(t.api, deliveryId);
      expect(d.status).toBe('failed');
      expect(d.failureClass).toBe('greeting-timeout');
      expect(d.failure?.explanation).toMatch(/never sent its SMTP greeting/);
      expect(server.received).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('refuses a connector input with a bad port and stores nothing', async () => {
    const before = unwrap(await t.api.connectors.list()).length;
    const error = failure(
      await t.api.connectors.create({
        siteId,
        title: 'Bad',
        host: 'smtp.example.test',
        port: 70000,
        portIsManual: true,
        security: 'tls',
        auth: 'none',
        sender: USER,
      }),
    );
    expect(error).toMatchObject({ code: 'invalid-input', field: 'port' });
    expect(unwrap(await t.api.connectors.list())).toHaveLength(before);
  });
});

function connectorInput(c: Awaited<ReturnType<typeof connectorFor>>) {
  return {
    id: c.id,
    siteId: c.siteId,
    title: c.title,
    host: c.host,
    port: c.port,
    portIsManual: c.portIsManual,
    security: c.security,
    auth: c.auth,
    username: c.username,
    sender: c.sender,
    trustedCertificatePem: c.trustedCertificate?.pem ?? null,
    retryDelaysSec: c.retryDelaysSec,
    connectionTimeoutSec: c.connectionTimeoutSec,
  };
}
void ({} as SecurityMode);
