import { useEffect, useState } from 'react';
import {
  OAUTH_PROVIDER_LABELS,
  type OAuthAccount,
  type OAuthApps,
  type OAuthProvider,
  type SignInStart,
} from '../../../../shared/oauth.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';
import { TextField } from '../../components/fields.tsx';
import { plural, When } from '../../components/format.tsx';
import { Badge, Dialog, DialogActions, Notice, useToast } from '../../components/ui.tsx';

interface Props {
  provider: OAuthProvider | null;
  accountId: string | null;
  /** The connector's user name: the sign-in must be that mailbox (empty: whoever signs in). */
  username: string;
  error?: string | undefined;
  onSignedIn: (account: OAuthAccount) => void;
  onSignedOut: () => void;
}

/**
 * The OAuth2 part of the connector form: who is signed in, and signing in (Microsoft: a code typed
 * on Microsoft's page; Google: the browser opens and comes back) or out.
 */
export function OAuthSignIn(p: Props) {
  const toast = useToast();
  const accounts = useQuery(() => api.oauth.accounts(), []);
  const [flow, setFlow] = useState<SignInStart | null>(null);
  const [starting, setStarting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [confirmOut, setConfirmOut] = useState(false);
  const [editingApps, setEditingApps] = useState(false);
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
      toast('ok', `Signed in as ${event.account.account}. Save the connector to keep it.`);
    } else if (event.state === 'failed') {
      setProblem(event.error?.message ?? 'The sign-in failed.');
    }
  });

  // A signed-in account knows its provider; otherwise the preset or host says which one to use.
  const known = account?.provider ?? p.provider;
  if (!known) {
    return (
      <div className="oauth-box wide">
        <Notice level="warning">
          OAuth2 works with Microsoft 365, Outlook.com and Gmail: choose one of their presets (or their SMTP
          host).
        </Notice>
      </div>
    );
  }
  const provider: OAuthProvider = known;
  const name = OAUTH_PROVIDER_LABELS[provider];

  async function start() {
    setStarting(true);
    setProblem(null);
    try {
      const expected = p.username.trim();
      setFlow(
        await call(
          api.oauth.startSignIn({
            provider,
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

  return (
    <div className="oauth-box wide" aria-label="OAuth2 sign-in">
      {flow ? (
        <SignInProgress flow={flow} onCancel={() => void api.oauth.cancelSignIn({ flowId: flow.flowId })} />
      ) : account ? (
        <div className="oauth-signed-in">
          <div>
            <span className="muted">Signed in as</span> <strong>{account.account}</strong>{' '}
            <StatusBadge account={account} />
            <div className="muted small">
              {name}
              {account.displayName ? ` · ${account.displayName}` : ''} · signed in{' '}
              <When iso={account.signedInAt} /> by {account.signedInBy}
              {account.connectorIds.length > 1
                ? ` · used by ${plural(account.connectorIds.length, 'connector')}`
                : ''}
            </div>
          </div>
          <span className="spacer" />
          {account.status !== 'signed-in' ? (
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
              : "Your browser opens Google's sign-in; come back here afterwards."}
          </span>
        </div>
      )}
      {account?.status === 'consent-revoked' || account?.status === 'refresh-failing' ? (
        <Notice level={account.status === 'consent-revoked' ? 'error' : 'warning'}>
          {account.lastRefresh?.message ?? 'The sign-in no longer works. Sign in again.'}
        </Notice>
      ) : null}
      {problem ? <Notice level="error">{problem}</Notice> : null}
      {p.error && !account ? <Notice level="error">{p.error}</Notice> : null}
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
            {account.connectorIds.length > 0
              ? `${plural(account.connectorIds.length, 'connector')} use${account.connectorIds.length === 1 ? 's' : ''} it and cannot send until someone signs in again.`
              : 'No connector uses it.'}
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

function StatusBadge({ account }: { account: OAuthAccount }) {
  if (account.status === 'consent-revoked') return <Badge tone="bad">consent revoked</Badge>;
  if (account.status === 'refresh-failing') return <Badge tone="warn">renewal failing</Badge>;
  return <Badge tone="ok">signed in</Badge>;
}

/** The code to type and the page to type it on, until the sign-in ends or the code expires. */
function SignInProgress({ flow, onCancel }: { flow: SignInStart; onCancel: () => void }) {
  const toast = useToast();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Math.round((Date.parse(flow.expiresAt) - now) / 60_000));
  if (flow.method === 'browser') {
    return (
      <div className="oauth-progress" role="status">
        <span className="spinner" aria-hidden />
        <div>
          <strong>Finish the sign-in in your browser.</strong>
          <div className="muted small">
            Google's page opened in your default browser; AlertDesk continues by itself once you have allowed
            access. Waiting up to {plural(left, 'minute')}.
          </div>
        </div>
        <span className="spacer" />
        <button type="button" className="btn small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    );
  }
  return (
    <div className="oauth-progress device" role="status">
      <div>
        <div className="muted small">1. Open Microsoft's sign-in page</div>
        <div className="row">
          <button
            type="button"
            className="btn small"
            onClick={() =>
              void call(api.oauth.openSignInPage({ flowId: flow.flowId })).catch((e: unknown) =>
                toast('bad', errorMessage(e)),
              )
            }
          >
            Open {flow.verificationUri?.replace(/^https?:\/\//, '')}
          </button>
        </div>
      </div>
      <div>
        <div className="muted small">2. Enter this code</div>
        <div className="row">
          <code className="device-code" aria-label="Sign-in code">
            {flow.userCode}
          </code>
          <button
            type="button"
            className="btn small"
            onClick={() =>
              void navigator.clipboard
                .writeText(flow.userCode ?? '')
                .then(() => toast('ok', 'Code copied.'))
                .catch(() => toast('bad', 'The code could not be copied; type it instead.'))
            }
          >
            Copy code
          </button>
        </div>
      </div>
      <div className="oauth-wait">
        <span className="spinner" aria-hidden />
        <span className="muted small">
          3. Sign in with the mailbox and accept. Waiting… (code valid {plural(left, 'more minute')})
        </span>
        <span className="spacer" />
        <button type="button" className="btn small" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** Client IDs and tenant: which registered app AlertDesk signs in as. */
function SignInAppsDialog({ onClose }: { onClose: () => void }) {
  const toast = useToast();
  const apps = useQuery(() => api.oauth.apps(), []);
  const [draft, setDraft] = useState<OAuthApps | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const value = draft ?? apps.data ?? null;
  async function save() {
    if (!value) return;
    try {
      await call(api.oauth.updateApps(value));
      toast('ok', 'Sign-in apps saved.');
      onClose();
    } catch (e) {
      setErrors(fieldErrors(e));
    }
  }
  const set = (next: OAuthApps) => setDraft(next);
  return (
    <Dialog
      title="Sign-in apps"
      onClose={onClose}
      wide
      footer={<DialogActions onCancel={onClose} action="Save" onAction={() => void save()} />}
    >
      <p className="muted">
        AlertDesk signs in as an app registered at Microsoft and Google. Use your company's own registration
        (the README's "Registering your own sign-in app" shows how); existing sign-ins keep the app they were
        made with.
      </p>
      {value ? (
        <div className="form-grid">
          <TextField
            label="Microsoft client ID (Application ID)"
            value={value.microsoft.clientId}
            onChange={(v) => set({ ...value, microsoft: { ...value.microsoft, clientId: v } })}
            error={errors['microsoft.clientId']}
            placeholder="00000000-0000-0000-0000-000000000000"
          />
          <TextField
            label="Microsoft tenant"
            value={value.microsoft.tenant}
            onChange={(v) => set({ ...value, microsoft: { ...value.microsoft, tenant: v } })}
            error={errors['microsoft.tenant']}
            hint="common (work and personal accounts), organizations, consumers, or your tenant ID or domain."
          />
          <TextField
            label="Google client ID"
            value={value.google.clientId}
            onChange={(v) => set({ ...value, google: { ...value.google, clientId: v } })}
            error={errors['google.clientId']}
            placeholder="….apps.googleusercontent.com"
          />
          <TextField
            label="Google client secret"
            value={value.google.clientSecret}
            onChange={(v) => set({ ...value, google: { ...value.google, clientSecret: v } })}
            error={errors['google.clientSecret']}
            hint="Google gives desktop apps a secret that is not secret; its sign-in still asks for it."
          />
        </div>
      ) : (
        <p className="muted">Loading…</p>
      )}
    </Dialog>
  );
}
