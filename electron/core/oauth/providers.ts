import * as oauth from 'oauth4webapi';
import type { OAuthApps, OAuthProvider } from '../../../shared/oauth.ts';
import { AppError } from '../../../shared/result.ts';

/**
 * Where each provider's sign-in lives. The defaults are the providers' public endpoints; tests
 * (and nothing else) pass endpoints on loopback. `{tenant}` in a URL is replaced by the tenant
 * setting; an issuer containing `{tenantid}` is Entra ID's multi-tenant form, completed from the
 * ID token's `tid` claim.
 */
export interface ProviderEndpoints {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  deviceAuthorizationEndpoint?: string;
  revocationEndpoint?: string;
}

export const PROVIDER_ENDPOINTS: Record<OAuthProvider, ProviderEndpoints> = {
  microsoft: {
    issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
    authorizationEndpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize',
    tokenEndpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
    deviceAuthorizationEndpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode',
    // Microsoft has no RFC 7009 endpoint: a refresh token is forgotten locally and the integrator
    // revokes the app at myaccount.microsoft.com / in Entra ID when they want it gone there too.
  },
  google: {
    issuer: 'https://accounts.google.com',
    authorizationEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenEndpoint: 'https://oauth2.googleapis.com/token',
    revocationEndpoint: 'https://oauth2.googleapis.com/revoke',
  },
};

/** Tenant GUID of every personal Microsoft account (its ID tokens' `tid`). */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * oauth4webapi's hook for an issuer known only after sign-in (openid-client sets the same for
 * Entra ID). It is not in the type declarations, so it is looked up and checked once here; the
 * package is pinned, and the multi-tenant tests fail if it ever goes away.
 */
const EXPECTED_ISSUER: unknown = (oauth as unknown as Record<string, unknown>)._expectedIssuer;

export interface ProviderClient {
  provider: OAuthProvider;
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  /** Only loopback endpoints (the tests' fake server) may be plain http. */
  http: { [oauth.allowInsecureRequests]?: boolean };
}

function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return (
    protocol === 'http:' && (hostname === '127.0.0.1' || hostname === '[::1]' || hostname === 'localhost')
  );
}

/** Builds the library's server and client metadata for a provider from the settings. */
export function providerClient(
  provider: OAuthProvider,
  apps: OAuthApps,
  overrides: Partial<Record<OAuthProvider, ProviderEndpoints>> | undefined,
): ProviderClient {
  const app = apps[provider];
  if (app.clientId === '') {
    throw new AppError(
      'oauth-not-configured',
      `No ${provider === 'microsoft' ? 'Microsoft' : 'Google'} client ID is set. Open "Sign-in apps" in the connector's OAuth2 section and enter the client ID of your app registration (the README explains how to register one).`,
      'clientId',
    );
  }
  const endpoints = overrides?.[provider] ?? PROVIDER_ENDPOINTS[provider];
  const tenant = provider === 'microsoft' ? apps.microsoft.tenant : '';
  const fill = (url: string) => url.replaceAll('{tenant}', encodeURIComponent(tenant));
  const urls = [
    endpoints.authorizationEndpoint,
    endpoints.tokenEndpoint,
    endpoints.deviceAuthorizationEndpoint,
    endpoints.revocationEndpoint,
  ].filter((u): u is string => u !== undefined);
  const insecure = urls.some((u) => !u.startsWith('https://'));
  if (insecure && !urls.every(isLoopback)) {
    throw new AppError('oauth-not-configured', `The ${provider} sign-in endpoints must use https.`);
  }
  let issuer = endpoints.issuer;
  const multiTenant = issuer.includes('{tenantid}');
  if (multiTenant && GUID.test(tenant)) issuer = issuer.replace('{tenantid}', tenant.toLowerCase());
  const as: oauth.AuthorizationServer = {
    issuer,
    authorization_endpoint: fill(endpoints.authorizationEndpoint),
    token_endpoint: fill(endpoints.tokenEndpoint),
    ...(endpoints.deviceAuthorizationEndpoint
      ? { device_authorization_endpoint: fill(endpoints.deviceAuthorizationEndpoint) }
      : {}),
    ...(endpoints.revocationEndpoint ? { revocation_endpoint: fill(endpoints.revocationEndpoint) } : {}),
    id_token_signing_alg_values_supported: ['RS256'],
  };
  if (issuer.includes('{tenantid}')) {
    if (typeof EXPECTED_ISSUER !== 'symbol') {
      throw new AppError(
        'oauth-not-configured',
        'This version of the OAuth library cannot check a multi-tenant Microsoft sign-in: set the tenant ID (a GUID) instead of common/organizations.',
        'tenant',
      );
    }
    Object.assign(as, {
      [EXPECTED_ISSUER]: ({ claims }: { claims: { tid?: unknown } }) =>
        typeof claims.tid === 'string' ? issuer.replace('{tenantid}', claims.tid) : issuer,
    });
  }
  const secret = provider === 'google' ? apps.google.clientSecret : '';
  return {
    provider,
    as,
    client: { client_id: app.clientId },
    auth: secret ? oauth.ClientSecretPost(secret) : oauth.None(),
    // Plain http only for loopback test servers, checked above.
    http: insecure ? { [oauth.allowInsecureRequests]: true } : {},
  };
}

/** The https origins the browser may be sent to for a provider's sign-in. */
export function signInOrigins(
  provider: OAuthProvider,
  overrides: Partial<Record<OAuthProvider, ProviderEndpoints>> | undefined,
  verificationUri?: string,
): string[] {
  const endpoints = overrides?.[provider] ?? PROVIDER_ENDPOINTS[provider];
  const origins = [new URL(endpoints.authorizationEndpoint.replace('{tenant}', 'x')).origin];
  if (verificationUri) origins.push(new URL(verificationUri).origin);
  return origins;
}
