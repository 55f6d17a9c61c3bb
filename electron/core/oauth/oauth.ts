import * as oauth from 'oauth4webapi';
import {
  OAUTH_PROVIDER_LABELS,
  accountAnswersTo,
  scopesFor,
  type OAuthAccess,
  type OAuthAccount,
  type OAuthApps,
  type OAuthProvider,
  type SignInEvent,
  type SignInPurpose,
  type SignInStart,
} from '../../../shared/oauth.ts';
import { plural } from '../../../shared/words.ts';
import { AppError, notFound } from '../../../shared/result.ts';
import type { Clock, ExternalBrowser, Logger, PlacedSecrets } from '../adapters.ts';
import { secretPlace } from '../secrets/keyring.ts';
import type { AuditInput, AuditLog } from '../history/audit.ts';
import type { Inventory, StoredOAuthAccount } from '../inventory/inventory.ts';
import {
  isNetworkError,
  requestOptions,
  startDeviceFlow,
  startLoopbackFlow,
  unreachable,
  type SignedIn,
} from './flows.ts';
import { providerClient, signInOrigins, type ProviderEndpoints } from './providers.ts';

/** An access token is renewed when less than this is left, so a session never starts on a dying one. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

export interface AccessToken {
  /** The account the token was issued for (log in as the connector's user, which answers to it). */
  account: string;
  accessToken: string;
  expiresAt: number;
}

/**
 * What an SMTP or IMAP client asks for before it logs in: a fresh access token for a signed-in
 * account (`force` after the server rejected one; `rejected` names it, so a token someone else has
 * already renewed is used instead of renewing again).
 */
export interface TokenSource {
  accessToken(
    accountId: string,
    options?: { force?: boolean; rejected?: string; access?: OAuthAccess },
  ): Promise<AccessToken>;
}

interface Flow {
  controller: AbortController;
  provider: OAuthProvider;
  verificationUri: string | null;
  origins: string[];
}

export interface OAuthDeps {
  inventory: Inventory;
  audit: AuditLog;
  /** Seals each refresh token bound to its account (the keyring's secrets). */
  secrets: PlacedSecrets;
  clock: Clock;
  logger: Logger;
  osUser: string;
  browser?: ExternalBrowser | undefined;
  endpoints?: Partial<Record<OAuthProvider, ProviderEndpoints>> | undefined;
  /** The sign-in apps the build was published with: what an empty setting stands for. */
  builtInApps?: OAuthApps | undefined;
  emit: (event: SignInEvent) => void;
  /** Called when an account's state may have changed (health reads it again). */
  changed?: () => void;
  /** Someone signed in, or out: the mailboxes logging in as that account act on it at once. */
  accountChanged?: (account: StoredOAuthAccount, what: 'signed-in' | 'signed-out') => void;
}

interface SignInRequest {
  provider: OAuthProvider;
  expectedAccount?: string | undefined;
  access: OAuthAccess[];
  purpose?: SignInPurpose | undefined;
}

/** A client ID (and Google's secret with it) left empty stands for the built-in one. */
function withBuiltIn(set: OAuthApps, builtIn: OAuthApps | undefined): OAuthApps {
  if (!builtIn) return set;
  const google = set.google.clientId === '' ? builtIn.google : set.google;
  return {
    microsoft: {
      clientId: set.microsoft.clientId || builtIn.microsoft.clientId,
      tenant: set.microsoft.tenant,
    },
    google: { clientId: google.clientId, clientSecret: google.clientSecret },
  };
}

function withoutBuiltIn(apps: OAuthApps, builtIn: OAuthApps | undefined): OAuthApps {
  if (!builtIn) return apps;
  const googleBuiltIn =
    builtIn.google.clientId !== '' &&
    apps.google.clientId === builtIn.google.clientId &&
    apps.google.clientSecret === builtIn.google.clientSecret;
  return {
    microsoft: {
      clientId: apps.microsoft.clientId === builtIn.microsoft.clientId ? '' : apps.microsoft.clientId,
      tenant: apps.microsoft.tenant,
    },
    google: googleBuiltIn ? { clientId: '', clientSecret: '' } : apps.google,
  };
}

const label = (a: Pick<StoredOAuthAccount, 'provider' | 'account'>) =>
  `${OAUTH_PROVIDER_LABELS[a.provider]} · ${a.account}`;

