import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyContext, targetFor, type RouteConnector } from '../../electron/core/mail/engine.ts';
import { discoverSettings } from '../../electron/core/mail/diagnose.ts';
import type { DiagnosisEvent } from '../../shared/delivery.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { closedPort } from '../helpers/faults.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

const USER = 'nvr@example.test';
const PASSWORD = 'diag-pass-9931';
let cert: TestCertificate;
let t: TestCore;
let siteId: string;
const events: DiagnosisEvent[] = [];

beforeAll(async () => {
  cert = makeCertificate();
  t = await startTestCore();
  t.api.events.on('diagnosis', (e) => events.push(e));
  siteId = unwrap(await t.api.sites.create({ name: 'Diagnosis lab' })).id;
});
afterAll(() => t.close());

describe('diagnose a connector without sending', () => {
  let server: TestSmtpServer;
  beforeAll(async () => {
    server = await startSmtpServer({ mode: 'starttls', cert, users: { [USER]: PASSWORD } });
  });
  afterAll(() => server.close());

  it('walks DNS, TCP, greeting, EHLO, STARTTLS and AUTH, each passed with its time, and sends nothing', async () => {
    const c = unwrap(
      await t.api.connectors.create({
        siteId,
        title: 'Diag',
        host: 'localhost',
        port: server.port,
        portIsManual: true,
        security: 'starttls',
        auth: 'login',
        username: USER,
        password: PASSWORD,
        sender: USER,
        trustedCertificatePem: cert.cert,
      }),
    );
    events.length = 0;
    const report = unwrap(await t.api.connectors.diagnose({ connectorId: c.id }));
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => [s.step, s.status])).toEqual([
      ['dns', 'passed'],
      ['connect', 'passed'],
      ['greeting', 'passed'],
      ['ehlo', 'passed'],
      ['starttls', 'passed'],
      ['ehlo', 'passed'],
      ['auth', 'passed'],
    ]);
    expect(report.steps.every((s) => s.durationMs !== null && s.durationMs >= 0)).toBe(true);
    expect(report.steps[0]!.summary).toMatch(/Resolved localhost to/);
    expect(report.steps[4]!.summary).toMatch(/TLSv1\.[23]/);
    expect(report.capabilities).toMatchObject({
      starttls: false,
      pipelining: true,
      authMechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
    });
    expect(report.capabilities?.size).toBeGreaterThan(0);
    expect(report.tls?.certificate?.subject).toContain('CN=localhost');
    expect(server.received).toHaveLength(0);
    expect(server.logins).toEqual([{ method: 'LOGIN', user: USER, ok: true }]);
    expect(
      events.some((e) => e.kind === 'diagnosis' && e.label === 'Login (AUTH)' && e.status === 'passed'),
    ).toBe(true);
  });

  it('marks the failing step with its hint and the later steps as not reached', async () => {
    const report = unwrap(
      await t.api.connectors.diagnose({
        draft: {
          host: '127.0.0.1',
          port: server.port,
          security: 'tls',
          auth: 'login',
          username: USER,
          password: PASSWORD,
          trustedCertificatePem: cert.cert,
        },
      }),
    );
    expect(report.ok).toBe(false);
    expect(report.failure?.class).toBe('tls-mode-mismatch');
    expect(report.steps.map((s) => [s.step, s.status])).toEqual([
      ['connect', 'passed'],
      ['tls', 'failed'],
      ['greeting', 'skipped'],
      ['ehlo', 'skipped'],
      ['auth', 'skipped'],
    ]);
    expect(report.steps[1]!.hint).toMatch(/STARTTLS/);
  });

  it('reports a wrong password at the AUTH step', async () => {
    const report = unwrap(
      await t.api.connectors.diagnose({
        draft: {
          host: '127.0.0.1',
          port: server.port,
          security: 'starttls',
          auth: 'plain',
          username: USER,
          password: 'nope-nope',
          trustedCertificatePem: cert.cert,
        },
      }),
    );
    expect(report.failure?.class).toBe('auth-failed');
    expect(report.steps.at(-1)).toMatchObject({ step: 'auth', status: 'failed' });
    expect(report.steps.at(-1)!.hint).toMatch(/app password/);
  });

  it('refuses a diagnosis with neither a connector nor settings, at the field', async () => {
    expect(failure(await t.api.connectors.diagnose({}))).toMatchObject({
      code: 'invalid-input',
      field: 'connectorId',
    });
  });
});

