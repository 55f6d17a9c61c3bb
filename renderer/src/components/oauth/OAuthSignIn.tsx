import { useEffect, useImperativeHandle, useRef, useState, type Ref } from 'react';
import {
  accountAnswersTo,
  OAUTH_PROVIDER_LABELS,
  type OAuthAccess,
  type OAuthAccount,
  type OAuthProvider,
  type SignInPurpose,
  type SignInStart,
} from '../../../../shared/oauth.ts';
import { api, call, errorMessage } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';
import { plural, When } from '../format.tsx';
import { Badge, Dialog, DialogActions, Notice, useToast } from '../ui.tsx';
import { SignInAppsDialog } from './SignInAppsDialog.tsx';
import { SignInProgress } from './SignInProgress.tsx';

/** What each form's sign-in is for: the permission it asks, and the words for it. */
const PURPOSES: Record<
  SignInPurpose,
  { access: OAuthAccess; what: string; host: string; keep: string; permission: string }
> = {
  connector: {
    access: 'smtp',
    what: 'connector',
    host: 'SMTP host',
    keep: 'Save the connector to keep it.',
    permission: 'send mail as the mailbox (SMTP)',
  },
  mailbox: {
    access: 'imap',
    what: 'mailbox',
    host: 'IMAP host',
    keep: 'The mailbox logs in with it.',
    permission: 'read the mailbox (IMAP)',
  },
};

const ACCESS_WORDS: Record<OAuthAccess, string> = { smtp: 'sending', imap: 'reading mail' };

interface Props {
  provider: OAuthProvider | null;
  accountId: string | null;
  /** The connector's or mailbox's user name: the sign-in must be that mailbox (empty: whoever signs in). */
  username: string;
  purpose: SignInPurpose;
  error?: string | undefined;
  onSignedIn: (account: OAuthAccount) => void;
  onSignedOut: () => void;
  /** Lets a button elsewhere start the sign-in (the "Sign in again" beside a watcher's verdict). */
  handle?: Ref<SignInHandle> | undefined;
}

export interface SignInHandle {
  /** Brings the sign-in into view and starts it (unless one is running). */
  start(): void;
}

/**
 * The OAuth2 part of the connector and mailbox forms: who is signed in (or picking an account
 * already signed in), and signing in (Microsoft: a code typed on Microsoft's page; Google: the
 * browser opens and comes back) or out. A sign-in asks for the form's permission plus those the
 * account already has, so signing in again for a mailbox never takes sending away from connectors.
 */
