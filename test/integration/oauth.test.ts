import { readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { AppError } from '../../shared/result.ts';
import { mailboxAccessToken, oauthLogin, OAuthLoginError } from '../../electron/core/oauth/login.ts';
import { fakeClock } from '../helpers/clock.ts';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import {
  CONSUMER_TENANT,
  CONTOSO_TENANT,
  fakeBrowser,
  signInEnded,
  startFakeAuthServer,
  type FakeAuthServer,
  useFakeApps,
} from '../helpers/fake-oauth.ts';

let fake: FakeAuthServer;
let t: TestCore;
let clock: ReturnType<typeof fakeClock>;
let browser: ReturnType<typeof fakeBrowser>;
let siteId: string;

beforeAll(async () => {
  fake = await startFakeAuthServer();
});
afterAll(async () => {
  await fake.close();
});

beforeEach(async () => {
  fake.signInAs = { email: 'alerts@contoso.com' };
  fake.deviceScript = ['approve'];
  fake.browserAction = 'consent';
  fake.networkDown = false;
  fake.rotateRefreshTokens = true;
  fake.counts = { device: 0, poll: 0, code: 0, refresh: 0, revoke: 0 };
  clock = fakeClock();
  browser = fakeBrowser();
  t = await startTestCore({ clock, browser, oauthEndpoints: fake.endpoints });
  await useFakeApps(t.api, fake);
  siteId = unwrap(await t.api.sites.create({ name: 'Harbour Terminal' })).id;
});
afterEach(async () => {
  await t.close();
});

const finished = (flowId: string) => signInEnded(t.api, flowId);

async function signIn(provider: 'microsoft' | 'google', expectedAccount?: string) {
  const start = unwrap(
    await t.api.oauth.startSignIn({ provider, ...(expectedAccount ? { expectedAccount } : {}) }),
  );
  return { start, event: await finished(start.flowId) };
}

async function auditOf(action: string) {
  return unwrap(await t.api.audit.query({ filter: { action } })).rows;
}

describe('Microsoft sign-in (device authorization grant)', () => {
  it('shows a code, polls at the interval, slows down when told, and stores the account with its refresh token sealed', async () => {
    fake.deviceScript = ['pending', 'slow_down', 'pending', 'approve'];
    const start = unwrap(await t.api.oauth.startSignIn({ provider: 'microsoft' }));
    expect(start.method).toBe('device-code');
    expect(start.userCode).toMatch(/^[0-9A-F]{8}$/);
    expect(start.verificationUri).toBe(`${fake.base}/ms/device`);
    const event = await finished(start.flowId);
    expect(event.state).toBe('signed-in');
    expect(event.account).toMatchObject({
      provider: 'microsoft',
      account: 'alerts@contoso.com',
      tenantId: CONTOSO_TENANT,
      access: ['smtp'],
      status: 'signed-in',
    });
    // 5 s, 5 s, then +5 s for good after slow_down (RFC 8628 §3.5)
    expect(clock.sleeps).toEqual([5000, 5000, 10_000, 10_000]);
    expect(fake.counts.poll).toBe(4);
    expect(fake.lastTenant).toBe('common');

    const file = await readAnyStore(t.dir);
    expect(file).toContain('alerts@contoso.com');
    expect(file).not.toMatch(/rt-[A-Za-z0-9_-]{10}/);
    expect(file).not.toMatch(/at-[A-Za-z0-9_-]{10}/);
    const audit = await auditOf('sign-in');
    expect(audit[0]).toMatchObject({ result: 'ok', recordType: 'oauth-account' });
  });

  it('opens the code page only at the provider and only while the sign-in runs', async () => {
    fake.deviceScript = [];
    const start = unwrap(await t.api.oauth.startSignIn({ provider: 'microsoft' }));
    unwrap(await t.api.oauth.openSignInPage({ flowId: start.flowId }));
    expect(browser.opened).toEqual([`${fake.base}/ms/device`]);
    const done = finished(start.flowId);
    unwrap(await t.api.oauth.cancelSignIn({ flowId: start.flowId }));
    expect((await done).state).toBe('cancelled');
    expect(failure(await t.api.oauth.openSignInPage({ flowId: start.flowId })).code).toBe('not-found');
    expect(unwrap(await t.api.oauth.accounts())).toHaveLength(0);
  });

  it('says so in plain words when the integrator declines, and audits the failed sign-in', async () => {
    fake.deviceScript = ['pending', 'deny'];
    const { event } = await signIn('microsoft');
    expect(event.state).toBe('failed');
    expect(event.error?.code).toBe('oauth-denied');
    expect(event.error?.message).toMatch(/declined/);
    expect((await auditOf('sign-in'))[0]).toMatchObject({ result: 'failed' });
    expect(unwrap(await t.api.oauth.accounts())).toHaveLength(0);
  });

  it('ends with "code expired" when the provider says expired_token', async () => {
    fake.deviceScript = ['pending', 'expire'];
    const { event } = await signIn('microsoft');
    expect(event.error?.code).toBe('oauth-expired');
    expect(event.error?.message).toMatch(/Start the sign-in again/);
  });

  it('stops polling by itself once the code has expired locally', async () => {
    fake.deviceScript = [];
    fake.deviceExpiresIn = 12;
    try {
      const { event } = await signIn('microsoft');
      expect(event.error?.code).toBe('oauth-expired');
      expect(fake.counts.poll).toBe(2); // at 5 s and 10 s; at 15 s the code is over
    } finally {
      fake.deviceExpiresIn = 900;
    }
  });

  it('refuses the sign-in of another account than the connector logs in as, and stores nothing', async () => {
    fake.signInAs = { email: 'someone.else@contoso.com' };
    const { event } = await signIn('microsoft', 'alerts@contoso.com');
    expect(event.state).toBe('failed');
    expect(event.error?.code).toBe('oauth-account-mismatch');
    expect(event.error?.message).toContain('someone.else@contoso.com');
    expect(event.error?.message).toContain('alerts@contoso.com');
    expect(unwrap(await t.api.oauth.accounts())).toHaveLength(0);
  });

  it('accepts a sign-in whose UPN differs from its e-mail address under either name', async () => {
    fake.signInAs = { email: 'alerts@contoso.com', upn: 'svc-alerts@contoso.onmicrosoft.com' };
    const { event } = await signIn('microsoft', 'svc-alerts@contoso.onmicrosoft.com');
    expect(event.state).toBe('signed-in');
    expect(event.account?.aliases).toEqual(['svc-alerts@contoso.onmicrosoft.com']);
  });

  it('accepts a personal account through the common tenant (issuer completed from the tid claim)', async () => {
    fake.signInAs = { email: 'camera.alerts@outlook.com', tid: CONSUMER_TENANT };
    const { event } = await signIn('microsoft');
    expect(event.account).toMatchObject({ account: 'camera.alerts@outlook.com', tenantId: CONSUMER_TENANT });
  });

  it('checks the issuer exactly when the tenant setting is a tenant ID', async () => {
    unwrap(
      await t.api.oauth.updateApps({
        microsoft: { clientId: fake.clientId, tenant: CONTOSO_TENANT },
        google: { clientId: '', clientSecret: '' },
      }),
    );
    fake.signInAs = { email: 'alerts@fabrikam.com', tid: CONSUMER_TENANT };
    const { event } = await signIn('microsoft');
    expect(event.state).toBe('failed');
    expect(event.error?.message).toMatch(/could not be accepted/);
    expect(fake.lastTenant).toBe(CONTOSO_TENANT);
  });

  it('signs in again into the same account record instead of adding a second one', async () => {
    fake.deviceScript = ['approve', 'approve'];
    const first = (await signIn('microsoft')).event.account!;
    const second = (await signIn('microsoft')).event.account!;
    expect(second.id).toBe(first.id);
    expect(unwrap(await t.api.oauth.accounts())).toHaveLength(1);
  });

  it('explains where to set the client ID when none is set', async () => {
    unwrap(
      await t.api.oauth.updateApps({
        microsoft: { clientId: '', tenant: 'common' },
        google: { clientId: '', clientSecret: '' },
      }),
    );
    const error = failure(await t.api.oauth.startSignIn({ provider: 'microsoft' }));
    expect(error.code).toBe('oauth-not-configured');
    expect(error.message).toMatch(/Sign-in apps/);
  });

  it('says the provider is unreachable when it is', async () => {
    fake.networkDown = true;
    const error = failure(await t.api.oauth.startSignIn({ provider: 'microsoft' }));
    expect(error.code).toBe('oauth-unreachable');
    expect(error.message).toMatch(/could not be reached/);
  });

  it('keeps polling through a dropped connection until the integrator has signed in', async () => {
    fake.deviceScript = ['pending', 'approve'];
    const start = unwrap(await t.api.oauth.startSignIn({ provider: 'microsoft' }));
    fake.networkDown = true;
    const polls = fake.counts.poll;
    const done = finished(start.flowId);
    // Let a few polls fail on the dead network, then bring it back.
    while (clock.sleeps.length < 4) await new Promise((r) => setTimeout(r, 5));
    fake.networkDown = false;
    const event = await done;
    expect(event.state).toBe('signed-in');
    expect(fake.counts.poll - polls).toBe(2);
  });

  it('refuses bad sign-in app settings at their field', async () => {
    const error = failure(
      await t.api.oauth.updateApps({
        microsoft: { clientId: 'has spaces in it', tenant: 'common/../x' },
        google: { clientId: '', clientSecret: '' },
      }),
    );
    expect(Object.keys(error.fields ?? {})).toEqual(
      expect.arrayContaining(['microsoft.clientId', 'microsoft.tenant']),
    );
    expect(unwrap(await t.api.oauth.apps()).microsoft.clientId).toBe(fake.clientId);
  });
});

describe('the sign-in apps a build was published with', () => {
  const builtIn = () => ({
    microsoft: { clientId: fake.clientId, tenant: 'common' },
    google: { clientId: fake.clientId, clientSecret: fake.clientSecret },
  });

  it('signs in with the built-in apps when the integrator set none, and a later build’s apps replace them', async () => {
    const dataDir = t.dir;
    await t.core.close();
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    t = await startTestCore({
      dataDir,
      clock,
      browser,
      oauthEndpoints: fake.endpoints,
      builtInOAuthApps: builtIn(),
    });
    // Setting the built-in values stores nothing of them: the build's apps stay in use.
    unwrap(
      await t.api.oauth.updateApps({
        microsoft: { clientId: fake.clientId, tenant: 'common' },
        google: { clientId: fake.clientId, clientSecret: fake.clientSecret },
      }),
    );
    expect(unwrap(await t.api.oauth.apps())).toEqual(builtIn());
    expect((await signIn('microsoft')).event.state).toBe('signed-in');
    expect((await signIn('google')).event.state).toBe('signed-in');

    await t.core.close();
    const later = {
      microsoft: { clientId: 'b1b2c3d4-0000-4000-8000-00000000000b', tenant: 'common' },
      google: { clientId: 'later.apps.googleusercontent.com', clientSecret: 'later-secret' },
    };
    t = await startTestCore({
      dataDir,
      clock,
      browser,
      oauthEndpoints: fake.endpoints,
      builtInOAuthApps: later,
    });
    expect(unwrap(await t.api.oauth.apps())).toEqual(later);
  });

  it('uses the integrator’s own app over the built-in one, and the built-in one again when the field is emptied', async () => {
    const dataDir = t.dir;
    await t.core.close();
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    const published = {
      microsoft: { clientId: 'a1a2a3a4-0000-4000-8000-00000000000a', tenant: 'common' },
      google: { clientId: 'published.apps.googleusercontent.com', clientSecret: 'published-secret' },
    };
    t = await startTestCore({
      dataDir,
      clock,
      browser,
      oauthEndpoints: fake.endpoints,
      builtInOAuthApps: published,
    });
    // useFakeApps ran before the reopening: the integrator's own apps win over the build's.
    expect(unwrap(await t.api.oauth.apps()).microsoft.clientId).toBe(fake.clientId);
    expect((await signIn('microsoft')).event.state).toBe('signed-in');
    unwrap(
      await t.api.oauth.updateApps({
        microsoft: { clientId: '', tenant: 'organizations' },
        google: { clientId: '', clientSecret: '' },
      }),
    );
    expect(unwrap(await t.api.oauth.apps())).toEqual({
      microsoft: { clientId: published.microsoft.clientId, tenant: 'organizations' },
      google: published.google,
    });
    // The fake server does not know the published client: the sign-in goes out with it and is refused.
    const refused = failure(await t.api.oauth.startSignIn({ provider: 'microsoft' }));
    expect(refused.message).toMatch(/unauthorized_client.*Application not found/);
  });
});

describe('Google sign-in (loopback redirect with PKCE)', () => {
  it('opens the consent page at Google only, takes the answer on 127.0.0.1 and closes the listener', async () => {
    fake.signInAs = { email: 'site.alerts@gmail.com' };
    const { start, event } = await signIn('google', 'site.alerts@gmail.com');
    expect(start.method).toBe('browser');
    expect(event.state).toBe('signed-in');
    expect(event.account).toMatchObject({ provider: 'google', account: 'site.alerts@gmail.com' });
    const url = new URL(browser.opened[0]!);
    expect(url.origin).toBe(fake.base);
    const q = url.searchParams;
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('login_hint')).toBe('site.alerts@gmail.com');
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('scope')).toBe('openid email https://mail.google.com/');
    const redirect = new URL(q.get('redirect_uri')!);
    expect(redirect.hostname).toBe('127.0.0.1');
    expect(await browser.lastPage).toContain('Signed in to AlertDesk');
    expect(fake.counts.code).toBe(1);
    // The listener is gone once the answer is in.
    await expect(get(redirect.href)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('ignores an answer with another state and keeps waiting for the real one', async () => {
    fake.signInAs = { email: 'site.alerts@gmail.com' };
    const real = browser.open.bind(browser);
    let forged = 0;
    browser.open = async (url, origins) => {
      const redirect = new URL(new URL(url).searchParams.get('redirect_uri')!);
      forged = await get(`${redirect.href}?code=stolen&state=not-ours`).then((r) => r.status);
      await real(url, origins);
    };
    const { event } = await signIn('google');
    expect(forged).toBe(404);
    expect(event.state).toBe('signed-in');
    expect(fake.counts.code).toBe(1);
  });

  it('reports a declined consent', async () => {
    fake.browserAction = 'deny';
    const { event } = await signIn('google');
    expect(event.error?.code).toBe('oauth-denied');
    expect(await browser.lastPage).toContain('Sign-in failed');
  });
});

describe('access tokens', () => {
  async function account() {
    return (await signIn('microsoft')).event.account!;
  }

  it('hands out the token from the sign-in, then renews it within five minutes of expiry', async () => {
    const a = await account();
    const first = await t.core.oauth.accessToken(a.id);
    expect(fake.accessTokenValid('alerts@contoso.com', first.accessToken)).toBe(true);
    expect(fake.counts.refresh).toBe(0);
    await clock.sleep(54 * 60_000);
    expect((await t.core.oauth.accessToken(a.id)).accessToken).toBe(first.accessToken);
    await clock.sleep(2 * 60_000); // 4 minutes left
    const renewed = await t.core.oauth.accessToken(a.id);
    expect(renewed.accessToken).not.toBe(first.accessToken);
    expect(fake.counts.refresh).toBe(1);
    expect(unwrap(await t.api.oauth.accounts())[0]!.lastRefresh).toMatchObject({ ok: true });
  });

  it('renews once for many callers at the same moment (single flight per account)', async () => {
    const a = await account();
    const tokens = await Promise.all(
      Array.from({ length: 8 }, () => t.core.oauth.accessToken(a.id, { force: true })),
    );
    expect(new Set(tokens.map((x) => x.accessToken)).size).toBe(1);
    expect(fake.counts.refresh).toBe(1);
  });

  it('after a rejected token, renews once; a caller that saw the same rejection gets the renewed one', async () => {
    const a = await account();
    const old = await t.core.oauth.accessToken(a.id);
    fake.expireAccessTokens();
    const renewed = await t.core.oauth.accessToken(a.id, { force: true, rejected: old.accessToken });
    const again = await t.core.oauth.accessToken(a.id, { force: true, rejected: old.accessToken });
    expect(again.accessToken).toBe(renewed.accessToken);
    expect(fake.counts.refresh).toBe(1);
    expect(fake.accessTokenValid('alerts@contoso.com', renewed.accessToken)).toBe(true);
  });

  it('keeps a rotated refresh token: a new core on the same data renews with it', async () => {
    const a = await account();
    await t.core.oauth.accessToken(a.id, { force: true }); // rotates; the first refresh token is dead now
    await t.core.close();
    const reopened = await startTestCore({
      dataDir: t.dir,
      clock,
      browser,
      oauthEndpoints: fake.endpoints,
    });
    try {
      const token = await reopened.core.oauth.accessToken(a.id);
      expect(fake.accessTokenValid('alerts@contoso.com', token.accessToken)).toBe(true);
      expect(fake.counts.refresh).toBe(2);
    } finally {
      await reopened.close();
      t = await startTestCore({ clock, browser, oauthEndpoints: fake.endpoints });
    }
  });

  it('turns invalid_grant into a revoked consent: own class, "sign in again", audited once, no more calls', async () => {
    const a = await account();
    fake.revoke('alerts@contoso.com');
    const error = await t.core.oauth.accessToken(a.id, { force: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('oauth-consent-revoked');
    expect((error as AppError).message).toMatch(/Sign in again/);
    const again = await t.core.oauth.accessToken(a.id).catch((e: unknown) => e);
    expect((again as AppError).code).toBe('oauth-consent-revoked');
    expect(fake.counts.refresh).toBe(1);
    const view = unwrap(await t.api.oauth.accounts())[0]!;
    expect(view.status).toBe('consent-revoked');
    const refreshes = await auditOf('refresh');
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]).toMatchObject({ result: 'failed' });
  });

  it('reports an unreachable provider during refresh, and recovers when it is back', async () => {
    const a = await account();
    fake.networkDown = true;
    const error = await t.core.oauth.accessToken(a.id, { force: true }).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('oauth-unreachable');
    expect(unwrap(await t.api.oauth.accounts())[0]!.status).toBe('refresh-failing');
    await t.core.oauth.accessToken(a.id, { force: true }).catch(() => undefined);
    expect(await auditOf('refresh')).toHaveLength(1); // the same failure again is not audited again
    fake.networkDown = false;
    const checked = unwrap(await t.api.oauth.check({ id: a.id }));
    expect(checked.status).toBe('signed-in');
    expect(checked.accessTokenExpiresAt).not.toBeNull();
  });

  it('gives a watched mailbox the token of the sign-in that answers to its user and may read mail', async () => {
    const { oauth, inventory } = t.core;
    const none = await mailboxAccessToken(oauth, inventory, { username: 'alerts@contoso.com' }).catch(
      (e: unknown) => e,
    );
    expect((none as OAuthLoginError).failureClass).toBe('oauth-sign-in-needed');
    expect((none as Error).message).toMatch(/Nobody has signed in with alerts@contoso.com/);
    const a = await account();
    const smtpOnly = await mailboxAccessToken(oauth, inventory, { username: 'Alerts@Contoso.com' }).catch(
      (e: unknown) => e,
    );
    expect((smtpOnly as OAuthLoginError).code).toBe('oauth-scope-missing');
    fake.deviceScript = ['approve'];
    const start = unwrap(await t.api.oauth.startSignIn({ provider: 'microsoft', access: ['smtp', 'imap'] }));
    expect((await finished(start.flowId)).account?.id).toBe(a.id);
    const token = await mailboxAccessToken(oauth, inventory, { username: 'alerts@contoso.com' });
    expect(fake.accessTokenValid('alerts@contoso.com', token)).toBe(true);
  });

  it('asks for a new sign-in when IMAP is wanted but only sending was allowed', async () => {
    const a = await account();
    const error = await t.core.oauth.accessToken(a.id, { access: 'imap' }).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('oauth-scope-missing');
    fake.deviceScript = ['approve'];
    const start = unwrap(await t.api.oauth.startSignIn({ provider: 'microsoft', access: ['smtp', 'imap'] }));
    const event = await finished(start.flowId);
    expect(event.account?.access).toEqual(['imap', 'smtp']);
    await expect(t.core.oauth.accessToken(a.id, { access: 'imap' })).resolves.toBeTruthy();
  });
});

describe('connectors with OAuth2', () => {
  const fields = (oauthAccountId: string | null, username: string) => ({
    siteId,
    title: 'M365 alerts',
    host: 'smtp.office365.com',
    port: 587,
    security: 'starttls' as const,
    auth: 'xoauth2' as const,
    username,
    oauthAccountId,
    sender: username || 'alerts@contoso.com',
  });

  it('needs a sign-in, refuses another account at the user name, and saves a matching one', async () => {
    expect(fieldsOf(failure(await t.api.connectors.create(fields(null, 'alerts@contoso.com'))))).toContain(
      'oauthAccountId',
    );
    const a = (await signIn('microsoft')).event.account!;
    const mismatch = failure(await t.api.connectors.create(fields(a.id, 'other@contoso.com')));
    expect(mismatch.field).toBe('username');
    expect(mismatch.message).toContain('alerts@contoso.com');
    const saved = unwrap(await t.api.connectors.create(fields(a.id, 'Alerts@Contoso.com')));
    expect(saved.oauthAccountId).toBe(a.id);
    expect(unwrap(await t.api.oauth.accounts())[0]!.connectorIds).toEqual([saved.id]);
  });

  it('gives a session its XOAUTH2 login, and a failure class when there is none to give', async () => {
    const a = (await signIn('microsoft')).event.account!;
    const { oauth, inventory } = t.core;
    const login = await oauthLogin(oauth, inventory, {
      username: 'alerts@contoso.com',
      oauthAccountId: a.id,
    });
    expect(login.user).toBe('alerts@contoso.com');
    expect(fake.accessTokenValid('alerts@contoso.com', login.accessToken)).toBe(true);
    const classOf = (username: string, oauthAccountId: string | null, force = false) =>
      oauthLogin(oauth, inventory, { username, oauthAccountId }, { force }).then(
        () => 'no failure',
        (e: unknown) => (e instanceof OAuthLoginError ? e.failureClass : String(e)),
      );
    expect(await classOf('x@contoso.com', null)).toBe('oauth-sign-in-needed');
    expect(await classOf('other@contoso.com', a.id)).toBe('oauth-sign-in-needed');
    fake.networkDown = true;
    expect(await classOf('alerts@contoso.com', a.id, true)).toBe('oauth-unreachable');
    fake.networkDown = false;
    fake.revoke('alerts@contoso.com');
    expect(await classOf('alerts@contoso.com', a.id, true)).toBe('oauth-consent-revoked');
  });

  it('carries its sign-in to another computer in an encrypted backup: the connector logs in there without a new sign-in', async () => {
    const a = (await signIn('microsoft')).event.account!;
    const c = unwrap(await t.api.connectors.create(fields(a.id, 'alerts@contoso.com')));
    const backup = unwrap(await t.api.backup.export({ passphrase: 'correct horse battery staple' }));
    // No token in clear in the file.
    const refresh = await t.core.secrets.open(
      t.core.inventory.oauthAccount(a.id)!.refreshTokenSealed,
      `oauth-account/${a.id}/refresh-token`,
    );
    expect(backup.content.includes(refresh)).toBe(false);
    expect(backup.content.includes(Buffer.from(refresh).toString('base64').slice(0, 16))).toBe(false);

    const other = await startTestCore({ clock, browser, oauthEndpoints: fake.endpoints });
    onTestFinished(() => other.close());
    unwrap(
      await other.api.backup.import({ content: backup.content, passphrase: 'correct horse battery staple' }),
    );
    const [restored] = unwrap(await other.api.oauth.accounts());
    expect(restored).toMatchObject({ id: a.id, account: 'alerts@contoso.com', status: 'signed-in' });
    expect(restored!.connectorIds).toEqual([c.id]);
    expect(unwrap(await other.api.oauth.apps()).microsoft.clientId).toBe(fake.clientId);
    // The restored refresh token is redeemed at the provider for a new access token.
    const refreshes = fake.counts.refresh;
    const login = await oauthLogin(other.core.oauth, other.core.inventory, {
      username: 'alerts@contoso.com',
      oauthAccountId: a.id,
    });
    expect(fake.counts.refresh).toBe(refreshes + 1);
    expect(fake.accessTokenValid('alerts@contoso.com', login.accessToken)).toBe(true);
    const detail = unwrap(await other.api.audit.query({ filter: { action: 'import' } })).rows[0]!.detail;
    expect(detail).toContain('1 sign-in restored');
  });

  it('never lets an OAuth2 connector send without encryption', async () => {
    const a = (await signIn('microsoft')).event.account!;
    const error = failure(
      await t.api.connectors.create({ ...fields(a.id, 'alerts@contoso.com'), security: 'none', port: 25 }),
    );
    expect(fieldsOf(error)).toContain('security');
  });

  it('signs out: revokes at Google, destroys the token, leaves its connectors not signed in, audits it', async () => {
    fake.signInAs = { email: 'site.alerts@gmail.com' };
    const a = (await signIn('google')).event.account!;
    const c = unwrap(
      await t.api.connectors.create({
        ...fields(a.id, 'site.alerts@gmail.com'),
        host: 'smtp.gmail.com',
        port: 465,
        security: 'tls',
      }),
    );
    const out = unwrap(await t.api.oauth.signOut({ id: a.id }));
    expect(out).toEqual({ id: a.id, connectorsDetached: 1, revokedAtProvider: true });
    expect(fake.counts.revoke).toBe(1);
    expect(unwrap(await t.api.connectors.get({ id: c.id })).oauthAccountId).toBeNull();
    expect(unwrap(await t.api.oauth.accounts())).toHaveLength(0);
    expect((await auditOf('sign-out'))[0]).toMatchObject({ recordId: a.id });
    const error = await t.core.oauth.accessToken(a.id).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('oauth-not-signed-in');
  });
});

describe('watched mailboxes with OAuth2', () => {
  const mailbox = (username: string, extra: Record<string, unknown> = {}) => ({
    title: 'Contoso control room',
    host: 'outlook.office365.com',
    port: 993,
    security: 'tls' as const,
    auth: 'oauth2' as const,
    username,
    ...extra,
  });

  it('saves only with a sign-in of its user that may read mail, and says at which field what is wrong', async () => {
    const smtpOnly = (await signIn('microsoft')).event.account!;
    const noRead = failure(await t.api.mailboxes.create(mailbox('alerts@contoso.com')));
    expect(noRead.field).toBe('oauthAccountId');
    expect(noRead.message).toContain('allows sending only');
    const other = failure(
      await t.api.mailboxes.create(mailbox('other@contoso.com', { oauthAccountId: smtpOnly.id })),
    );
    expect(other.field).toBe('username');
    expect(other.message).toBe(
      'The sign-in is for alerts@contoso.com, but this mailbox logs in as other@contoso.com. Sign in with other@contoso.com, or change the user name to alerts@contoso.com.',
    );
    const typed = failure(
      await t.api.mailboxes.create(mailbox('alerts@contoso.com', { password: 'secret' })),
    );
    expect(fieldsOf(typed)).toContain('password');
    expect(t.core.inventory.mailboxes).toHaveLength(0);

    fake.deviceScript = ['approve'];
    const start = unwrap(
      await t.api.oauth.startSignIn({ provider: 'microsoft', access: ['smtp', 'imap'], purpose: 'mailbox' }),
    );
    expect((await finished(start.flowId)).account?.access).toEqual(['imap', 'smtp']);
    const saved = unwrap(
      await t.api.mailboxes.create(mailbox('Alerts@Contoso.com', { oauthAccountId: smtpOnly.id })),
    );
    expect(saved).toMatchObject({
      hasPassword: false,
      signIn: { state: 'signed-in', accountId: smtpOnly.id },
    });
    expect(unwrap(await t.api.oauth.accounts())[0]!.mailboxIds).toEqual([saved.id]);
  });

  it('a sign-in for a mailbox names the mailbox when it is another account', async () => {
    fake.signInAs = { email: 'someone.else@contoso.com' };
    const start = unwrap(
      await t.api.oauth.startSignIn({
        provider: 'microsoft',
        access: ['imap'],
        expectedAccount: 'alerts@contoso.com',
        purpose: 'mailbox',
      }),
    );
    const event = await finished(start.flowId);
    expect(event.error?.message).toContain(
      'You signed in as someone.else@contoso.com, but this mailbox logs in as alerts@contoso.com.',
    );
  });

  it('signing in again for a mailbox still asks for sending when its sign-in sends for connectors', async () => {
    const a = (await signIn('microsoft', 'alerts@contoso.com')).event.account!;
    expect(a.access).toEqual(['smtp']);
    fake.deviceScript = ['approve'];
    const start = unwrap(
      await t.api.oauth.startSignIn({
        provider: 'microsoft',
        access: ['imap'],
        expectedAccount: 'alerts@contoso.com',
        purpose: 'mailbox',
      }),
    );
    expect((await finished(start.flowId)).account?.access).toEqual(['imap', 'smtp']);
    // What the new token was granted, as a mail server would learn it (token introspection).
    const token = (await t.core.oauth.accessToken(a.id)).accessToken;
    const answer = (await (
      await fetch(fake.introspectionUrl, { method: 'POST', body: new URLSearchParams({ token }) })
    ).json()) as { active: boolean; scope: string };
    expect(answer.active).toBe(true);
    expect(answer.scope.split(' ')).toEqual(
      expect.arrayContaining([
        'https://outlook.office.com/SMTP.Send',
        'https://outlook.office.com/IMAP.AccessAsUser.All',
        'offline_access',
      ]),
    );
  });

  it('switching a mailbox from its app password to OAuth2 destroys the stored password, audited', async () => {
    const created = unwrap(
      await t.api.mailboxes.create(
        mailbox('alerts@contoso.com', { auth: 'password', password: 'App-Password-1' }),
      ),
    );
    expect(created).toMatchObject({ hasPassword: true, signIn: null });
    fake.deviceScript = ['approve'];
    const start = unwrap(await t.api.oauth.startSignIn({ provider: 'microsoft', access: ['imap'] }));
    await finished(start.flowId);
    const updated = unwrap(
      await t.api.mailboxes.update({ ...mailbox('alerts@contoso.com'), id: created.id }),
    );
    expect(updated).toMatchObject({ auth: 'oauth2', hasPassword: false, signIn: { state: 'signed-in' } });
    expect(t.core.inventory.mailbox(created.id)!.passwordSealed).toBeNull();
    const update = (await auditOf('update')).find((e) => e.recordId === created.id);
    expect(update?.detail).toBe('changed: auth, password (cleared)');
  });
});

const fieldsOf = (e: { field?: string; fields?: Record<string, string> }) => [
  ...(e.field ? [e.field] : []),
  ...Object.keys(e.fields ?? {}),
];

async function readAnyStore(dir: string): Promise<string> {
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  const texts = await Promise.all(files.map((f) => readFile(`${dir}/${f}`, 'utf8')));
  return texts.join('\n');
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}
