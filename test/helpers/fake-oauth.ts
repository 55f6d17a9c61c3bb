import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ExternalBrowser } from '../../electron/core/adapters.ts';
import type { ProviderEndpoints } from '../../electron/core/oauth/providers.ts';
import type { SMTPServerOptions } from 'smtp-server';
import type { AlertDeskApi } from '../../shared/contract.ts';
import type { OAuthProvider, SignInEvent } from '../../shared/oauth.ts';

/**
 * A fake authorization server on loopback, for Microsoft (device authorization grant, Entra ID's
 * multi-tenant issuer) and Google (authorization code + PKCE) alike: token and refresh endpoints,
 * access-token expiry, consent revocation (`invalid_grant`), rotation of refresh tokens, and a
 * network failure switch. It also checks access tokens for the XOAUTH2 SMTP server of the tests,
 * and answers token introspection (RFC 7662) for the test Dovecot's OAuth2 pass database.
 */

export interface FakeUser {
  email: string;
  /** Microsoft: a UPN different from the e-mail address, when set. */
  upn?: string;
  name?: string;
  sub?: string;
  tid?: string;
}

/** What the next device-code polls are answered with; after the script, `pending`. */
export type DeviceStep = 'pending' | 'slow_down' | 'approve' | 'deny' | 'expire';

interface Grant {
  provider: OAuthProvider;
  user: Required<FakeUser>;
  clientId: string;
  scope: string;
  nonce: string | null;
}

export const CONSUMER_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
export const CONTOSO_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

export interface FakeAuthServer {
  base: string;
  endpoints: Record<OAuthProvider, ProviderEndpoints>;
  clientId: string;
  /** Google's client secret the token endpoint expects. */
  clientSecret: string;
  /** Who signs in next (device approval and browser consent). */
  signInAs: FakeUser;
  deviceScript: DeviceStep[];
  /** Seconds: the device code's lifetime and poll interval. */
  deviceExpiresIn: number;
  deviceInterval: number;
  /** What the browser does at Google's consent page. */
  browserAction: 'consent' | 'deny';
  accessTokenTtl: number;
  /** Issue a new refresh token with every refresh (and refuse the old one afterwards). */
  rotateRefreshTokens: boolean;
  /** Leave the ID token out of refresh answers (Microsoft sends one, Google does not). */
  idTokenOnRefresh: boolean;
  /** Every request's socket is destroyed: the provider unreachable. */
  networkDown: boolean;
  /** Requests by kind, to count polls and refreshes. */
  counts: { device: number; poll: number; code: number; refresh: number; revoke: number };
  /** The tenant segment of the last Microsoft request (`common`, `organizations`, a GUID…). */
  lastTenant: string | null;
  /**
   * Token introspection (RFC 7662, `POST token=…`), as a mail server asks it: `{ active: true,
   * email, username, scope, exp, … }` for a live access token, `{ active: false }` otherwise.
   */
  introspectionUrl: string;
  /** How many introspection requests were answered, and how many of them said active. */
  introspections: { total: number; active: number };
  /** Revokes every grant of the user: their refresh tokens answer invalid_grant from now on. */
  revoke(email: string): void;
  /** Makes every access token issued so far expired, as an hour passing would. */
  expireAccessTokens(): void;
  /** Whether the token is a live access token issued to this user (for the XOAUTH2 check). */
  accessTokenValid(user: string, token: string): boolean;
  close(): Promise<void>;
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

function jwt(claims: Record<string, unknown>): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'fake' }));
  const body = b64url(JSON.stringify(claims));
  const signature = sign('RSA-SHA256', Buffer.from(`${head}.${body}`), privateKey);
  return `${head}.${body}.${b64url(signature)}`;
}

function complete(u: FakeUser, provider: OAuthProvider): Required<FakeUser> {
  return {
    email: u.email,
    upn: u.upn ?? u.email,
    name: u.name ?? u.email.split('@')[0]!,
    sub: u.sub ?? createHash('sha256').update(`${provider}:${u.email}`).digest('hex').slice(0, 24),
    tid: u.tid ?? (provider === 'microsoft' ? CONTOSO_TENANT : ''),
  };
}

async function body(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(value));
}

const oauthError = (res: ServerResponse, error: string, description?: string, status = 400) =>
  json(res, status, { error, ...(description ? { error_description: description } : {}) });