/**
 * OAuth2 sign-ins: starting and finishing them, keeping each account's refresh token sealed like
 * every secret, and handing out access tokens — renewed before they expire, once at a time per
 * account, and with a revoked consent recognised as such.
 */
export class OAuthService implements TokenSource {
  private readonly flows = new Map<string, Flow>();
  private readonly cached = new Map<string, AccessToken>();
  private readonly inflight = new Map<string, Promise<AccessToken>>();
  private readonly deps: OAuthDeps;

  constructor(deps: OAuthDeps) {
    this.deps = deps;
  }

  /**
   * The sign-in apps in use: each one the integrator set, and where they left it empty, the one
   * this build was published with.
   */
  apps(): OAuthApps {
    return withBuiltIn(this.deps.inventory.oauthApps, this.deps.builtInApps);
  }

  updateApps(input: OAuthApps): OAuthApps {
    const before = this.apps();
    const apps = input;
    const changed = [
      before.microsoft.clientId !== apps.microsoft.clientId && 'Microsoft client ID',
      before.microsoft.tenant !== apps.microsoft.tenant && `Microsoft tenant (${apps.microsoft.tenant})`,
      before.google.clientId !== apps.google.clientId && 'Google client ID',
      before.google.clientSecret !== apps.google.clientSecret && 'Google client secret',
    ].filter(Boolean);
    // What equals the built-in app is stored empty, so that a later build's app is used.
    this.deps.inventory.commit({ oauthApps: withoutBuiltIn(apps, this.deps.builtInApps) }, [
      {
        action: 'update',
        recordType: 'inventory',
        recordLabel: 'Sign-in apps',
        detail: changed.length ? `changed: ${changed.join(', ')}` : 'no change',
      },
    ]);
    return this.apps();
  }

  /**
   * The sign-ins were replaced wholesale (a backup restored): access tokens held for the old
   * records are dropped, so the next use renews with the restored refresh token.
   */
  replaced(): void {
    this.cached.clear();
    this.deps.changed?.();
  }

  list(): OAuthAccount[] {
    return this.deps.inventory.oauthAccounts.map((a) => this.view(a));
  }

  get(id: string): OAuthAccount {
    return this.view(this.stored(id));
  }

  private stored(id: string): StoredOAuthAccount {
    const a = this.deps.inventory.oauthAccount(id);
    if (!a) throw notFound('Signed-in account', id);
    return a;
  }

  private view(a: StoredOAuthAccount): OAuthAccount {
    const { refreshTokenSealed: _r, subject: _s, clientId: _c, tenant: _t, ...rest } = a;
    const token = this.cached.get(a.id);
    return {
      ...rest,
      accessTokenExpiresAt: token ? new Date(token.expiresAt).toISOString() : null,
      connectorIds: this.deps.inventory.connectors.filter((c) => c.oauthAccountId === a.id).map((c) => c.id),
      mailboxIds: this.mailboxesOf(a).map((m) => m.id),
    };
  }

  /** The watched mailboxes that log in with this sign-in (OAuth2, as a user it answers to). */
  private mailboxesOf(a: Pick<StoredOAuthAccount, 'account' | 'aliases'>) {
    return this.deps.inventory.mailboxes.filter(
      (m) => m.auth === 'oauth2' && accountAnswersTo(a, m.username),
    );
  }

  // ─── Sign-in ────────────────────────────────────────────────────────────────────────────────

