import { WATCHER_STATE_LABELS, type WatcherState } from '../../../../shared/inbound.ts';
import {
  FIRST_SYNC_MAX_MESSAGES,
  type ImapFailure,
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

/** What went wrong, what to do, and when the watcher tries again. */
export function FailureNotice({ failure, status }: { failure: ImapFailure; status: MailboxStatus }) {
  const waiting = status.state === 'login-rejected' || status.state === 'reconnecting';
  return (
    <Notice level={status.state === 'login-rejected' ? 'error' : 'warning'} title={failure.title}>
      <Verdict failure={failure} />
      {waiting && status.nextAttemptAt ? (
        <div className="muted small">
          Next try <When iso={status.nextAttemptAt} />
          {status.state === 'login-rejected'
            ? ' — or at once when you save a new password or Test connection passes.'
            : '.'}
        </div>
      ) : null}
    </Notice>
  );
}

/** The watcher as the mailbox panel shows it: state, verdict, folders and where reading stands. */
export function WatcherSummary({ status, backfillDays }: { status: MailboxStatus; backfillDays: number }) {
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
      {status.failure ? <FailureNotice failure={status.failure} status={status} /> : null}
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
