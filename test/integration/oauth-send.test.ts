import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { fakeClock } from '../helpers/clock.ts';
import { startTestCore, unwrap, waitForDelivery, type TestCore } from '../helpers/core.ts';
import { signInEnded, startFakeAuthServer, xoauth2Smtp, type FakeAuthServer } from '../helpers/fake-oauth.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

/**
 * OAuth2 connectors end to end: a sign-in at the fake authorization server, then test e-mails,
 * handover runs and diagnosis through an smtp-server that accepts XOAUTH2 only with a live access
 * token of that server.
 */

const USER = 'alerts@contoso.com';
let cert: TestCertificate;
let fake: FakeAuthServer;
let auth: ReturnType<typeof xoauth2Smtp>;
let smtp: TestSmtpServer;
/** After this many accepted messages, the fake server expires every access token (null: never). */
let expireAfter: number | null = null;
let t: TestCore;
let clock: ReturnType<typeof fakeClock>;
let connectorId: string;
let accountId: string;
let siteId: string;
/** SMTP sessions in the delivery thread (as on computers with 4 or more cores) or in this one. */
let threaded = false;

beforeAll(async () => {
  cert = makeCertificate();
  fake = await startFakeAuthServer();
  auth = xoauth2Smtp(fake, 'microsoft');
  const liveToken = new Map<string, string>();
  smtp = await startSmtpServer({
    mode: 'starttls',
    cert,
    users: {},
    extra: {
      ...auth.extra,
      onAuth(a, session, callback) {
        liveToken.set(session.id, a.accessToken ?? '');
        auth.extra.onAuth!(a, session, callback);
      },
      // Exchange ends a session whose token has expired: the next message must sign in afresh.
      onMailFrom(_address, session, callback) {
        if (!fake.accessTokenValid(USER, liveToken.get(session.id) ?? ''))
          return callback(Object.assign(new Error('4.7.0 Token expired, reconnect'), { responseCode: 421 }));
        callback();
      },
    },
  });
});
afterAll(async () => {
  await smtp.close();
  await fake.close();
});

beforeEach(async () => {
  fake.signInAs = { email: USER };
  fake.deviceScript = ['approve'];
  fake.networkDown = false;
  fake.counts = { device: 0, poll: 0, code: 0, refresh: 0, revoke: 0 };
  auth.logins.length = 0;
  smtp.received.length = 0;
  expireAfter = null;
  clock = fakeClock();
  t = await startTestCore({ clock, oauthEndpoints: fake.endpoints, deliveryThread: threaded });
  unwrap(
    await t.api.oauth.updateApps({
      microsoft: { clientId: fake.clientId, tenant: 'organizations' },
      google: { clientId: '', clientSecret: '' },
    }),
  );
  siteId = unwrap(await t.api.sites.create({ name: 'Harbour Terminal' })).id;
  const start = unwrap(await t.api.oauth.startSignIn({ provider: 'microsoft', expectedAccount: USER }));
  const event = await signInEnded(t.api, start.flowId);
  accountId = event.account!.id;
  connectorId = unwrap(
    await t.api.connectors.create({
      siteId,
      title: 'Microsoft 365 alerts',
      host: '127.0.0.1',
      port: smtp.port,
      portIsManual: true,
      security: 'starttls',
      auth: 'xoauth2',
      username: USER,
      oauthAccountId: accountId,
      sender: USER,
      trustedCertificatePem: cert.cert,
      connectionTimeoutSec: 10,
      retryDelaysSec: [0, 0],
      maxSessions: 1,
    }),
  ).id;
});
afterEach(async () => {
  await t.close();
});

async function sendTest(subject = 'OAuth2 test') {
  const { deliveryId } = unwrap(
    await t.api.mail.sendTest({ connectorId, to: ['noc@portside.test'], subject }),
  );
  return waitForDelivery(t.api, deliveryId);
}

const transcriptText = (d: Awaited<ReturnType<typeof sendTest>>) =>
  d.attempts.flatMap((a) => a.transcript.map((l) => l.text)).join('\n');

