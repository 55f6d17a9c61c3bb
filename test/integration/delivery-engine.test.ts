import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileLogger } from '../../electron/adapters/file-logger.ts';
import { composeMessage } from '../../electron/core/mail/compose.ts';
import type { SecurityMode } from '../../shared/domain.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { fakeClock } from '../helpers/clock.ts';
import { filesUnder } from '../helpers/files.ts';
import { startTestCore, unwrap, waitForDelivery, type TestCore } from '../helpers/core.ts';
import { startSmtpServer } from '../helpers/smtp.ts';

const USER = 'camera7@example.test';
const PASSWORD = 'Sup3r-Secret-P@ss-4711';

let cert: TestCertificate;
beforeAll(() => {
  cert = makeCertificate();
});

async function connector(t: TestCore, port: number, extra: Record<string, unknown> = {}) {
  const siteId = unwrap(
    await t.api.sites.create({ name: `Site ${Math.random().toString(36).slice(2, 8)}` }),
  ).id;
  return unwrap(
    await t.api.connectors.create({
      siteId,
      title: 'Pool test',
      host: '127.0.0.1',
      port,
      portIsManual: true,
      security: 'starttls',
      auth: 'plain',
      username: USER,
      password: PASSWORD,
      sender: USER,
      trustedCertificatePem: cert.cert,
      connectionTimeoutSec: 5,
      retryDelaysSec: [],
      ...extra,
    }),
  );
}

async function bulkMessage(i: number) {
  return composeMessage({
    from: USER,
    fromName: '',
    to: [`ops${i}@example.test`],
    cc: [],
    bcc: [],
    replyTo: '',
    subject: `Bulk ${i}`,
    body: 'x',
    contentType: 'text',
    importance: 'normal',
    attachments: [],
  });
}

