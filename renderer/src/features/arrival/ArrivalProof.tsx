import { useCallback, useEffect, useState } from 'react';
import {
  ARRIVAL_LABELS,
  type ArrivalState,
  type AuthResults,
  type DeliveryArrival,
} from '../../../../shared/arrival.ts';
import { api, call, errorMessage } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';
import { CheckboxField, NumberField } from '../../components/fields.tsx';
import { When } from '../../components/format.tsx';
import { Badge, Dialog, DialogActions, Notice, useToast } from '../../components/ui.tsx';

const TONE: Record<ArrivalState, 'ok' | 'bad' | 'warn' | 'info' | 'muted'> = {
  waiting: 'info',
  arrived: 'ok',
  junk: 'warn',
  'not-arrived': 'bad',
  'not-checked': 'muted',
};

/** The second verdict as a badge: arrived, in Junk, not arrived, not checked (or waiting). */
export function ArrivalBadge({ state }: { state: ArrivalState | null | undefined }) {
  if (!state) return <span className="muted">—</span>;
  return (
    <span className="arrival-badge" data-arrival={state}>
      <Badge tone={TONE[state]}>{ARRIVAL_LABELS[state]}</Badge>
    </span>
  );
}

const AUTH_LABEL = { spf: 'SPF', dkim: 'DKIM', dmarc: 'DMARC' } as const;

/** SPF, DKIM and DMARC as the receiving server judged them: pass, fail, or nothing proven. */
export function AuthChips({ auth }: { auth: AuthResults | null }) {
  if (!auth) return <span className="muted small">no Authentication-Results</span>;
  return (
    <span className="auth-chips" title={auth.authservId ? `Checked by ${auth.authservId}` : undefined}>
      {auth.checks.map((c) => (
        <span
          key={c.method}
          className={`auth-chip ${c.ok === true ? 'pass' : c.ok === false ? 'fail' : 'none'}`}
          title={c.comment ?? undefined}
        >
          {AUTH_LABEL[c.method]} {c.result ?? '—'}
        </span>
      ))}
    </span>
  );
}

/**
 * A delivery's arrival proof, kept up to date: each recipient's verdict, where and when it landed,
 * SPF/DKIM/DMARC, and what to do when something is wrong.
 */
export function ArrivalSection({ deliveryId, runId }: { deliveryId: string; runId: string | null }) {
  const [arrival, setArrival] = useState<DeliveryArrival | null | undefined>(undefined);
  const load = useCallback(() => {
    void api.arrival.get({ id: deliveryId }).then((r) => r.ok && setArrival(r.value));
  }, [deliveryId]);
  useEffect(load, [load]);
  useEvent('arrival', (e) => {
    if (e.arrival.deliveryId === deliveryId) setArrival(e.arrival);
  });
  // A run's deliveries report their arrival through the run's events.
  useEvent('run', (e) => {
    if (runId && e.run.id === runId && e.items.some((i) => i.deliveryId === deliveryId)) load();
  });
  // The wait opens a moment after the server's reply: ask again once.
  useEffect(() => {
    if (arrival !== null) return;
    const timer = setTimeout(load, 500);
    return () => clearTimeout(timer);
  }, [arrival, load]);
  if (arrival === undefined) return null;
  return (
    <section className="arrival" aria-label="Arrival" data-testid="arrival">
      <h4>
        Arrival <ArrivalBadge state={arrival?.overall} />
        {arrival?.token ? <code className="arrival-token">token {arrival.token}</code> : null}
      </h4>
      {arrival === null ? (
        <p className="muted">
          Not tracked yet: the verdict appears once the server has accepted the message.
        </p>
      ) : (
        <>
          <p className="arrival-summary">{arrival.summary}</p>
          <table className="arrival-table">
            <thead>
              <tr>
                <th>Recipient</th>
                <th>Arrival</th>
                <th>Where</th>
                <th>When</th>
                <th>Authentication</th>
              </tr>
            </thead>
            <tbody>
              {arrival.recipients.map((r) => (
                <tr key={r.recipient}>
                  <td>{r.recipient}</td>
                  <td>
                    <ArrivalBadge state={r.state} />
                  </td>
                  <td>
                    {r.folder ? (
                      <>
                        {r.folder} <span className="muted">· {r.mailboxTitle}</span>
                      </>
                    ) : (
                      <span className="muted">{r.mailboxTitle ?? 'no watched mailbox'}</span>
                    )}
                    {r.reason ? <div className="small muted">{r.reason}</div> : null}
                  </td>
                  <td>
                    {r.arrivedAt ? (
                      <>
                        <When iso={r.arrivedAt} />
                        <div className="small muted">
                          {r.minutesAfter !== null && r.minutesAfter < 1
                            ? 'within a minute of the accept'
                            : `${r.minutesAfter} min after the accept`}
                        </div>
                      </>
                    ) : r.state === 'waiting' ? (
                      <span className="small">
                        checked until <When iso={r.dueAt} />
                      </span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>{r.arrivedAt ? <AuthChips auth={r.auth} /> : <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {arrival.fixes.length === 1 ? (
            <p className="fix">
              <strong>What to do: </strong>
              {arrival.fixes[0]}
            </p>
          ) : arrival.fixes.length > 1 ? (
            <div className="fix">
              <strong>What to do:</strong>
              <ul className="arrival-fixes">
                {arrival.fixes.map((f) => (
                  <li key={f}>{f}</li>
                ))}
              </ul>
            </div>
          ) : null}
        </>
      )}
    </section>
  );
}

/** How long to wait for arrival, and whether the token also goes into subjects. */
export function ArrivalSettingsDialog({ onClose }: { onClose: () => void }) {
  const toast = useToast();
  const settings = useQuery(() => api.settings.get(), []);
  const [minutes, setMinutes] = useState<number | null>(null);
  const [inSubject, setInSubject] = useState<boolean | null>(null);
  const [error, setError] = useState<string | undefined>(undefined);
  const wait = minutes ?? settings.data?.arrivalWaitMinutes ?? null;
  const subject = inSubject ?? settings.data?.tokenInSubject ?? false;
  async function save() {
    try {
      const saved = await call(
        api.settings.update({ arrivalWaitMinutes: wait as number, tokenInSubject: subject }),
      );
      toast(
        'ok',
        `Arrival is awaited for ${saved.arrivalWaitMinutes} min after the server accepts a message.`,
      );
      onClose();
    } catch (e) {
      setError(errorMessage(e));
    }
  }
  return (
    <Dialog
      title="Arrival proof"
      onClose={onClose}
      footer={<DialogActions onCancel={onClose} onAction={() => void save()} action="Save" />}
    >
      <Notice level="info">
        Every test e-mail carries a token. When a watched mailbox receives a recipient's mail, the delivery
        gets a second verdict: arrived (Inbox), in Junk, not arrived, or not checked.
      </Notice>
      <NumberField
        label="Wait for arrival (minutes)"
        value={wait}
        min={1}
        max={1440}
        onChange={(v) => {
          setMinutes(v);
          setError(undefined);
        }}
        error={error}
        hint="After this long without the message in the mailbox, it is “not arrived”. Default 5 minutes."
      />
      <CheckboxField
        label="Also put the token in the subject ([AD:…])"
        checked={subject}
        onChange={setInSubject}
        hint="For mail servers that remove unknown headers. Test e-mails and handover runs can choose per send."
      />
    </Dialog>
  );
}