describe('OAuth2 connectors send with XOAUTH2', () => {
  it('sends a test e-mail with the sign-in token, and the transcript never shows it', async () => {
    const d = await sendTest();
    expect(d.status).toBe('sent');
    expect(auth.logins).toHaveLength(1);
    expect(auth.logins[0]).toMatchObject({ user: USER, ok: true });
    const token = auth.logins[0]!.token;
    const text = transcriptText(d);
    expect(text).toContain('AUTH XOAUTH2');
    for (const form of [
      token,
      Buffer.from(token).toString('base64'),
      Buffer.from(`user=${USER}\x01auth=Bearer ${token}\x01\x01`).toString('base64'),
    ])
      expect(text).not.toContain(form);
    expect(smtp.received.at(-1)?.user).toBe(USER);
  });

  it('renews the token before it expires, and once more when the server refuses it', async () => {
    expect((await sendTest('first')).status).toBe('sent');
    await clock.sleep(56 * 60_000); // four minutes left: renewed before the session
    expect((await sendTest('second')).status).toBe('sent');
    expect(fake.counts.refresh).toBe(1);
    fake.expireAccessTokens(); // AlertDesk still believes its token good for an hour
    const third = await sendTest('third');
    expect(third.status).toBe('sent');
    expect(third.attempts).toHaveLength(1);
    expect(fake.counts.refresh).toBe(2);
    expect(transcriptText(third)).toContain('AlertDesk renews it and tries once more');
    expect(auth.logins.map((l) => l.ok)).toEqual([true, true, false, true]);
  });

  it('carries a handover run through a token that expires mid-run', async () => {
    for (let i = 1; i <= 5; i++)
      unwrap(
        await t.api.cameras.create({
          siteId,
          name: `Quay ${i}`,
          connectorId,
          recipients: ['noc@portside.test'],
        }),
      );
    unwrap(await t.api.connectors.setState({ id: connectorId, state: 'RUN' }));
    // The first two messages go out on the first token; then it expires at the server.
    const accepted = () => smtp.received.length;
    const watch = setInterval(() => {
      if (expireAfter !== null && accepted() >= expireAfter) {
        fake.expireAccessTokens();
        expireAfter = null;
      }
    }, 1);
    expireAfter = 2;
    try {
      const run = unwrap(await t.api.runs.start({ scope: { siteIds: [siteId] } }));
      const detail = await t.core.runs.settled(run.id);
      expect(detail.items.map((i) => `${i.status} ${i.failureClass ?? ''}`.trim())).toEqual(
        Array(5).fill('passed'),
      );
    } finally {
      clearInterval(watch);
    }
    expect(smtp.received).toHaveLength(5);
    expect(fake.counts.refresh).toBe(1);
    expect(auth.logins.filter((l) => !l.ok)).toHaveLength(1);
  });

  it('fails as "sign-in revoked" when consent was withdrawn, without retrying, and asks for a new sign-in', async () => {
    expect((await sendTest()).status).toBe('sent');
    fake.revoke(USER);
    const d = await sendTest('after revocation');
    expect(d.status).toBe('failed');
    expect(d.failureClass).toBe('oauth-consent-revoked');
    expect(d.attempts).toHaveLength(1);
    expect(d.failure?.explanation).toMatch(/Sign in again/);
    expect(unwrap(await t.api.oauth.accounts())[0]!.status).toBe('consent-revoked');
    const logins = auth.logins.length;
    const again = await sendTest('still revoked');
    expect(again.failureClass).toBe('oauth-consent-revoked');
    expect(auth.logins).toHaveLength(logins); // no session was opened for nothing
    expect(unwrap(await t.api.connectors.get({ id: connectorId })).lastTest).toMatchObject({
      ok: false,
      failureClass: 'oauth-consent-revoked',
    });
    const health = unwrap(await t.api.health.connectors()).find((c) => c.connectorId === connectorId)!;
    expect(health.level).toBe('failing');
    expect(health.reasons).toContainEqual(
      expect.objectContaining({
        source: 'sign-in',
        level: 'failing',
        text: 'Microsoft sign-in revoked: sign in again',
      }),
    );
  });

  it('refuses to log in as another mailbox than the sign-in', async () => {
    const inventory = t.core.inventory;
    inventory.commit({
      connectors: inventory.connectors.map((c) =>
        c.id === connectorId ? { ...c, username: 'reception@contoso.com' } : c,
      ),
    });
    const d = await sendTest();
    expect(d.failureClass).toBe('oauth-sign-in-needed');
    expect(d.failure?.explanation).toContain('the sign-in is for alerts@contoso.com');
    expect(auth.logins).toHaveLength(0);
  });

  it('retries while the sign-in service is unreachable, and says so', async () => {
    fake.networkDown = true;
    await clock.sleep(56 * 60_000);
    const d = await sendTest();
    expect(d.status).toBe('failed');
    expect(d.failureClass).toBe('oauth-unreachable');
    expect(d.attempts).toHaveLength(3); // transient: at once, then the connector's two retries
    expect(auth.logins).toHaveLength(0);
    fake.networkDown = false;
    expect((await sendTest('back')).status).toBe('sent');
  });

  it('diagnoses an OAuth2 connector with its sign-in, and withholds the token from other settings', async () => {
    const report = unwrap(await t.api.connectors.diagnose({ connectorId }));
    expect(report.ok).toBe(true);
    expect(auth.logins).toEqual([expect.objectContaining({ user: USER, ok: true })]);
    const elsewhere = unwrap(
      await t.api.connectors.diagnose({
        connectorId,
        draft: {
          host: 'localhost',
          port: smtp.port,
          security: 'starttls',
          auth: 'xoauth2',
          username: USER,
          trustedCertificatePem: cert.cert,
        },
      }),
    );
    expect(JSON.stringify(elsewhere)).toMatch(/OAuth2 login is tried only with the saved connector/);
    expect(auth.logins).toHaveLength(1);
  });
});

describe('OAuth2 connectors with sessions in the delivery thread', () => {
  beforeAll(() => {
    threaded = true;
  });
  afterAll(() => {
    threaded = false;
  });

  it('renews a refused token and sends again when the session opens with its first message', async () => {
    expect((await sendTest('first')).status).toBe('sent');
    fake.expireAccessTokens();
    const d = await sendTest('second');
    expect(d.status).toBe('sent');
    expect(fake.counts.refresh).toBe(1);
    expect(auth.logins.map((l) => l.ok)).toEqual([true, false, true]);
    const token = auth.logins[2]!.token;
    expect(transcriptText(d)).not.toContain(token);
  });
});
