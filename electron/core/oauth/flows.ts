import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as wait } from 'node:timers/promises';
import * as oauth from 'oauth4webapi';
import { AppError } from '../../../shared/result.ts';
import type { Clock, ExternalBrowser } from '../adapters.ts';
import type { ProviderClient } from './providers.ts';

/**
 * The two sign-ins a desktop app can do without a web server of its own: the device
 * authorization grant (RFC 8628: a code typed on the provider's page, the app polls) and the
 * authorization code grant with PKCE through a one-shot loopback redirect (RFC 8252). oauth4webapi
 * builds and checks every request and response; this file owns the waiting around them.
 */

export interface SignedIn {
  tokens: oauth.TokenEndpointResponse;
  claims: oauth.IDToken;
}

export interface DeviceFlow {
  userCode: string;
  verificationUri: string;
  expiresAt: number;
  done: Promise<SignedIn>;
}

export interface LoopbackFlow {
  expiresAt: number;
  done: Promise<SignedIn>;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** How long the browser sign-in may take before the loopback listener gives up. */
export const BROWSER_SIGN_IN_MS = 10 * 60_000;

export function signInError(code: string, message: string): AppError {
  return new AppError(code, message);
}

/** A network failure (the provider unreachable), as opposed to an answer from it. */
export function isNetworkError(error: unknown): boolean {
  if (error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError)
    return false;
  if (error instanceof DOMException && error.name === 'TimeoutError') return true;
  return (
    error instanceof TypeError &&
    /fetch failed|network|socket|ECONN|ETIMEDOUT/i.test(String(error.cause ?? error.message) + error.message)
  );
}

export function unreachable(provider: string, error: unknown): AppError {
  const cause =
    error instanceof TypeError && error.cause instanceof Error ? error.cause.message : String(error);
  return signInError(
    'oauth-unreachable',
    `The ${provider} sign-in service could not be reached (${cause}). Check this computer's internet connection and try again.`,
  );
}

function providerName(pc: ProviderClient): string {
  return pc.provider === 'microsoft' ? 'Microsoft' : 'Google';
}

/** Options for one request: the flow's cancel signal plus a timeout, and loopback http for tests. */
export function requestOptions(pc: ProviderClient, signal?: AbortSignal) {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return { ...pc.http, signal: signal ? AbortSignal.any([signal, timeout]) : timeout };
}

function claimsOf(pc: ProviderClient, tokens: oauth.TokenEndpointResponse): SignedIn {
  const claims = oauth.getValidatedIdTokenClaims(tokens);
  if (!claims) {
    throw signInError(
      'oauth-failed',
      `${providerName(pc)} did not say which account signed in (no ID token). Check that the app registration allows the "openid" and "email" permissions.`,
    );
  }
  if (!tokens.refresh_token) {
    throw signInError(
      'oauth-failed',
      `${providerName(pc)} gave no refresh token, so AlertDesk could send only for an hour. Check that the app registration allows offline access and sign in again.`,
    );
  }
  return { tokens, claims };
}

function fromProvider(pc: ProviderClient, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isNetworkError(error)) return unreachable(providerName(pc), error);
  if (error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError) {
    if (error.error === 'access_denied')
      return signInError(
        'oauth-denied',
        `The sign-in was declined at ${providerName(pc)}. Sign in again and accept the permissions AlertDesk asks for (sending mail).`,
      );
    if (error.error === 'expired_token')
      return signInError(
        'oauth-expired',
        'The sign-in code expired before it was used. Start the sign-in again.',
      );
    return signInError(
      'oauth-failed',
      `${providerName(pc)} refused the sign-in: ${error.error}${error.error_description ? ` (${error.error_description.split('\n')[0]})` : ''}.`,
    );
  }
  if (error instanceof DOMException && error.name === 'AbortError')
    return signInError('oauth-cancelled', 'The sign-in was cancelled.');
  return signInError(
    'oauth-failed',
    `The sign-in answer from ${providerName(pc)} could not be accepted: ${(error as Error).message}.`,
  );
}

/**
 * Device authorization grant: returns once the provider has issued the code to show; `done`
 * settles when the integrator has signed in (or declined, or the code expired, or the flow was
 * cancelled through `signal`).
 */
export async function startDeviceFlow(
  pc: ProviderClient,
  scopes: string[],
  deps: { clock: Clock; signal: AbortSignal },
): Promise<DeviceFlow> {
  if (!pc.as.device_authorization_endpoint) {
    throw signInError('oauth-failed', `${providerName(pc)} offers no device sign-in.`);
  }
  let authorization: oauth.DeviceAuthorizationResponse;
  try {
    const response = await oauth.deviceAuthorizationRequest(
      pc.as,
      pc.client,
      pc.auth,
      { scope: scopes.join(' ') },
      requestOptions(pc, deps.signal),
    );
    authorization = await oauth.processDeviceAuthorizationResponse(pc.as, pc.client, response);
  } catch (error) {
    throw fromProvider(pc, error);
  }
  const expiresAt = deps.clock.now() + authorization.expires_in * 1000;
  const done = pollDevice(pc, authorization, expiresAt, deps);
  done.catch(() => undefined);
  return {
    userCode: authorization.user_code,
    verificationUri: authorization.verification_uri,
    expiresAt,
    done,
  };
}