  async startSignIn(request: SignInRequest): Promise<SignInStart> {
    const { clock, endpoints } = this.deps;
    // Signing in again for the same mailbox asks for what its sign-in already allows too: a new
    // refresh token for reading alone would quietly stop its connectors from sending.
    const expected = request.expectedAccount;
    const held = expected
      ? this.deps.inventory.oauthAccounts.filter(
          (a) => a.provider === request.provider && accountAnswersTo(a, expected),
        )
      : [];
    const input: SignInRequest = {
      ...request,
      access: [...new Set([...request.access, ...held.flatMap((a) => a.access)])].sort(),
    };
    const status = await this.deps.secrets.status();
    if (!status.available) {
      throw new AppError(
        'secret-storage-unavailable',
        `${status.reason ?? 'This computer offers no encrypted storage for secrets.'} AlertDesk keeps sign-ins only encrypted, so it cannot sign in here.`,
      );
    }
    const pc = providerClient(input.provider, this.apps(), endpoints);
    const scopes = scopesFor(input.provider, input.access);
    const flowId = crypto.randomUUID();
    const controller = new AbortController();
    const flow: Flow = {
      controller,
      provider: input.provider,
      verificationUri: null,
      origins: signInOrigins(input.provider, endpoints),
    };
    this.flows.set(flowId, flow);
    try {
      if (input.provider === 'microsoft') {
        const device = await startDeviceFlow(pc, scopes, { clock, signal: controller.signal });
        flow.verificationUri = device.verificationUri;
        flow.origins = signInOrigins(input.provider, endpoints, device.verificationUri);
        this.follow(flowId, input, device.done);
        return {
          flowId,
          provider: input.provider,
          method: 'device-code',
          userCode: device.userCode,
          verificationUri: device.verificationUri,
          expiresAt: new Date(device.expiresAt).toISOString(),
        };
      }
      if (!this.deps.browser) {
        throw new AppError('unavailable', 'There is no browser to sign in with here.');
      }
      const browserFlow = await startLoopbackFlow(pc, scopes, {
        clock,
        signal: controller.signal,
        browser: this.deps.browser,
        allowedOrigins: flow.origins,
        loginHint: input.expectedAccount,
      });
      this.follow(flowId, input, browserFlow.done);
      return {
        flowId,
        provider: input.provider,
        method: 'browser',
        userCode: null,
        verificationUri: null,
        expiresAt: new Date(browserFlow.expiresAt).toISOString(),
      };
    } catch (error) {
      this.flows.delete(flowId);
      this.auditSignIn(input.provider, input.expectedAccount ?? '', (error as Error).message);
      throw error;
    }
  }

  /** Opens the device-code page of a running Microsoft sign-in in the browser. */
  async openSignInPage(flowId: string): Promise<void> {
    const flow = this.flows.get(flowId);
    if (!flow?.verificationUri) throw new AppError('not-found', 'This sign-in is over; start it again.');
    if (!this.deps.browser) throw new AppError('unavailable', 'There is no browser to sign in with here.');
    await this.deps.browser.open(flow.verificationUri, flow.origins);
  }

  cancelSignIn(flowId: string): { cancelled: boolean } {
    const flow = this.flows.get(flowId);
    if (!flow) return { cancelled: false };
    flow.controller.abort();
    return { cancelled: true };
  }

  private follow(flowId: string, input: SignInRequest, done: Promise<SignedIn>): void {
    done
      .then((signedIn) => this.complete(input, signedIn))
      .finally(() => this.flows.delete(flowId))
      .then(
        (account) => this.deps.emit({ flowId, state: 'signed-in', account, error: null }),
        (error: unknown) => {
          const e =
            error instanceof AppError ? error : new AppError('oauth-failed', (error as Error).message);
          const cancelled = e.code === 'oauth-cancelled';
          if (!cancelled) this.auditSignIn(input.provider, input.expectedAccount ?? '', e.message);
          this.deps.emit({
            flowId,
            state: cancelled ? 'cancelled' : 'failed',
            account: null,
            error: { code: e.code, message: e.message },
          });
        },
      );
  }