export function OAuthSignIn(p: Props) {
  const toast = useToast();
  const accounts = useQuery(() => api.oauth.accounts(), []);
  const [flow, setFlow] = useState<SignInStart | null>(null);
  const [starting, setStarting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [confirmOut, setConfirmOut] = useState(false);
  const [editingApps, setEditingApps] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const purpose = PURPOSES[p.purpose];
  const account = accounts.data?.find((a) => a.id === p.accountId) ?? null;
  // A sign-in left running when the form closes would store an account nobody attaches.
  const running = flow?.flowId;
  useEffect(() => {
    if (!running) return;
    return () => void api.oauth.cancelSignIn({ flowId: running });
  }, [running]);

  useEvent('oauth', (event) => {
    if (!flow || event.flowId !== flow.flowId) return;
    setFlow(null);
    if (event.state === 'signed-in' && event.account) {
      accounts.reload();
      setProblem(null);
      p.onSignedIn(event.account);
      toast('ok', `Signed in as ${event.account.account}. ${purpose.keep}`);
    } else if (event.state === 'failed') {
      setProblem(event.error?.message ?? 'The sign-in failed.');
    }
  });

  // A signed-in account knows its provider; otherwise the preset or host says which one to use.
  const provider = account?.provider ?? p.provider;
  const access: OAuthAccess[] = [...new Set([...(account?.access ?? []), purpose.access])].sort();

  async function start() {
    if (!provider) return;
    setStarting(true);
    setProblem(null);
    try {
      const expected = p.username.trim();
      setFlow(
        await call(
          api.oauth.startSignIn({
            provider,
            access,
            purpose: p.purpose,
            ...(expected.includes('@') ? { expectedAccount: expected } : {}),
          }),
        ),
      );
    } catch (e) {
      setProblem(errorMessage(e));
    } finally {
      setStarting(false);
    }
  }

  useImperativeHandle(p.handle, () => ({
    start() {
      box.current?.scrollIntoView({ block: 'nearest' });
      if (!flow && !starting) void start();
    },
  }));

  if (!provider) {
    return (
      <div className="oauth-box wide">
        <Notice level="warning">
          OAuth2 works with Microsoft 365, Outlook.com and Gmail: choose one of their presets (or their{' '}
          {purpose.host}).
        </Notice>
      </div>
    );
  }
  const name = OAUTH_PROVIDER_LABELS[provider];

  async function signOut() {
    if (!account) return;
    try {
      const out = await call(api.oauth.signOut({ id: account.id }));
      setConfirmOut(false);
      accounts.reload();
      p.onSignedOut();
      toast(
        'ok',
        `Signed out of ${account.account}${out.revokedAtProvider ? ' (also revoked at Google)' : ''}.`,
      );
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  async function check() {
    if (!account) return;
    const checked = await call(api.oauth.check({ id: account.id })).catch((e: unknown) => {
      toast('bad', errorMessage(e));
      return null;
    });
    accounts.reload();
    if (checked?.status === 'signed-in') toast('ok', `${name} renewed the access of ${checked.account}.`);
  }

  const user = p.username.trim();
  const otherUser = account && user.includes('@') && !accountAnswersTo(account, user);
  const lacking = account ? !account.access.includes(purpose.access) : false;
  const needsSignIn = account ? account.status !== 'signed-in' || lacking : true;
  const others = (accounts.data ?? []).filter((a) => a.provider === provider && a.id !== account?.id);

  return (
    <div className="oauth-box wide" aria-label="OAuth2 sign-in" ref={box}>
      {flow ? (
        <SignInProgress flow={flow} onCancel={() => void api.oauth.cancelSignIn({ flowId: flow.flowId })} />
      ) : account ? (
        <div className="oauth-signed-in">
          <div>
            <span className="muted">Signed in as</span> <strong>{account.account}</strong>{' '}
            <StatusBadge account={account} lacking={lacking} />
            <div className="muted small">
              {name}
              {account.displayName ? ` · ${account.displayName}` : ''} · allows{' '}
              {account.access.map((a) => ACCESS_WORDS[a]).join(' and ')} · signed in{' '}
              <When iso={account.signedInAt} /> by {account.signedInBy}
              {usedBy(account)}
            </div>
          </div>
          <span className="spacer" />
          {needsSignIn ? (
            <button
              type="button"
              className="btn primary small"
              disabled={starting}
              onClick={() => void start()}
            >
              Sign in again
            </button>
          ) : (
            <button type="button" className="btn small" onClick={() => void check()}>
              Check sign-in
            </button>
          )}
          <button type="button" className="btn small" onClick={() => setConfirmOut(true)}>
            Sign out…
          </button>
        </div>
      ) : (
        <div className="oauth-signed-out">
          <button type="button" className="btn primary" disabled={starting} onClick={() => void start()}>
            {starting ? 'Starting…' : `Sign in with ${name}`}
          </button>
          <span className="muted small">
            {provider === 'microsoft'
              ? "You get a code to enter on Microsoft's sign-in page, in your browser."
              : "Your browser opens Google's sign-in; come back here afterwards."}{' '}
            AlertDesk asks to {purpose.permission} and to stay signed in.
          </span>
          {others.length > 0 ? (
            <label className="oauth-pick small">
              <span className="muted">or use</span>
              <select
                aria-label="Use an account already signed in"
                value=""
                onChange={(e) => {
                  const picked = others.find((a) => a.id === e.target.value);
                  if (picked) p.onSignedIn(picked);
                }}
              >
                <option value="">an account already signed in…</option>
                {others.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.account}
                    {a.access.includes(purpose.access) ? '' : ` (${ACCESS_WORDS[a.access[0]!]} only)`}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
        </div>
      )}
      {account && lacking && account.status === 'signed-in' ? (
        <Notice level="warning">
          This sign-in allows {account.access.map((a) => ACCESS_WORDS[a]).join(' and ')} only: sign in again
          and allow AlertDesk to {purpose.permission}.
        </Notice>
      ) : null}
      {otherUser ? (
        <Notice level="error">
          Signed in as {account.account}, but this {purpose.what} logs in as {user}: sign in with {user}, or
          change the user name to {account.account}.
        </Notice>
      ) : null}
      {account?.status === 'consent-revoked' || account?.status === 'refresh-failing' ? (
        <Notice level={account.status === 'consent-revoked' ? 'error' : 'warning'}>
          {account.lastRefresh?.message ?? 'The sign-in no longer works. Sign in again.'}
        </Notice>
      ) : null}
      {problem ? <Notice level="error">{problem}</Notice> : null}
      {p.error && needsSignIn && !otherUser ? <Notice level="error">{p.error}</Notice> : null}
      <button type="button" className="link small" onClick={() => setEditingApps(true)}>
        Sign-in apps (client IDs)…
      </button>
      {editingApps ? <SignInAppsDialog onClose={() => setEditingApps(false)} /> : null}
      {confirmOut && account ? (
        <Dialog
          title={`Sign out of ${account.account}?`}
          onClose={() => setConfirmOut(false)}
          footer={
            <DialogActions
              onCancel={() => setConfirmOut(false)}
              action="Sign out"
              danger
              onAction={() => void signOut()}
            />
          }
        >
          <p>
            AlertDesk forgets this sign-in{provider === 'google' ? ' and revokes it at Google' : ''}.{' '}
            {whoStops(account)}
          </p>
          {provider === 'microsoft' ? (
            <p className="muted small">
              To remove AlertDesk's access at Microsoft as well, revoke it at myaccount.microsoft.com
              (personal accounts) or in Entra ID → Enterprise applications (work accounts).
            </p>
          ) : null}
        </Dialog>
      ) : null}
    </div>
  );
}

/** " · used by 2 connectors and 1 mailbox", when more than the form's own record uses it. */
function usedBy(account: OAuthAccount): string {
  const parts = [
    account.connectorIds.length ? plural(account.connectorIds.length, 'connector') : '',
    account.mailboxIds.length ? plural(account.mailboxIds.length, 'mailbox', 'mailboxes') : '',
  ].filter(Boolean);
  return account.connectorIds.length + account.mailboxIds.length > 1
    ? ` · used by ${parts.join(' and ')}`
    : '';
}

/** What signing out stops, in the sign-out dialog. */
function whoStops(account: OAuthAccount): string {
  const connectors = account.connectorIds.length;
  const mailboxes = account.mailboxIds.length;
  if (connectors + mailboxes === 0) return 'No connector or mailbox uses it.';
  const parts = [
    connectors ? `${plural(connectors, 'connector')} cannot send` : '',
    mailboxes ? `${plural(mailboxes, 'mailbox', 'mailboxes')} cannot be read` : '',
  ].filter(Boolean);
  return `${parts.join(' and ')} until someone signs in again.`;
}

function StatusBadge({ account, lacking }: { account: OAuthAccount; lacking: boolean }) {
  if (account.status === 'consent-revoked') return <Badge tone="bad">consent revoked</Badge>;
  if (account.status === 'refresh-failing') return <Badge tone="warn">renewal failing</Badge>;
  if (lacking) return <Badge tone="warn">permission missing</Badge>;
  return <Badge tone="ok">signed in</Badge>;
}