export async function startFakeAuthServer(): Promise<FakeAuthServer> {
  const devices = new Map<string, { userCode: string; scope: string; clientId: string; expiresAt: number }>();
  const codes = new Map<string, Grant & { redirectUri: string; challenge: string }>();
  const refreshTokens = new Map<string, Grant & { revoked: boolean }>();
  const accessTokens = new Map<
    string,
    { email: string; scope: string; expiresAt: number; revoked: boolean }
  >();
  const sockets = new Set<Socket>();

  const issue = (grant: Grant, withIdToken: boolean, res: ServerResponse) => {
    const access = `at-${randomBytes(18).toString('base64url')}`;
    accessTokens.set(access, {
      email: grant.user.email,
      scope: grant.scope,
      expiresAt: Date.now() + fake.accessTokenTtl * 1000,
      revoked: false,
    });
    const refresh = `rt-${randomBytes(18).toString('base64url')}`;
    refreshTokens.set(refresh, { ...grant, revoked: false });
    const now = Math.floor(Date.now() / 1000);
    const idToken = jwt({
      iss: grant.provider === 'microsoft' ? `${fake.base}/ms/${grant.user.tid}/v2.0` : `${fake.base}/google`,
      sub: grant.user.sub,
      aud: grant.clientId,
      iat: now,
      exp: now + 3600,
      ...(grant.nonce ? { nonce: grant.nonce } : {}),
      ...(grant.provider === 'microsoft'
        ? { tid: grant.user.tid, preferred_username: grant.user.upn, email: grant.user.email }
        : { email: grant.user.email, email_verified: true }),
      name: grant.user.name,
    });
    json(res, 200, {
      token_type: 'Bearer',
      access_token: access,
      expires_in: fake.accessTokenTtl,
      refresh_token: refresh,
      scope: grant.scope,
      ...(withIdToken ? { id_token: idToken } : {}),
    });
    return refresh;
  };

  const checkClient = (params: URLSearchParams, provider: OAuthProvider): boolean =>
    params.get('client_id') === fake.clientId &&
    (provider === 'microsoft' || params.get('client_secret') === fake.clientSecret);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', fake.base);
    if (url.pathname === '/introspect' && req.method === 'POST') {
      const token = (await body(req)).get('token') ?? '';
      const t = accessTokens.get(token);
      fake.introspections.total++;
      if (!t || t.revoked || t.expiresAt <= Date.now()) return json(res, 200, { active: false });
      fake.introspections.active++;
      return json(res, 200, {
        active: true,
        token_type: 'Bearer',
        client_id: fake.clientId,
        email: t.email,
        username: t.email,
        scope: t.scope,
        exp: Math.floor(t.expiresAt / 1000),
      });
    }
    const [provider, ...rest] = url.pathname.split('/').filter(Boolean) as [string, ...string[]];
    const p: OAuthProvider = provider === 'ms' ? 'microsoft' : 'google';
    if (p === 'microsoft') fake.lastTenant = rest[0] ?? null;
    const endpoint = rest.at(-1);

    if (endpoint === 'authorize' && req.method === 'GET') {
      const q = url.searchParams;
      const redirect = new URL(q.get('redirect_uri') ?? '');
      redirect.searchParams.set('state', q.get('state') ?? '');
      if (fake.browserAction === 'deny') {
        redirect.searchParams.set('error', 'access_denied');
      } else {
        const code = `code-${randomBytes(12).toString('base64url')}`;
        codes.set(code, {
          provider: p,
          user: complete(fake.signInAs, p),
          clientId: q.get('client_id') ?? '',
          scope: q.get('scope') ?? '',
          nonce: q.get('nonce'),
          redirectUri: q.get('redirect_uri') ?? '',
          challenge: q.get('code_challenge') ?? '',
        });
        redirect.searchParams.set('code', code);
      }
      res.writeHead(302, { Location: redirect.href }).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const params = await body(req);

    if (endpoint === 'devicecode') {
      fake.counts.device++;
      if (params.get('client_id') !== fake.clientId)
        return oauthError(res, 'unauthorized_client', 'AADSTS700016: Application not found');
      const deviceCode = randomBytes(16).toString('base64url');
      const userCode = randomBytes(4).toString('hex').toUpperCase();
      devices.set(deviceCode, {
        userCode,
        scope: params.get('scope') ?? '',
        clientId: params.get('client_id') ?? '',
        expiresAt: Date.now() + fake.deviceExpiresIn * 1000,
      });
      return json(res, 200, {
        device_code: deviceCode,
        user_code: userCode,
        verification_uri: `${fake.base}/ms/device`,
        expires_in: fake.deviceExpiresIn,
        interval: fake.deviceInterval,
        message: `To sign in, open ${fake.base}/ms/device and enter the code ${userCode}.`,
      });
    }
    if (endpoint === 'revoke') {
      fake.counts.revoke++;
      const grant = refreshTokens.get(params.get('token') ?? '');
      if (grant) grant.revoked = true;
      res.writeHead(200).end();
      return;
    }
    if (endpoint !== 'token') {
      res.writeHead(404).end();
      return;
    }
    if (!checkClient(params, p)) return oauthError(res, 'invalid_client', 'Unknown client', 401);
    const grantType = params.get('grant_type');

    if (grantType === 'urn:ietf:params:oauth:grant-type:device_code') {
      fake.counts.poll++;
      const device = devices.get(params.get('device_code') ?? '');
      if (!device) return oauthError(res, 'invalid_grant', 'unknown device code');
      if (Date.now() > device.expiresAt) return oauthError(res, 'expired_token');
      const step = fake.deviceScript.shift() ?? 'pending';
      if (step === 'pending') return oauthError(res, 'authorization_pending');
      if (step === 'slow_down') return oauthError(res, 'slow_down');
      if (step === 'deny') return oauthError(res, 'access_denied', 'AADSTS70000: The user declined');
      if (step === 'expire') return oauthError(res, 'expired_token');
      devices.delete(params.get('device_code') ?? '');
      issue(
        {
          provider: p,
          user: complete(fake.signInAs, p),
          clientId: device.clientId,
          scope: device.scope,
          nonce: null,
        },
        true,
        res,
      );
      return;
    }
    if (grantType === 'authorization_code') {
      fake.counts.code++;
      const grant = codes.get(params.get('code') ?? '');
      codes.delete(params.get('code') ?? '');
      if (!grant) return oauthError(res, 'invalid_grant', 'unknown or used code');
      if (grant.redirectUri !== params.get('redirect_uri'))
        return oauthError(res, 'invalid_grant', 'redirect_uri mismatch');
      const verifier = params.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge)
        return oauthError(res, 'invalid_grant', 'PKCE verification failed');
      issue(grant, true, res);
      return;
    }
    if (grantType === 'refresh_token') {
      fake.counts.refresh++;
      const token = params.get('refresh_token') ?? '';
      const grant = refreshTokens.get(token);
      if (!grant || grant.revoked)
        return oauthError(
          res,
          'invalid_grant',
          'AADSTS50173: The provided grant has expired due to it being revoked',
        );
      if (fake.rotateRefreshTokens) {
        grant.revoked = true;
        issue(grant, fake.idTokenOnRefresh, res);
      } else {
        // Same refresh token again: answer with a new access token only.
        const access = `at-${randomBytes(18).toString('base64url')}`;
        accessTokens.set(access, {
          email: grant.user.email,
          scope: grant.scope,
          expiresAt: Date.now() + fake.accessTokenTtl * 1000,
          revoked: false,
        });
        json(res, 200, {
          token_type: 'Bearer',
          access_token: access,
          expires_in: fake.accessTokenTtl,
          scope: grant.scope,
        });
      }
      return;
    }
    return oauthError(res, 'unsupported_grant_type');
  }

  const server: Server = createServer((req, res) => {
    if (fake.networkDown) {
      req.socket.destroy();
      return;
    }
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeAuthServer = {
    base,
    endpoints: {
      microsoft: {
        issuer: `${base}/ms/{tenantid}/v2.0`,
        authorizationEndpoint: `${base}/ms/{tenant}/oauth2/v2.0/authorize`,
        tokenEndpoint: `${base}/ms/{tenant}/oauth2/v2.0/token`,
        deviceAuthorizationEndpoint: `${base}/ms/{tenant}/oauth2/v2.0/devicecode`,
      },
      google: {
        issuer: `${base}/google`,
        authorizationEndpoint: `${base}/google/authorize`,
        tokenEndpoint: `${base}/google/token`,
        revocationEndpoint: `${base}/google/revoke`,
      },
    },
    clientId: 'alertdesk-test-client',
    clientSecret: 'not-so-secret',
    signInAs: { email: 'alerts@contoso.com' },
    deviceScript: ['approve'],
    deviceExpiresIn: 900,
    deviceInterval: 5,
    browserAction: 'consent',
    accessTokenTtl: 3600,
    rotateRefreshTokens: true,
    idTokenOnRefresh: false,
    networkDown: false,
    counts: { device: 0, poll: 0, code: 0, refresh: 0, revoke: 0 },
    lastTenant: null,
    introspectionUrl: `${base}/introspect`,
    introspections: { total: 0, active: 0 },
    revoke(email) {
      for (const g of refreshTokens.values()) if (g.user.email === email) g.revoked = true;
      for (const t of accessTokens.values()) if (t.email === email) t.revoked = true;
    },
    expireAccessTokens() {
      for (const t of accessTokens.values()) t.expiresAt = 0;
    },
    accessTokenValid(user, token) {
      const t = accessTokens.get(token);
      return !!t && !t.revoked && t.expiresAt > Date.now() && t.email.toLowerCase() === user.toLowerCase();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

/**
 * The integrator's browser, for tests: it follows the authorization URL to the fake server's
 * consent and on to AlertDesk's loopback listener, as a real browser would, and records every
 * page it was asked to open.
 */
export function fakeBrowser(): ExternalBrowser & { opened: string[]; lastPage: Promise<string> | null } {
  const browser = {
    opened: [] as string[],
    lastPage: null as Promise<string> | null,
    async open(url: string, allowedOrigins: string[]) {
      if (!allowedOrigins.includes(new URL(url).origin)) throw new Error(`refused to open ${url}`);
      browser.opened.push(url);
      if (!url.includes('/authorize')) return;
      browser.lastPage = (async () => {
        const consent = await fetch(url, { redirect: 'manual' });
        const back = consent.headers.get('location');
        if (!back) return `no redirect (${consent.status})`;
        return (await fetch(back)).text();
      })();
      browser.lastPage.catch(() => undefined);
    },
  };
  return browser;
}

/**
 * smtp-server hooks that accept XOAUTH2 only with a live access token of the fake authorization
 * server, refusing as Google does (a 334 with the error, then 535) or as Microsoft does (535
 * 5.7.3 at once). `logins` records every attempt.
 */
export function xoauth2Smtp(
  fake: FakeAuthServer,
  style: 'google' | 'microsoft' = 'google',
): {
  extra: Pick<SMTPServerOptions, 'authMethods' | 'onAuth'>;
  logins: Array<{ user: string; token: string; ok: boolean }>;
} {
  const logins: Array<{ user: string; token: string; ok: boolean }> = [];
  return {
    logins,
    extra: {
      authMethods: ['XOAUTH2'],
      onAuth(auth, _session, callback) {
        const user = auth.username ?? '';
        const token = auth.accessToken ?? '';
        const ok = auth.method === 'XOAUTH2' && fake.accessTokenValid(user, token);
        logins.push({ user, token, ok });
        if (ok) return callback(null, { user });
        if (style === 'microsoft')
          return callback(
            Object.assign(
              new Error('5.7.3 Authentication unsuccessful [AM0PR01CA0001.eurprd01.prod.exchangelabs.com]'),
              {
                responseCode: 535,
              },
            ),
          );
        callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
      },
    },
  };
}

/** Sets AlertDesk's sign-in apps to the fake server's client (both providers, tenant `common`). */
export async function useFakeApps(api: AlertDeskApi, fake: FakeAuthServer): Promise<void> {
  const result = await api.oauth.updateApps({
    microsoft: { clientId: fake.clientId, tenant: 'common' },
    google: { clientId: fake.clientId, clientSecret: fake.clientSecret },
  });
  if (!result.ok) throw new Error(`sign-in apps refused: ${result.error.message}`);
}

/** The one event that ends a sign-in (signed in, failed or cancelled). */
export function signInEnded(api: AlertDeskApi, flowId: string): Promise<SignInEvent> {
  return new Promise((resolve) => {
    const off = api.events.on('oauth', (event) => {
      if (event.flowId === flowId) {
        off();
        resolve(event);
      }
    });
  });
}