  /**
   * Stores a finished sign-in, after checking it is the account the connector or mailbox logs in
   * as; the record and its audit event are written together.
   */
  private async complete(input: SignInRequest, { tokens, claims }: SignedIn): Promise<OAuthAccount> {
    const { inventory, clock } = this.deps;
    const names = identityOf(input.provider, claims);
    if (input.expectedAccount && !accountAnswersTo(names, input.expectedAccount)) {
      const what = input.purpose === 'mailbox' ? 'mailbox' : 'connector';
      throw new AppError(
        'oauth-account-mismatch',
        `You signed in as ${names.account}, but this ${what} logs in as ${input.expectedAccount}. Sign in again with ${input.expectedAccount} (choose "Use another account" on the sign-in page), or change the ${what}'s user name.`,
        'username',
      );
    }
    const at = new Date(clock.now()).toISOString();
    const tenantId = typeof claims.tid === 'string' ? claims.tid : null;
    const existing = inventory.oauthAccounts.find(
      (a) => a.provider === input.provider && a.subject === claims.sub && a.tenantId === tenantId,
    );
    const id = existing?.id ?? crypto.randomUUID();
    const refreshTokenSealed = await this.deps.secrets.seal(
      tokens.refresh_token!,
      secretPlace.oauthRefreshToken(id),
    );
    const account: StoredOAuthAccount = {
      id,
      provider: input.provider,
      ...names,
      displayName: typeof claims.name === 'string' ? claims.name : '',
      tenantId,
      access: [...new Set([...(existing?.access ?? []), ...input.access])].sort() as OAuthAccess[],
      signedInAt: at,
      signedInBy: this.deps.osUser,
      status: 'signed-in',
      lastRefresh: null,
      refreshTokenSealed,
      subject: claims.sub,
      clientId: this.apps()[input.provider].clientId,
      tenant: input.provider === 'microsoft' ? this.apps().microsoft.tenant : '',
    };
    inventory.commit(
      {
        oauthAccounts: existing
          ? inventory.oauthAccounts.map((a) => (a.id === existing.id ? account : a))
          : [...inventory.oauthAccounts, account],
      },
      [
        signInEvent(
          input.provider,
          account.account,
          'ok',
          `${existing ? 'signed in again' : 'signed in'}; access: ${account.access.join(', ')}`,
          account.id,
        ),
      ],
    );
    this.cache(account.id, account.account, tokens);
    this.deps.changed?.();
    this.deps.accountChanged?.(account, 'signed-in');
    return this.view(account);
  }

  /** A sign-in that failed (nothing stored, so the event travels alone). */
  private auditSignIn(provider: OAuthProvider, account: string, detail: string): void {
    this.deps.audit.record(signInEvent(provider, account, 'failed', detail));
  }

  /**
   * Forgets a sign-in: its refresh token is destroyed (and revoked at the provider where it offers
   * that), and the connectors that used it are left "not signed in", in one write with the audit
   * events saying so; the mailboxes that logged in with it stop reading.
   */
  async signOut(id: string): Promise<{ id: string; connectorsDetached: number; revokedAtProvider: boolean }> {
    const { inventory } = this.deps;
    const a = this.stored(id);
    let revokedAtProvider = false;
    try {
      const pc = this.clientFor(a);
      if (pc.as.revocation_endpoint) {
        const refreshToken = await this.deps.secrets.open(
          a.refreshTokenSealed,
          secretPlace.oauthRefreshToken(a.id),
        );
        const response = await oauth.revocationRequest(
          pc.as,
          pc.client,
          pc.auth,
          refreshToken,
          requestOptions(pc),
        );
        await oauth.processRevocationResponse(response);
        revokedAtProvider = true;
      }
    } catch (error) {
      // Signing out never fails for want of the provider: the token is destroyed here regardless.
      this.deps.logger.warn('oauth: revocation at the provider failed', { error: String(error) });
    }
    const detached = inventory.connectors.filter((c) => c.oauthAccountId === id);
    const mailboxes = this.mailboxesOf(a);
    const at = new Date(this.deps.clock.now()).toISOString();
    inventory.commit(
      {
        oauthAccounts: inventory.oauthAccounts.filter((x) => x.id !== id),
        connectors: inventory.connectors.map((c) =>
          c.oauthAccountId === id ? { ...c, oauthAccountId: null, lastTest: null, updatedAt: at } : c,
        ),
      },
      [
        {
          action: 'sign-out',
          recordType: 'oauth-account',
          recordId: id,
          recordLabel: label(a),
          detail: `refresh token destroyed${revokedAtProvider ? ' and revoked at the provider' : ''}; ${plural(detached.length, 'connector')} and ${plural(mailboxes.length, 'mailbox', 'mailboxes')} now not signed in`,
        },
        ...detached.map((c) => ({
          action: 'update' as const,
          recordType: 'connector' as const,
          recordId: c.id,
          recordLabel: c.title,
          siteId: c.siteId,
          detail: `signed out of ${a.account}; the connector cannot send until someone signs in again`,
        })),
      ],
    );
    this.cached.delete(id);
    this.deps.changed?.();
    this.deps.accountChanged?.(a, 'signed-out');
    return { id, connectorsDetached: detached.length, revokedAtProvider };
  }

  // ─── Access tokens ──────────────────────────────────────────────────────────────────────────

