import { IMAP_WAITS_FOR_SIGN_IN, type ImapFailureClass } from '../../../../shared/failures.ts';
import { WATCHER_STATE_LABELS, type WatcherState } from '../../../../shared/inbound.ts';
import {
  FIRST_SYNC_MAX_MESSAGES,
  MAILBOX_SIGN_IN_LABELS,
  type ImapFailure,
  type Mailbox,
  type MailboxSignIn,
  type MailboxStatus,
} from '../../../../shared/mailboxes.ts';
import { plural, When } from '../../components/format.tsx';
import { Badge, Notice } from '../../components/ui.tsx';

const TONES: Record<WatcherState, 'ok' | 'info' | 'warn' | 'bad' | 'muted'> = {
  connected: 'ok',
  'catching-up': 'info',
  reconnecting: 'warn',
  'login-rejected': 'bad',
  stopped: 'muted',
};

/** The watcher's state in its one word, with the catch-up's progress when there is one. */
export function WatcherBadge({ status }: { status: MailboxStatus }) {
  const p = status.progress;
  return (
    <span className="watcher-state">
      <Badge tone={TONES[status.state]}>{WATCHER_STATE_LABELS[status.state]}</Badge>
      {status.state === 'catching-up' && p && p.total > 0 ? (
        <span className="muted small">
          {p.done.toLocaleString()} of {plural(p.total, 'message')}
        </span>
      ) : null}
    </span>
  );
}

/** A failure in plain words: what happened, then what to do (the watcher's, or Test connection's). */
export function Verdict({ failure }: { failure: ImapFailure }) {
  return (
    <>
      <div>{failure.explanation}</div>
      <div>
        <strong>What to do:</strong> {failure.fix}
      </div>
    </>
  );
}

/** Failures a new OAuth2 sign-in mends: the verdict offers it beside the fix. */
const SIGN_IN_MENDS: readonly ImapFailureClass[] = [...IMAP_WAITS_FOR_SIGN_IN, 'oauth-token-rejected'];

/**
 * What went wrong, what to do, and when the watcher tries again; for a sign-in that is missing,
 * revoked or refused, a button that opens the sign-in.
 */
export function FailureNotice({
  failure,
  status,
  onSignIn,
}: {
  failure: ImapFailure;
  status: MailboxStatus;
  onSignIn?: (() => void) | undefined;
}) {
  const waiting = status.state === 'login-rejected' || status.state === 'reconnecting';
  const signIn = onSignIn && SIGN_IN_MENDS.includes(failure.class);
  return (
    <Notice level={status.state === 'login-rejected' ? 'error' : 'warning'} title={failure.title}>
      <Verdict failure={failure} />
      {waiting && status.nextAttemptAt ? (
        <div className="muted small">
          Next try <When iso={status.nextAttemptAt} />
          {status.state === 'login-rejected'
            ? signIn
              ? ' — or at once when someone signs in again.'
              : ' — or at once when you save a new password or Test connection passes.'
            : '.'}
        </div>
      ) : status.state === 'login-rejected' && IMAP_WAITS_FOR_SIGN_IN.includes(failure.class) ? (
        <div className="muted small">
          The watcher does not try again by itself: it connects as soon as someone signs in.
        </div>
      ) : null}
      {signIn ? (
        <div className="notice-actions">
          <button type="button" className="btn primary small" onClick={onSignIn}>
            Sign in again
          </button>
        </div>
      ) : null}
    </Notice>
  );
}

const SIGN_IN_TONES: Record<MailboxSignIn['state'], 'ok' | 'warn' | 'bad'> = {
  'signed-in': 'ok',
  'refresh-failing': 'warn',
  'consent-revoked': 'bad',
  'not-signed-in': 'bad',
  'cannot-read': 'bad',
};

/** How a mailbox logs in: its password stored or not, or its OAuth2 sign-in's state. */
export function LoginSummary({ mailbox }: { mailbox: Pick<Mailbox, 'auth' | 'hasPassword' | 'signIn'> }) {
  if (mailbox.auth !== 'oauth2' || !mailbox.signIn) {
    return mailbox.hasPassword ? <span>password stored</span> : <Badge tone="bad">no password stored</Badge>;
  }
  const s = mailbox.signIn;
  return <Badge tone={SIGN_IN_TONES[s.state]}>{MAILBOX_SIGN_IN_LABELS[s.state]}</Badge>;
}

/** The watcher as the mailbox panel shows it: state, verdict, folders and where reading stands. */
export function WatcherSummary({
  status,
  backfillDays,
  onSignIn,
}: {
  status: MailboxStatus;
  backfillDays: number;
  /** OAuth2 mailboxes: opens the sign-in (offered beside a sign-in failure). */
  onSignIn?: (() => void) | undefined;
}) {
  return (
    <section className="watcher-summary" aria-label="Watcher">
      <div className="watcher-line">
        <WatcherBadge status={status} />
        <span className="muted small">
          since <When iso={status.since} />
          {status.idle === false ? ' · this server has no IDLE: every folder is checked on a timer' : ''}
        </span>
      </div>
      {status.note ? <Notice level="info">{status.note}</Notice> : null}
      {status.failure ? <FailureNotice failure={status.failure} status={status} onSignIn={onSignIn} /> : null}
      <dl className="watcher-facts">
        <dt>Last sync</dt>
        <dd>
          <When iso={status.lastSyncAt} />
        </dd>
        <dt>Messages seen</dt>
        <dd>{status.messagesSeen.toLocaleString()}</dd>
        <dt>Newest message</dt>
        <dd>
          <When iso={status.lastMessageAt} />
        </dd>
      </dl>
      {status.folders.length > 0 ? (
        <table className="kv folder-states">
          <tbody>
            {status.folders.map((f) => (
              <tr key={f.path}>
                <th>
                  {f.path}
                  {f.role !== 'other' ? (
                    <span className="muted"> ({f.role === 'inbox' ? 'Inbox' : 'Junk'})</span>
                  ) : null}
                </th>
                <td>
                  {f.missing ? (
                    <span className="bad-text">not found on the server</span>
                  ) : (
                    <>
                      read up to UID {f.lastUid ?? '—'} · checked <When iso={f.syncedAt} />
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p className="muted small">
        {`The first start reads the last ${plural(backfillDays, 'day')} of mail (at most the newest ${FIRST_SYNC_MAX_MESSAGES.toLocaleString()} messages per folder); older mail is never downloaded. Envelope, date, size and headers are read; bodies only when you open a message.`}
      </p>
    </section>
  );
}
