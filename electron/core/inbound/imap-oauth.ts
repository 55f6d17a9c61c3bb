import type { ImapFailureClass } from '../../../shared/failures.ts';
import type { MailboxSignIn } from '../../../shared/mailboxes.ts';
import type { Inventory } from '../inventory/inventory.ts';
import { mailboxAccessToken, mailboxAccount, OAuthLoginError } from '../oauth/login.ts';
import type { TokenSource } from '../oauth/oauth.ts';
import { ImapProblem } from './imap-failure.ts';
import type { AccessTokenProvider } from './imap-session.ts';

/** Why there is no token, in the watcher's words: only a revoked consent has a class of its own. */
function imapClassOf(error: OAuthLoginError): ImapFailureClass {
  if (error.code === 'oauth-consent-revoked') return 'oauth-consent-revoked';
  if (error.code === 'oauth-unreachable') return 'oauth-unreachable';
  return 'oauth-sign-in-needed';
}

/**
 * The access tokens of watched mailboxes set to OAuth2: those of the core's own sign-ins (the one
 * answering to the mailbox's user and allowed to read mail), renewed at the provider when a server
 * refused the last one. Every "no token" becomes the IMAP failure class the watcher acts on.
 */
export function imapAccessTokens(tokens: TokenSource, inventory: Inventory): AccessTokenProvider {
  return async (mailbox, renew) => {
    try {
      return await mailboxAccessToken(
        tokens,
        inventory,
        mailbox,
        renew ? { force: true, rejected: renew.rejected } : {},
      );
    } catch (error) {
      if (!(error instanceof OAuthLoginError)) throw error;
      throw new ImapProblem(imapClassOf(error), 'login', error.message);
    }
  };
}

/** The sign-in a mailbox set to OAuth2 logs in with, and its state, for the table and panel. */
export function mailboxSignIn(inventory: Inventory, username: string): MailboxSignIn {
  const found = mailboxAccount(inventory, username);
  if (!found) return { state: 'not-signed-in', accountId: null, account: null, provider: null };
  const { account, canRead } = found;
  return {
    state: account.status !== 'signed-in' ? account.status : canRead ? 'signed-in' : 'cannot-read',
    accountId: account.id,
    account: account.account,
    provider: account.provider,
  };
}