async function pollDevice(
  pc: ProviderClient,
  authorization: oauth.DeviceAuthorizationResponse,
  expiresAt: number,
  { clock, signal }: { clock: Clock; signal: AbortSignal },
): Promise<SignedIn> {
  // RFC 8628 §3.5: 5 s unless the server says otherwise; every slow_down adds 5 s for good.
  let interval = (authorization.interval ?? 5) * 1000;
  for (;;) {
    try {
      await clock.sleep(interval, signal);
    } catch (error) {
      throw fromProvider(pc, error);
    }
    if (clock.now() >= expiresAt)
      throw signInError(
        'oauth-expired',
        'The sign-in code expired before it was used. Start the sign-in again.',
      );
    try {
      const response = await oauth.deviceCodeGrantRequest(
        pc.as,
        pc.client,
        pc.auth,
        authorization.device_code,
        requestOptions(pc, signal),
      );
      return claimsOf(pc, await oauth.processDeviceCodeResponse(pc.as, pc.client, response));
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === 'authorization_pending') continue;
      if (error instanceof oauth.ResponseBodyError && error.error === 'slow_down') {
        interval += 5000;
        continue;
      }
      // A dropped poll is not the end of the sign-in: keep asking until the code expires.
      if (isNetworkError(error) && !signal.aborted) continue;
      throw fromProvider(pc, error);
    }
  }
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font:16px system-ui;margin:15vh auto;max-width:32em;text-align:center"><h1 style="font-size:1.4em">${title}</h1><p>${text}</p></body>`;

/**
 * Authorization code grant with PKCE through a loopback redirect (RFC 8252 §7.3): a listener on
 * 127.0.0.1 and an ephemeral port takes exactly one answer carrying our `state`, the browser shows
 * a closing page, the listener closes.
 */
export async function startLoopbackFlow(
  pc: ProviderClient,
  scopes: string[],
  deps: {
    clock: Clock;
    signal: AbortSignal;
    browser: ExternalBrowser;
    allowedOrigins: string[];
    loginHint?: string | undefined;
  },
): Promise<LoopbackFlow> {
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  let answer: ((params: URLSearchParams, res: ServerResponse) => void) | null = null;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const params = url.searchParams;
    if (
      url.pathname !== '/' ||
      !(params.has('code') || params.has('error')) ||
      params.get('state') !== state
    ) {
      // Not the answer to this sign-in (a favicon, a stale tab, a forged redirect): ignored.
      res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(PAGE('Not this sign-in', 'This address belongs to a sign-in that AlertDesk did not start.'));
      return;
    }
    answer?.(params, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const expiresAt = deps.clock.now() + BROWSER_SIGN_IN_MS;
  const url = new URL(pc.as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: pc.client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: scopes.join(' '),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    nonce,
    // Google gives a refresh token only with offline access, and again only with consent.
    access_type: 'offline',
    prompt: 'consent',
    ...(deps.loginHint ? { login_hint: deps.loginHint } : {}),
  }).toString();

  const stop = new AbortController();
  const signal = AbortSignal.any([deps.signal, stop.signal]);
  const done = new Promise<SignedIn>((resolve, reject) => {
    answer = (params, res) => {
      answer = null;
      void exchange(params).then(
        (signedIn) => {
          res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
          res.end(PAGE('Signed in to AlertDesk', 'You can close this tab and go back to AlertDesk.'));
          resolve(signedIn);
        },
        (error: unknown) => {
          const failure = fromProvider(pc, error);
          res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8' });
          res.end(PAGE('Sign-in failed', `${failure.message} Go back to AlertDesk.`));
          reject(failure);
        },
      );
    };
    // A person's pace, so the wall clock rather than the core's clock (which tests make instant).
    wait(BROWSER_SIGN_IN_MS, undefined, { signal, ref: false }).then(
      () =>
        reject(
          signInError(
            'oauth-expired',
            'Nobody finished the sign-in in the browser within 10 minutes. Start the sign-in again.',
          ),
        ),
      (error: unknown) => {
        if (!stop.signal.aborted) reject(fromProvider(pc, error));
      },
    );
  }).finally(() => {
    stop.abort();
    server.close();
    server.closeAllConnections?.();
  });
  done.catch(() => undefined);

  async function exchange(params: URLSearchParams): Promise<SignedIn> {
    const checked = oauth.validateAuthResponse(pc.as, pc.client, params, state);
    const response = await oauth.authorizationCodeGrantRequest(
      pc.as,
      pc.client,
      pc.auth,
      checked,
      redirectUri,
      verifier,
      requestOptions(pc, signal),
    );
    return claimsOf(
      pc,
      await oauth.processAuthorizationCodeResponse(pc.as, pc.client, response, {
        expectedNonce: nonce,
        requireIdToken: true,
      }),
    );
  }

  try {
    await deps.browser.open(url.href, deps.allowedOrigins);
  } catch (error) {
    stop.abort();
    server.close();
    throw signInError(
      'oauth-failed',
      `The browser could not be opened for the sign-in: ${(error as Error).message}.`,
    );
  }
  return { expiresAt, done };
}
