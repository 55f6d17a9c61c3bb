import type { FailureClass } from '../../../shared/failures.ts';
import { accountAnswersTo } from '../../../shared/oauth.ts';
import { AppError } from '../../../shared/result.ts';
import type { Inventory, StoredOAuthAccount } from '../inventory/inventory.ts';
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

/** The sign-in a watched mailbox logs in with: the one answering to its user that may read mail. */
export function mailboxAccount(
  inventory: Inventory,
  username: string,
): { account: StoredOAuthAccount; canRead: boolean } | null {
  const answering = inventory.oauthAccounts.filter((a) => accountAnswersTo(a, username));
  const reading = answering.find((a) => a.access.includes('imap'));
  const account = reading ?? answering[0];
  return account ? { account, canRead: reading !== undefined } : null;
}

/**
 * The access token a watched mailbox logs in with over IMAP (XOAUTH2 / OAUTHBEARER through
 * imapflow's `auth: { user, accessToken }`): the sign-in that answers to the mailbox's user name
 * and allows reading mail. A mailbox has no sign-in of its own: whoever signed in with that
 * mailbox (with IMAP allowed) serves its connectors and its watcher alike. `force` and `rejected`
 * after the server refused a token, as for connectors.
 */
export async function mailboxAccessToken(
  tokens: TokenSource,
  inventory: Inventory,
  mailbox: { username: string },
  options: { force?: boolean; rejected?: string } = {},
): Promise<string> {
  const found = mailboxAccount(inventory, mailbox.username);
  if (!found) {
    throw new OAuthLoginError(
      'oauth-not-signed-in',
      `Nobody has signed in with ${mailbox.username}: sign in with that mailbox, allowing AlertDesk to read its mail, before watching it with OAuth2.`,
    );
  }
  try {
    return (await tokens.accessToken(found.account.id, { ...options, access: 'imap' })).accessToken;
  } catch (error) {
    if (error instanceof AppError) throw new OAuthLoginError(error.code, error.message);
    throw error;
  }
}
