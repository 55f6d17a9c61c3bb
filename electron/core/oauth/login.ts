import type { FailureClass } from '../../../shared/failures.ts';
import { accountAnswersTo } from '../../../shared/oauth.ts';
import { AppError } from '../../../shared/result.ts';
import type { Inventory } from '../inventory/inventory.ts';
import type { TokenSource } from './oauth.ts';

/** What an XOAUTH2 login needs: the user it logs in as and a fresh access token. */
export interface OAuthLogin {
  user: string;
  accessToken: string;
}

/** A token that could not be had, with the verdict a delivery or verification gets for it. */
export class OAuthLoginError extends Error {
  readonly failureClass: FailureClass;
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'OAuthLoginError';
    this.code = code;
    this.failureClass =
      code === 'oauth-consent-revoked'
        ? 'oauth-consent-revoked'
        : code === 'oauth-unreachable'
          ? 'oauth-unreachable'
          : 'oauth-sign-in-needed';
  }
}

/**
 * The XOAUTH2 login of an OAuth2 connector, fetched just before a session: the signed-in
 * account must still be the connector's user, and the token is renewed when it is close to
 * expiry (or after the server rejected `rejected`).
 */
export async function oauthLogin(
  tokens: TokenSource,
  inventory: Inventory,
  connector: { username: string; oauthAccountId?: string | null | undefined },
  options: { force?: boolean; rejected?: string } = {},
): Promise<OAuthLogin> {
  const account = connector.oauthAccountId ? inventory.oauthAccount(connector.oauthAccountId) : undefined;
  if (!account) {
    throw new OAuthLoginError(
      'oauth-not-signed-in',
      'Nobody is signed in for this OAuth2 connector. Open the connector and sign in with its mailbox.',
    );
  }
  if (!accountAnswersTo(account, connector.username)) {
    throw new OAuthLoginError(
      'oauth-account-mismatch',
      `The connector logs in as ${connector.username}, but the sign-in is for ${account.account}. Sign in with ${connector.username}, or change the user name.`,
    );
  }
  try {
    const token = await tokens.accessToken(account.id, options);
    return { user: connector.username, accessToken: token.accessToken };
  } catch (error) {
    if (error instanceof AppError) throw new OAuthLoginError(error.code, error.message);
    throw error;
  }
}