  async accessToken(
    accountId: string,
    options: { force?: boolean; rejected?: string; access?: OAuthAccess } = {},
  ): Promise<AccessToken> {
    const a = this.deps.inventory.oauthAccount(accountId);
    if (!a) {
      throw new AppError(
        'oauth-not-signed-in',
        'Nobody is signed in for this connector (the sign-in was removed). Sign in again in the connector.',
      );
    }
    if (options.access && !a.access.includes(options.access)) {
      throw new AppError(
        'oauth-scope-missing',
        `The sign-in of ${a.account} does not allow ${options.access === 'imap' ? 'reading the mailbox (IMAP)' : 'sending (SMTP)'}. Sign in again and accept that permission.`,
      );
    }
    if (a.status === 'consent-revoked') throw revoked(a);
    const cached = this.cached.get(accountId);
    const fresh = cached && cached.expiresAt - this.deps.clock.now() > REFRESH_MARGIN_MS;
    if (cached && fresh && !options.force) return cached;
    // A token rejected by a server is renewed once; a later caller that saw the same rejection
    // gets the renewed one instead of renewing again.
    if (cached && fresh && options.rejected !== undefined && options.rejected !== cached.accessToken)
      return cached;
    let pending = this.inflight.get(accountId);
    if (!pending) {
      pending = this.refresh(a).finally(() => this.inflight.delete(accountId));
      this.inflight.set(accountId, pending);
    }
    return pending;
  }

  /** Renews the access token now (the "Check sign-in" button); the account's view after it. */
  async check(id: string): Promise<OAuthAccount> {
    this.stored(id);
    try {
      await this.accessToken(id, { force: true });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
    }
    return this.get(id);
  }

  private clientFor(a: StoredOAuthAccount) {
    const apps = this.apps();
    // A refresh token is redeemed by the app (and tenant) that it was issued to.
    const own: OAuthApps =
      a.provider === 'microsoft'
        ? { ...apps, microsoft: { clientId: a.clientId, tenant: a.tenant } }
        : {
            ...apps,
            google: {
              clientId: a.clientId,
              clientSecret: a.clientId === apps.google.clientId ? apps.google.clientSecret : '',
            },
          };
    return providerClient(a.provider, own, this.deps.endpoints);
  }

  private async refresh(a: StoredOAuthAccount): Promise<AccessToken> {
    const pc = this.clientFor(a);
    const name = OAUTH_PROVIDER_LABELS[a.provider];
    try {
      const refreshToken = await this.deps.secrets.open(
        a.refreshTokenSealed,
        secretPlace.oauthRefreshToken(a.id),
      );
      const response = await oauth.refreshTokenGrantRequest(
        pc.as,
        pc.client,
        pc.auth,
        refreshToken,
        requestOptions(pc),
      );
      const tokens = await oauth.processRefreshTokenResponse(pc.as, pc.client, response);
      const claims = oauth.getValidatedIdTokenClaims(tokens);
      if (claims && claims.sub !== a.subject) {
        throw new AppError(
          'oauth-account-mismatch',
          `${name} answered for another account than ${a.account}. Sign in again.`,
        );
      }
      // Providers may rotate the refresh token: the new one replaces the old at once.
      const rotated =
        tokens.refresh_token && tokens.refresh_token !== refreshToken
          ? await this.deps.secrets.seal(tokens.refresh_token, secretPlace.oauthRefreshToken(a.id))
          : null;
      const token = this.cache(a.id, a.account, tokens);
      this.settle(a.id, {
        status: 'signed-in',
        lastRefresh: { at: this.iso(), ok: true, message: 'access token renewed' },
        ...(rotated ? { refreshTokenSealed: rotated } : {}),
      });
      return token;
    } catch (error) {
      this.cached.delete(a.id);
      const failure = refreshFailure(a, name, error);
      const status = failure.code === 'oauth-consent-revoked' ? 'consent-revoked' : 'refresh-failing';
      const current = this.deps.inventory.oauthAccount(a.id);
      // A failing refresh is audited when it starts failing (or fails differently), not at every
      // camera of a run that tries again; with the account's new state when there is one.
      const event: AuditInput = {
        action: 'refresh',
        recordType: 'oauth-account',
        recordId: a.id,
        recordLabel: label(a),
        result: 'failed',
        detail: failure.message,
      };
      const news =
        current !== undefined &&
        (current.status !== status || current.lastRefresh?.message !== failure.message);
      this.settle(
        a.id,
        { status, lastRefresh: { at: this.iso(), ok: false, message: failure.message } },
        news ? [event] : [],
      );
      throw failure;
    }
  }