// SMTP sessions run in the delivery thread in the app; the engine can run them in its own thread too.
describe.each([
  ['sessions in the delivery thread', true],
  ['sessions in the main thread', false],
])('the send queue (%s)', (_where, deliveryThread) => {
  let t: TestCore;
  beforeAll(async () => {
    t = await startTestCore({ deliveryThread });
  });
  afterAll(() => t.close());

  it('sends several messages of one connector over few sessions, never more than its pool allows', async () => {
    let open = 0;
    let peak = 0;
    let connections = 0;
    const server = await startSmtpServer({
      mode: 'starttls',
      cert,
      users: { [USER]: PASSWORD },
      extra: {
        onConnect(_s, cb) {
          connections++;
          peak = Math.max(peak, ++open);
          cb();
        },
        onClose() {
          open--;
        },
      },
    });
    try {
      const c = await connector(t, server.port, { maxSessions: 2 });
      unwrap(await t.api.connectors.setState({ id: c.id, state: 'RUN' }));
      const jobs = await Promise.all(
        Array.from({ length: 8 }, async (_, i) =>
          t.core.engine.submit({ kind: 'bulk', connectorId: c.id, message: await bulkMessage(i) }),
        ),
      );
      const outcomes = await Promise.all(jobs.map((j) => j.done));
      expect(outcomes.map((d) => d.status)).toEqual(Array(8).fill('sent'));
      const done = outcomes.map((d) => t.core.deliveries.detail(d.id)!);
      expect(server.received).toHaveLength(8);
      expect(peak).toBeLessThanOrEqual(2);
      expect(connections).toBeLessThanOrEqual(2);
      expect(server.logins.length).toBe(connections);
      const reused = done.filter((d) =>
        d.attempts[0]!.transcript.some((l) => l.text.startsWith('Reusing the SMTP session')),
      );
      expect(reused.length).toBe(8 - connections);
      // A reused attempt still shows how its session was opened, with the login redacted.
      const text = reused[0]!.attempts[0]!.transcript.map((l) => l.text).join('\n');
      expect(text).toMatch(/AUTH PLAIN \/\* redacted \*\//);
    } finally {
      await server.close();
    }
  });

  it('refuses loudly to send through a STOPPED connector, but lets a test e-mail through', async () => {
    const server = await startSmtpServer({ mode: 'starttls', cert, users: { [USER]: PASSWORD } });
    try {
      const c = await connector(t, server.port);
      const job = t.core.engine.submit({ kind: 'bulk', connectorId: c.id, message: await bulkMessage(1) });
      const d = await job.done;
      expect([d.status, d.failureClass]).toEqual(['failed', 'connector-stopped']);
      expect(server.received).toHaveLength(0);
      const { deliveryId } = unwrap(
        await t.api.mail.sendTest({ connectorId: c.id, to: ['ops@example.test'], subject: 'Test' }),
      );
      expect((await waitForDelivery(t.api, deliveryId)).status).toBe('sent');
    } finally {
      await server.close();
    }
  });

  it('cancels queued messages and keeps what finished', async () => {
    const server = await startSmtpServer({ mode: 'starttls', cert, users: { [USER]: PASSWORD } });
    try {
      const c = await connector(t, server.port, { maxSessions: 1 });
      unwrap(await t.api.connectors.setState({ id: c.id, state: 'RUN' }));
      const controller = new AbortController();
      const jobs = await Promise.all(
        Array.from({ length: 6 }, async (_, i) =>
          t.core.engine.submit({
            kind: 'bulk',
            connectorId: c.id,
            message: await bulkMessage(i),
            signal: controller.signal,
          }),
        ),
      );
      const first = await jobs[0]!.done;
      controller.abort();
      const rest = await Promise.all(jobs.slice(1).map((j) => j.done));
      expect(first.status).toBe('sent');
      const statuses = rest.map((d) => d.status);
      expect(statuses.every((s) => s === 'sent' || s === 'cancelled')).toBe(true);
      expect(statuses).toContain('cancelled');
      expect(server.received.length).toBe(1 + statuses.filter((s) => s === 'sent').length);
    } finally {
      await server.close();
    }
  });
});

describe('limits', () => {
  it('keeps a connector inside its messages-per-minute limit', async () => {
    const clock = fakeClock();
    const t = await startTestCore({ clock });
    const server = await startSmtpServer({ mode: 'starttls', cert, users: { [USER]: PASSWORD } });
    try {
      const c = await connector(t, server.port, { rateLimitPerMinute: 2, maxSessions: 1 });
      unwrap(await t.api.connectors.setState({ id: c.id, state: 'RUN' }));
      const jobs = await Promise.all(
        Array.from({ length: 5 }, async (_, i) =>
          t.core.engine.submit({ kind: 'bulk', connectorId: c.id, message: await bulkMessage(i) }),
        ),
      );
      const done = await Promise.all(jobs.map((j) => j.done));
      expect(done.every((d) => d.status === 'sent')).toBe(true);
      // 5 messages at 2 a minute: two waits for the window to move on.
      expect(clock.sleeps.filter((ms) => ms > 50_000)).toHaveLength(2);
    } finally {
      await server.close();
      await t.close();
    }
  });

  it('holds messages back once the daily limit is used up, as rate-limited', async () => {
    const t = await startTestCore();
    const server = await startSmtpServer({ mode: 'starttls', cert, users: { [USER]: PASSWORD } });
    try {
      const c = await connector(t, server.port, { dailyLimit: 2 });
      unwrap(await t.api.connectors.setState({ id: c.id, state: 'RUN' }));
      const results = [];
      for (let i = 0; i < 3; i++)
        results.push(
          await t.core.engine.submit({ kind: 'bulk', connectorId: c.id, message: await bulkMessage(i) }).done,
        );
      expect(results.map((d) => d.status)).toEqual(['sent', 'sent', 'failed']);
      expect(results[2]!.failureClass).toBe('rate-limited');
      expect(results[2]!.failure?.explanation).toMatch(/daily limit \(2\)/);
      expect(server.received).toHaveLength(2);
    } finally {
      await server.close();
      await t.close();
    }
  });
});

describe('transcripts never keep a credential', () => {
  it('redacts PLAIN, LOGIN and CRAM-MD5 logins, passed or failed, everywhere in the history and the log', async () => {
    const dataDir = (await import('node:fs/promises')).mkdtemp(
      join((await import('node:os')).tmpdir(), 'alertdesk-redact-'),
    );
    const dir = await dataDir;
    const t = await startTestCore({ dataDir: dir, logger: fileLogger(dir) });
    const modes: SecurityMode[] = ['tls', 'starttls', 'none'];
    try {
      for (const security of modes) {
        const server = await startSmtpServer({ mode: security, cert, users: { [USER]: PASSWORD } });
        try {
          for (const auth of ['plain', 'login', 'cram-md5'] as const) {
            for (const password of [PASSWORD, `${PASSWORD}-wrong`]) {
              const c = await connector(t, server.port, {
                security,
                auth,
                password,
                mailDebug: true,
                trustedCertificatePem: security === 'none' ? null : cert.cert,
                allowPlainLogin: security === 'none',
              });
              const { deliveryId } = unwrap(
                await t.api.mail.sendTest({
                  connectorId: c.id,
                  to: ['ops@example.test'],
                  subject: `${security} ${auth}`,
                }),
              );
              const d = await waitForDelivery(t.api, deliveryId);
              expect(d.status).toBe(password === PASSWORD ? 'sent' : 'failed');
            }
          }
        } finally {
          await server.close();
        }
      }
      const forms = new Set<string>();
      for (const p of [PASSWORD, `${PASSWORD}-wrong`]) {
        const b = (s: string) => Buffer.from(s).toString('base64');
        forms.add(p);
        forms.add(b(p));
        forms.add(b(`\0${USER}\0${p}`));
        forms.add(b(`${USER}\0${USER}\0${p}`));
        forms.add(Buffer.from(p).toString('hex'));
      }
      // Everything the API can return about these deliveries…
      const page = unwrap(await t.api.deliveries.query({ limit: 500 }));
      expect(page.total).toBe(18);
      for (const row of page.rows) {
        const detail = JSON.stringify(unwrap(await t.api.deliveries.get({ id: row.id })));
        for (const form of forms)
          expect(detail.includes(form), `${form} in delivery ${row.subject}`).toBe(false);
        expect(detail).not.toMatch(/CRAM-MD5 [A-Za-z0-9+/=]{20,}/);
      }
      // …every transcript as stored (decompressed)…
      const blobs = t.core.db.prepare('SELECT transcript FROM attempts').all() as Array<{
        transcript: Uint8Array;
      }>;
      expect(blobs.length).toBe(18);
      for (const { transcript } of blobs) {
        const text = inflateRawSync(transcript).toString('utf8');
        for (const form of forms) expect(text.includes(form)).toBe(false);
      }
      // …and every byte in the data folder, the log included.
      await t.core.close();
      const files = await filesUnder(dir);
      expect(files.some((f) => f.endsWith('alertdesk.log'))).toBe(true);
      for (const file of files) {
        const bytes = await readFile(file);
        for (const form of forms) expect(bytes.includes(Buffer.from(form)), `${form} in ${file}`).toBe(false);
      }
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});
