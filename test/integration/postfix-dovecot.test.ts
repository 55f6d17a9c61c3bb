import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryDetail } from '../../shared/delivery.ts';
import type { SecurityMode } from '../../shared/domain.ts';
import { startTestCore, unwrap, waitForDelivery, type TestCore } from '../helpers/core.ts';
import { startMailServer, type InboxMessage, type MailServer } from '../mailserver/mailserver.ts';
import { describeMailServer } from '../mailserver/describe.ts';

/**
 * AlertDesk's core against the real thing: Debian's Postfix (submission, SMTPS, a POP-before-SMTP
 * port) and Dovecot (SASL for Postfix, IMAP to read the mail back, POP3), started by
 * test/mailserver on loopback. Every message is read back over IMAP and compared with what was sent.
 */

describeMailServer('AlertDesk core against real Postfix + Dovecot', () => {
  let server: MailServer;
  let t: TestCore;
  let siteId: string;

  beforeAll(async () => {
    server = await startMailServer();
    t = await startTestCore();
    siteId = unwrap(await t.api.sites.create({ name: 'Harbour Gate', customer: 'Acme Logistics' })).id;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await server?.stop();
  });

  async function connector(
    port: number,
    security: SecurityMode,
    auth: 'plain' | 'login' | 'cram-md5' | 'none' | 'pop-before-smtp',
    extra: { password?: string; pop?: { password: string; security: SecurityMode; apop?: boolean } } = {},
  ) {
    return unwrap(
      await t.api.connectors.create({
        siteId,
        title: `Postfix ${security} ${auth} ${port}`,
        host: '127.0.0.1',
        port,
        portIsManual: true,
        security,
        auth,
        username: auth === 'none' || auth === 'pop-before-smtp' ? '' : server.user,
        ...(auth === 'none' || auth === 'pop-before-smtp'
          ? {}
          : { password: extra.password ?? server.password }),
        sender: server.user,
        connectionTimeoutSec: 10,
        trustedCertificatePem: server.certPem,
        retryDelaysSec: [],
        pop: extra.pop
          ? {
              host: '127.0.0.1',
              port: server.pop3Port,
              security: extra.pop.security,
              username: server.user,
              password: extra.pop.password,
              apop: extra.pop.apop ?? false,
              delayMs: 100,
            }
          : null,
      }),
    );
  }

  const unique = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;
  const bySubject = (subject: string) => (m: InboxMessage) => m.parsed.subject === subject;
  const addresses = (list: Array<{ address?: string }> | undefined) => (list ?? []).map((a) => a.address);
  const header = (m: InboxMessage, key: string) =>
    m.parsed.headers.filter((h) => h.key === key).map((h) => h.value);
  const bytesOf = (content: ArrayBuffer | Uint8Array | string) =>
    typeof content === 'string' ? Buffer.from(content) : Buffer.from(content as ArrayBuffer);
  /** The attempt went through these steps, in this order (other steps may sit between them). */
  const expectStepsInOrder = (d: DeliveryDetail, steps: string[]) => {
    const seen = d.attempts[0]!.timings.map((s) => s.step as string);
    const at = steps.map((step) => seen.indexOf(step));
    expect(at, `steps ${seen.join(' → ')}`).not.toContain(-1);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  };
  const queueId = (d: DeliveryDetail) => /queued as ([0-9A-Z]+)/.exec(d.reply ?? '')?.[1];

  /** Sends through the connector and checks, in the recipients' mailboxes, that it arrived intact. */
  async function sendAndReadBack(connectorId: string, label: string) {
    const subject = unique(`${label}: motion at North Gate – Kamera 3 ✓`);
    const snapshot = randomBytes(48 * 1024);
    const body = '<p>Motion detected at <b>North Gate</b> — Bewegung erkannt, 03:12:07</p>';
    const { deliveryId } = unwrap(
      await t.api.mail.sendTest({
        connectorId,
        to: [server.users.ops.address],
        cc: [server.users.manager.address],
        bcc: [server.users.alerts.address],
        subject,
        body,
        contentType: 'html',
        importance: 'high',
        attachments: [{ filename: 'north-gate snapshot.jpg', content: snapshot.toString('base64') }],
      }),
    );
    const d = await waitForDelivery(t.api, deliveryId);
    expect(d.failure, JSON.stringify(d.failure)).toBeNull();
    expect(d.status).toBe('sent');
    expect([...d.accepted].sort()).toEqual([
      server.users.alerts.address,
      server.users.manager.address,
      server.users.ops.address,
    ]);
    expect(d.rejected).toEqual([]);
    expect(d.reply).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]+$/);

    const { ops, manager, alerts } = server.users;
    const got = await server.waitForMessage(ops.address, ops.password, bySubject(subject));
    expect(got.parsed.subject).toBe(subject);
    expect(got.parsed.messageId).toBe(d.messageId);
    expect(got.parsed.from?.address).toBe(server.user);
    expect(addresses(got.parsed.to)).toEqual([ops.address]);
    expect(addresses(got.parsed.cc)).toEqual([manager.address]);
    expect(got.raw.toString('latin1')).not.toMatch(/^Bcc:/im);
    expect(got.parsed.html).toContain('Bewegung erkannt');
    expect(header(got, 'importance')).toEqual(['High']);
    expect(got.parsed.attachments).toHaveLength(1);
    const attachment = got.parsed.attachments[0]!;
    expect(attachment.filename).toBe('north-gate snapshot.jpg');
    expect(attachment.mimeType).toBe('image/jpeg');
    expect(bytesOf(attachment.content).equals(snapshot)).toBe(true);
    // Postfix's own trace: delivered by the virtual agent to this mailbox, queue id as in its 250.
    expect(header(got, 'delivered-to')).toEqual([ops.address]);
    const received = header(got, 'received')[0] ?? '';
    expect(received).toContain(`by mail.${server.domain} (Postfix) with`);
    expect(received).toContain(`id ${queueId(d)}`);

    // The cc and the bcc copies reached their own mailboxes; the bcc left no trace in the headers.
    const ccCopy = await server.waitForMessage(manager.address, manager.password, bySubject(subject));
    expect(ccCopy.parsed.messageId).toBe(d.messageId);
    expect(bytesOf(ccCopy.parsed.attachments[0]!.content).equals(snapshot)).toBe(true);
    const bccCopy = await server.waitForMessage(alerts.address, alerts.password, bySubject(subject));
    expect(bccCopy.raw.toString('latin1')).not.toMatch(/^Bcc:/im);
    expect(addresses(bccCopy.parsed.to)).toEqual([ops.address]);
    return { d, got, received };
  }

  it('delivers over submission with STARTTLS and AUTH LOGIN (Dovecot SASL), intact in the IMAP inbox', async () => {
    const c = await connector(server.submissionPort, 'starttls', 'login');
    const { d, received } = await sendAndReadBack(c.id, 'Submission');
    // ESMTPSA: ESMTP, over TLS (S), authenticated (A).
    expect(received).toMatch(/\(using TLSv1\.[23] with cipher [^)]+\)[\s\S]*with ESMTPSA id /);
    const attempt = d.attempts[0]!;
    expect(attempt.tls?.mode).toBe('starttls');
    expect(attempt.tls?.certificate?.subject).toContain('CN=localhost');
    expectStepsInOrder(d, ['connect', 'greeting', 'ehlo', 'starttls', 'auth', 'envelope', 'data']);
    const { postfix } = await server.logs();
    expect(postfix).toMatch(
      new RegExp(
        `${queueId(d)}: client=localhost\\[127\\.0\\.0\\.1\\], sasl_method=LOGIN, sasl_username=alerts@`,
      ),
    );
    expect(unwrap(await t.api.connectors.get({ id: c.id })).state).toBe('RUN');
  });

  it('delivers over SMTPS (TLS from the first byte) with AUTH PLAIN, intact in the IMAP inbox', async () => {
    const c = await connector(server.smtpsPort, 'tls', 'plain');
    const { d, received } = await sendAndReadBack(c.id, 'SMTPS');
    expect(received).toMatch(/with ESMTPSA id /);
    const attempt = d.attempts[0]!;
    expect(attempt.tls?.mode).toBe('implicit');
    expect(attempt.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expectStepsInOrder(d, ['connect', 'tls', 'greeting', 'ehlo', 'auth', 'envelope', 'data']);
    const { postfix } = await server.logs();
    expect(postfix).toMatch(
      new RegExp(`${queueId(d)}: client=localhost\\[127\\.0\\.0\\.1\\], sasl_method=PLAIN`),
    );
  });

  it('delivers with AUTH CRAM-MD5 on submission', async () => {
    const c = await connector(server.submissionPort, 'starttls', 'cram-md5');
    const subject = unique('CRAM-MD5');
    const { deliveryId } = unwrap(
      await t.api.mail.sendTest({ connectorId: c.id, to: [server.users.ops.address], subject }),
    );
    const d = await waitForDelivery(t.api, deliveryId);
    expect(d.status).toBe('sent');
    const got = await server.waitForMessage(
      server.users.ops.address,
      server.users.ops.password,
      bySubject(subject),
    );
    expect(got.parsed.messageId).toBe(d.messageId);
    expect((await server.logs()).postfix).toMatch(new RegExp(`${queueId(d)}: .*sasl_method=CRAM-MD5`));
  });

  it('reports a wrong password as auth-failed with Postfix’s 535, once, and sends nothing', async () => {
    const c = await connector(server.submissionPort, 'starttls', 'login', { password: 'not-the-password' });
    const subject = unique('Wrong password');
    const { deliveryId } = unwrap(
      await t.api.mail.sendTest({ connectorId: c.id, to: [server.users.ops.address], subject }),
    );
    const d = await waitForDelivery(t.api, deliveryId);
    expect(d.status).toBe('failed');
    expect(d.failureClass).toBe('auth-failed');
    expect(d.attempts).toHaveLength(1);
    expect(d.failure?.responseCode).toBe(535);
    expect(d.failure?.enhancedCode).toBe('5.7.8');
    expect(d.failure?.command).toMatch(/^AUTH LOGIN/);
    expect(d.failure?.reply).toMatch(/^535 5\.7\.8 .*authentication failed/i);
    expect(d.failure?.explanation).toContain('rejected the login');
    expect(unwrap(await t.api.connectors.get({ id: c.id })).state).toBe('STOPPED');
    // Dovecot checked the password (and said so), Postfix took no mail from the session.
    const { dovecot, postfix } = await server.logs();
    expect(dovecot).toMatch(
      /auth: Info: passwd-file\(alerts@example\.test,127\.0\.0\.1\): Password mismatch/,
    );
    expect(postfix).toMatch(/warning: localhost\[127\.0\.0\.1\]: SASL LOGIN authentication failed/);
    const inbox = await server.readInbox(server.users.ops.address, server.users.ops.password);
    expect(inbox.filter(bySubject(subject))).toEqual([]);
  });

  describe('POP-before-SMTP (Dovecot POP3 login opens the Postfix relay port)', () => {
    it('the relay port refuses mail from a client that has not logged in to POP3', async () => {
      await server.popBeforeSmtp.reset();
      const c = await connector(server.relayPort, 'none', 'none');
      const { deliveryId } = unwrap(
        await t.api.mail.sendTest({
          connectorId: c.id,
          to: [server.users.ops.address],
          subject: unique('No POP'),
        }),
      );
      const d = await waitForDelivery(t.api, deliveryId);
      expect(d.status).toBe('failed');
      expect(d.failureClass).toBe('recipient-rejected');
      expect(d.failure?.responseCode).toBe(554);
      expect(d.failure?.reply).toContain('POP-before-SMTP: log in over POP3 first');
      expect(server.popBeforeSmtp.lookups).toContainEqual({ key: '127.0.0.1', found: false });
    });

    for (const [security, apop] of [
      ['starttls', false],
      ['none', true],
    ] as const) {
      it(`logs in over POP3 (${security === 'starttls' ? 'STLS, USER/PASS' : 'plain, APOP'}), then delivers through the relay port`, async () => {
        await server.popBeforeSmtp.reset();
        const c = await connector(server.relayPort, 'none', 'pop-before-smtp', {
          pop: { password: server.password, security, apop },
        });
        const subject = unique(`POP-before-SMTP ${security}`);
        const { deliveryId } = unwrap(
          await t.api.mail.sendTest({
            connectorId: c.id,
            to: [server.users.ops.address],
            cc: [server.users.manager.address],
            subject,
            attachments: [
              { filename: 'event.txt', content: Buffer.from('zone 4 tamper').toString('base64') },
            ],
          }),
        );
        const d = await waitForDelivery(t.api, deliveryId);
        expect(d.failure, JSON.stringify(d.failure)).toBeNull();
        expect(d.status).toBe('sent');
        const attempt = d.attempts[0]!;
        expect(attempt.timings.map((s) => s.step).slice(0, 3)).toEqual(['pop3', 'connect', 'greeting']);
        expect(attempt.timings.map((s) => s.step)).not.toContain('auth');
        const transcript = attempt.transcript.map((l) => l.text).join('\n');
        expect(transcript).toContain(apop ? 'POP3 APOP alerts@example.test' : 'POP3 STLS');
        expect(transcript).toMatch(/POP3 \+OK Logged in\./);
        expect(transcript).not.toContain(server.password);

        // Dovecot saw the login; the table server told Postfix about it.
        const logins = await server.popBeforeSmtp.logins();
        expect(logins.map((l) => [l.user, l.ip])).toContainEqual([server.user, '127.0.0.1']);
        expect(server.popBeforeSmtp.lookups).toContainEqual({ key: '127.0.0.1', found: true });

        const { ops, manager } = server.users;
        const got = await server.waitForMessage(ops.address, ops.password, bySubject(subject));
        expect(addresses(got.parsed.cc)).toEqual([manager.address]);
        expect(got.parsed.attachments[0]?.filename).toBe('event.txt');
        expect(bytesOf(got.parsed.attachments[0]!.content).toString()).toBe('zone 4 tamper');
        // Plain ESMTP: neither TLS nor AUTH on this port.
        expect(header(got, 'received')[0]).toMatch(/with ESMTP id /);
        await server.waitForMessage(manager.address, manager.password, bySubject(subject));
      });
    }

    it('a wrong POP3 password fails as pop-before-smtp-failed without touching SMTP', async () => {
      const c = await connector(server.relayPort, 'none', 'pop-before-smtp', {
        pop: { password: 'not-the-password', security: 'starttls' },
      });
      const { deliveryId } = unwrap(
        await t.api.mail.sendTest({
          connectorId: c.id,
          to: [server.users.ops.address],
          subject: unique('Bad POP'),
        }),
      );
      const d = await waitForDelivery(t.api, deliveryId);
      expect(d.status).toBe('failed');
      expect(d.failureClass).toBe('pop-before-smtp-failed');
      expect(d.attempts).toHaveLength(1);
      expect(d.failure?.reply).toMatch(/^-ERR \[AUTH\] Authentication failed/);
      expect(d.failure?.explanation).toMatch(/^POP-before-SMTP failed: POP3 server refused PASS/);
      // Nothing after POP3: no SMTP connection was made.
      const attempt = d.attempts[0]!;
      expect(attempt.timings.map((s) => [s.step, s.ok])).toEqual([['pop3', false]]);
      expect(attempt.transcript.map((l) => l.text)).not.toContainEqual(
        expect.stringMatching(/^Connecting to/),
      );
      expect(attempt.transcript.map((l) => l.text)).toContain('POP3 -ERR [AUTH] Authentication failed.');
      const { dovecot } = await server.logs();
      expect(dovecot).toMatch(/pop3-login: Info: Disconnected: .*auth failed, 1 attempts/);
    });
  });
});