describe('find working settings', () => {
  it('tries each port and mode, logs in only on the best encrypted one, and recommends it', async () => {
    const tlsServer = await startSmtpServer({ mode: 'tls', cert, users: { [USER]: PASSWORD } });
    const starttlsServer = await startSmtpServer({ mode: 'starttls', cert, users: { [USER]: PASSWORD } });
    const plainServer = await startSmtpServer({ mode: 'none', users: { [USER]: PASSWORD } });
    const closed = await closedPort();
    try {
      const route: RouteConnector = {
        id: 'x',
        siteId: '',
        siteName: '',
        title: 'x',
        host: '127.0.0.1',
        port: 0,
        security: 'tls',
        auth: 'plain',
        username: USER,
        passwordSealed: null,
        sender: USER,
        trustedCertificatePem: cert.cert,
        allowPlainLogin: false,
        connectionTimeoutSec: 3,
        state: 'RUN',
        maxSessions: 1,
        rateLimitPerMinute: null,
        dailyLimit: null,
        retryDelaysSec: [],
        pop: null,
      };
      const run = (password: string) =>
        discoverSettings(
          'd1',
          targetFor(route, USER, password, ''),
          (port, security) => classifyContext({ ...route, port, security }, USER),
          undefined,
          () => undefined,
          [
            [closed, 'tls'],
            [tlsServer.port, 'tls'],
            [starttlsServer.port, 'starttls'],
            [tlsServer.port, 'starttls'],
            [starttlsServer.port, 'tls'],
            [plainServer.port, 'none'],
          ],
        );

      const good = await run(PASSWORD);
      expect(good.recommended).toEqual({ port: tlsServer.port, security: 'tls' });
      expect(good.verdict).toMatch(/accepts the login/);
      const byKey = new Map(good.candidates.map((c) => [`${c.port}/${c.security}`, c]));
      expect(byKey.get(`${closed}/tls`)).toMatchObject({
        outcome: 'failed',
        failureClass: 'connection-refused',
      });
      expect(byKey.get(`${tlsServer.port}/tls`)?.outcome).toBe('authenticated');
      expect(byKey.get(`${starttlsServer.port}/starttls`)?.outcome).toBe('connected');
      expect(byKey.get(`${starttlsServer.port}/tls`)).toMatchObject({
        outcome: 'failed',
        failureClass: 'tls-mode-mismatch',
      });
      expect(byKey.get(`${plainServer.port}/none`)?.outcome).toBe('connected');
      expect(plainServer.logins).toHaveLength(0);

      const logins = tlsServer.logins.length + starttlsServer.logins.length;
      const bad = await run('wrong-password');
      expect(bad.recommended).toBeNull();
      expect(bad.verdict).toMatch(/login was rejected/);
      // One wrong login, not one per port: the account is not hammered.
      expect(tlsServer.logins.length + starttlsServer.logins.length - logins).toBe(1);
      expect(plainServer.logins).toHaveLength(0);
    } finally {
      await Promise.all([tlsServer.close(), starttlsServer.close(), plainServer.close()]);
    }
  }, 60_000);
});

describe('the saved password goes only to the saved server', () => {
  let saved: TestSmtpServer;
  let other: TestSmtpServer;
  let connectorId: string;
  // Both servers would accept the password: a leak shows up as a login at the other one.
  beforeAll(async () => {
    saved = await startSmtpServer({ mode: 'starttls', cert, users: { [USER]: PASSWORD } });
    other = await startSmtpServer({ mode: 'starttls', cert, users: { [USER]: PASSWORD } });
    connectorId = unwrap(
      await t.api.connectors.create({
        siteId,
        title: 'Saved relay',
        host: '127.0.0.1',
        port: saved.port,
        portIsManual: true,
        security: 'starttls',
        auth: 'login',
        username: USER,
        password: PASSWORD,
        sender: USER,
        trustedCertificatePem: cert.cert,
      }),
    ).id;
  });
  afterAll(async () => {
    await saved.close();
    await other.close();
  });

  const form = (extra: Record<string, unknown> = {}) => ({
    connectorId,
    draft: {
      host: '127.0.0.1',
      port: saved.port,
      security: 'starttls' as const,
      auth: 'login' as const,
      username: USER,
      trustedCertificatePem: cert.cert,
      ...extra,
    },
  });

  it('uses the saved password while the form still points at the saved server (certificate pasted differently)', async () => {
    const before = saved.logins.length;
    const report = unwrap(
      await t.api.connectors.diagnose(
        form({ trustedCertificatePem: `\r\n${cert.cert.replace(/\n/g, '\r\n')}  ` }),
      ),
    );
    expect(report.ok).toBe(true);
    expect(report.steps.at(-1)).toMatchObject({ step: 'auth', status: 'passed' });
    expect(saved.logins.slice(before)).toEqual([{ method: 'LOGIN', user: USER, ok: true }]);
  });

  it('does not send the saved password to another host or port: it diagnoses without logging in and says so', async () => {
    const report = unwrap(await t.api.connectors.diagnose(form({ host: 'localhost', port: other.port })));
    expect(other.logins).toEqual([]);
    expect(report.steps.at(-1)).toMatchObject({ step: 'auth', status: 'skipped', summary: 'Not logged in' });
    expect(report.steps.at(-1)!.hint).toMatch(/saved password was not sent\. Type the password again/);
    const audit = unwrap(await t.api.audit.query({ filter: { recordId: connectorId } })).rows;
    expect(audit.some((e) => /not logged in: settings differ from the saved connector/.test(e.detail))).toBe(
      true,
    );

    // typed again, it is used
    const typed = unwrap(
      await t.api.connectors.diagnose(form({ host: 'localhost', port: other.port, password: PASSWORD })),
    );
    expect(typed.steps.at(-1)).toMatchObject({ step: 'auth', status: 'passed' });
    expect(other.logins).toEqual([{ method: 'LOGIN', user: USER, ok: true }]);
  });

  it('does not send it for another user name either', async () => {
    const before = saved.logins.length;
    const report = unwrap(await t.api.connectors.diagnose(form({ username: 'someone.else@example.test' })));
    expect(report.steps.at(-1)).toMatchObject({ step: 'auth', status: 'skipped' });
    expect(saved.logins.length).toBe(before);
  });

  it('does not log in anywhere when Find working settings is asked about another host, says so, and audits the search', async () => {
    const before = saved.logins.length + other.logins.length;
    const found = unwrap(await t.api.connectors.findSettings(form({ host: 'localhost' })));
    expect(found.verdict).toMatch(/The login was not tried: .*Type the password again/);
    expect(found.candidates.some((c) => c.outcome === 'authenticated' || c.outcome === 'auth-failed')).toBe(
      false,
    );
    expect(saved.logins.length + other.logins.length).toBe(before);
    const audit = unwrap(await t.api.audit.query({ filter: { recordId: connectorId } })).rows;
    expect(
      audit.some((e) => e.action === 'test' && /^find working settings on localhost/.test(e.detail)),
    ).toBe(true);
  }, 60_000);
});