  /** Stores an account's new state with its audit events (none when it was signed out meanwhile). */
  private settle(id: string, change: Partial<StoredOAuthAccount>, events: AuditInput[] = []): void {
    const { inventory } = this.deps;
    if (!inventory.oauthAccount(id)) return;
    inventory.commit(
      { oauthAccounts: inventory.oauthAccounts.map((x) => (x.id === id ? { ...x, ...change } : x)) },
      events,
    );
    this.deps.changed?.();
  }

  private cache(id: string, account: string, tokens: oauth.TokenEndpointResponse): AccessToken {
    const token: AccessToken = {
      account,
      accessToken: tokens.access_token,
      // Without expires_in, assume the common hour, renewed from the margin on as usual.
      expiresAt: this.deps.clock.now() + (tokens.expires_in ?? 3600) * 1000,
    };
    this.cached.set(id, token);
    return token;
  }

  private iso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  /** Stops every sign-in under way (at shutdown). */
  close(): void {
    for (const flow of this.flows.values()) flow.controller.abort();
  }
}

function signInEvent(
  provider: OAuthProvider,
  account: string,
  result: 'ok' | 'failed',
  detail: string,
  id: string | null = null,
): AuditInput {
  return {
    action: 'sign-in',
    recordType: 'oauth-account',
    recordId: id,
    recordLabel: label({ provider, account: account || '(not known)' }),
    result,
    detail,
  };
}

function revoked(a: Pick<StoredOAuthAccount, 'provider' | 'account'>): AppError {
  const name = OAUTH_PROVIDER_LABELS[a.provider];
  return new AppError(
    'oauth-consent-revoked',
    `${name} no longer accepts AlertDesk's sign-in for ${a.account}: the consent was revoked, the password changed or the sign-in expired. Sign in again with the mailbox.`,
  );
}

function refreshFailure(a: StoredOAuthAccount, name: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isNetworkError(error)) return unreachable(name, error);
  if (error instanceof oauth.ResponseBodyError) {
    // invalid_grant: revoked, expired, password changed, MFA now required; interaction_required:
    // a policy wants the person back. Either way only a new sign-in helps.
    if (error.error === 'invalid_grant' || error.error === 'interaction_required') return revoked(a);
    if (error.error === 'invalid_client' || error.error === 'unauthorized_client')
      return new AppError(
        'oauth-failed',
        `${name} does not accept AlertDesk's app registration any more (${error.error}). Check the client ID in "Sign-in apps", then sign in again.`,
      );
    if (error.status >= 500 || error.error === 'temporarily_unavailable')
      return new AppError(
        'oauth-unreachable',
        `${name}'s sign-in service is temporarily unavailable (${error.error}). AlertDesk tries again later.`,
      );
    return new AppError('oauth-failed', `${name} refused to renew the access token: ${error.error}.`);
  }
  return new AppError('oauth-failed', `${name}'s answer could not be accepted: ${(error as Error).message}.`);
}

/** The names an ID token gives the account (Microsoft: e-mail and UPN may differ). */
function identityOf(provider: OAuthProvider, claims: oauth.IDToken): { account: string; aliases: string[] } {
  const str = (v: unknown) => (typeof v === 'string' && v.includes('@') ? v.trim() : null);
  if (provider === 'google' && claims.email_verified === false) {
    throw new AppError(
      'oauth-failed',
      'Google has not verified the e-mail address of this account, so AlertDesk cannot tell which mailbox it is.',
    );
  }
  const names = [str(claims.email), str(claims.preferred_username), str(claims.upn)].filter(
    (n): n is string => n !== null,
  );
  const unique = [...new Map(names.map((n) => [n.toLowerCase(), n])).values()];
  if (unique.length === 0) {
    throw new AppError(
      'oauth-failed',
      `${OAUTH_PROVIDER_LABELS[provider]} did not give the account's e-mail address. Check that the app registration allows the "email" permission.`,
    );
  }
  return { account: unique[0]!, aliases: unique.slice(1) };
}
