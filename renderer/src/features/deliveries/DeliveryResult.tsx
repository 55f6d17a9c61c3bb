import { useEffect, useRef, useState } from 'react';
import type { AttemptView, DeliveryDetail, DeliverySummary } from '../../../../shared/delivery.ts';
import { FAILURE_CATALOG } from '../../../../shared/failures.ts';
import { navigate } from '../../app/router.ts';
import { When } from '../../components/format.tsx';
import { Badge, formatMs } from '../../components/ui.tsx';
import { ArrivalSection } from '../arrival/ArrivalProof.tsx';

export const STATUS_LABEL: Record<DeliverySummary['status'], string> = {
  queued: 'Queued',
  sending: 'Sending…',
  retrying: 'Waiting to retry',
  // A test e-mail's outcome, in the words of every screen: passed or failed.
  sent: 'Passed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

export function StatusBadge({ status }: { status: DeliverySummary['status'] }) {
  const tone =
    status === 'sent'
      ? 'ok'
      : status === 'failed'
        ? 'bad'
        : status === 'cancelled'
          ? 'muted'
          : status === 'interrupted'
            ? 'warn'
            : 'info';
  return <Badge tone={tone}>{STATUS_LABEL[status]}</Badge>;
}

/** A state no more news will come for. */
export const isFinal = (status: DeliverySummary['status']): boolean =>
  status === 'sent' || status === 'failed' || status === 'cancelled' || status === 'interrupted';

function Countdown({ until }: { until: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Math.ceil((new Date(until).getTime() - now) / 1000));
  return <span>next try in {left} s</span>;
}

/** A delivery in progress (live) or finished: the verdict first, then the evidence. */
export function DeliveryResult({ delivery }: { delivery: DeliverySummary | DeliveryDetail }) {
  const detail = 'attempts' in delivery ? delivery : null;
  const final = isFinal(delivery.status);
  const failure = detail?.failure ?? null;
  const info = delivery.failureClass ? FAILURE_CATALOG[delivery.failureClass] : null;
  const ref = useRef<HTMLDivElement>(null);
  // Bring the verdict into view when it arrives; the form above it is long.
  useEffect(() => {
    if (final) ref.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, [final, delivery.id]);

  return (
    <div
      ref={ref}
      className={`delivery-result ${delivery.status}`}
      data-testid="delivery-result"
      aria-live="polite"
    >
      <div className="result-head">
        <StatusBadge status={delivery.status} />
        {!final ? <span className="spinner" aria-hidden /> : null}
        <span className="muted">
          {delivery.attemptCount > 0
            ? `attempt ${delivery.attemptCount}`
            : final
              ? 'no attempt recorded'
              : 'waiting for a session'}
          {delivery.status === 'retrying' && delivery.nextAttemptAt ? (
            <>
              {' · '}
              <Countdown until={delivery.nextAttemptAt} />
            </>
          ) : null}
          {delivery.durationMs !== null && final ? ` · ${formatMs(delivery.durationMs)}` : ''}
        </span>
      </div>

      {delivery.status === 'sent' && detail ? (
        <dl className="facts">
          <dt>Accepted</dt>
          <dd>{detail.accepted.join(', ') || '—'}</dd>
          {detail.rejected.length > 0 ? (
            <>
              <dt>Rejected</dt>
              <dd className="bad-text">
                {detail.rejected.map((r) => (
                  <div key={r.address}>
                    {r.address}: {r.reply}
                  </div>
                ))}
              </dd>
            </>
          ) : null}
          <dt>Server reply</dt>
          <dd className="mono">{detail.reply}</dd>
          <dt>Message-ID</dt>
          <dd className="mono">{detail.messageId}</dd>
          {detail.serverMessageId ? (
            <>
              <dt>Server Message-ID</dt>
              <dd className="mono">{detail.serverMessageId}</dd>
            </>
          ) : null}
          <dt>Time taken</dt>
          <dd>{formatMs(detail.durationMs)}</dd>
        </dl>
      ) : null}

      {delivery.status === 'sent' ? <ArrivalSection deliveryId={delivery.id} runId={delivery.runId} /> : null}

      {delivery.status === 'interrupted' ? (
        <div className="verdict interrupted" data-testid="interrupted-verdict">
          <h4>Outcome unknown: AlertDesk stopped</h4>
          <p className="explanation">
            AlertDesk was closed, crashed or the computer shut down before this message was finished. Whether
            the server accepted it is unknown: a reply AlertDesk had received would be recorded here as sent.
          </p>
          <p className="fix">
            <strong>What to do: </strong>
            {delivery.runId
              ? 'Re-run the unfinished cameras of its handover run.'
              : 'Send the test e-mail again from its connector.'}
          </p>
        </div>
      ) : null}

      {delivery.failureClass &&
      (delivery.status === 'failed' || delivery.status === 'retrying' || delivery.status === 'cancelled') ? (
        <div className="verdict" data-failure-class={delivery.failureClass}>
          <h4>
            {info?.title} <code className="class-code">{delivery.failureClass}</code>
          </h4>
          {failure ? (
            <>
              <p className="explanation">{failure.explanation}</p>
              <p className="fix">
                <strong>What to do: </strong>
                {failure.fix}
              </p>
              {delivery.failureClass.startsWith('oauth-') ? (
                <button
                  type="button"
                  className="btn small"
                  onClick={() => navigate(`connectors/${delivery.connectorId}?tab=settings`)}
                >
                  Open the connector's sign-in
                </button>
              ) : null}
              {failure.command || failure.reply ? (
                <dl className="facts">
                  {failure.command ? (
                    <>
                      <dt>Command</dt>
                      <dd className="mono">{failure.command}</dd>
                    </>
                  ) : null}
                  {failure.reply ? (
                    <>
                      <dt>Server reply</dt>
                      <dd className="mono">{failure.reply}</dd>
                    </>
                  ) : null}
                  {failure.errorCode ? (
                    <>
                      <dt>Error code</dt>
                      <dd className="mono">{failure.errorCode}</dd>
                    </>
                  ) : null}
                  <dt>Retried</dt>
                  <dd>
                    {failure.retryable
                      ? 'yes — this kind of failure can pass on a later try'
                      : 'no — retrying would fail the same way'}
                  </dd>
                </dl>
              ) : null}
            </>
          ) : null}
        </div>
      ) : null}

      {detail && detail.attempts.length > 0 ? (
        <div className="attempts">
          {detail.attempts.map((a) => (
            <AttemptBlock
              key={a.n}
              attempt={a}
              open={detail.attempts.length === 1 && delivery.status !== 'sent'}
            />
          ))}
        </div>
      ) : null}
    </div>
  );
}

function AttemptBlock({ attempt, open }: { attempt: AttemptView; open: boolean }) {
  const total = Math.max(1, ...attempt.timings.map((t) => t.startMs + t.durationMs));
  return (
    <details className="attempt" open={open}>
      <summary>
        Attempt {attempt.n} · <When iso={attempt.startedAt} /> · {formatMs(attempt.durationMs)} ·{' '}
        {attempt.outcome === 'sent' ? (
          <span className="ok-text">accepted by the server</span>
        ) : (
          <span className="bad-text">{attempt.failure?.class}</span>
        )}
      </summary>
      {attempt.timings.length > 0 ? (
        <div className="timings" aria-label="Timing of each step">
          {attempt.timings.map((t, i) => (
            <div key={i} className="timing-row">
              <span className="timing-step">{t.step}</span>
              <span className="timing-bar-wrap">
                <span
                  className={`timing-bar ${t.ok ? 'ok' : 'bad'}`}
                  style={{
                    marginLeft: `${(t.startMs / total) * 100}%`,
                    width: `${Math.max(0.8, (t.durationMs / total) * 100)}%`,
                  }}
                />
              </span>
              <span className="timing-ms">{t.durationMs} ms</span>
            </div>
          ))}
        </div>
      ) : null}
      {attempt.tls ? (
        <p className="muted small">
          {attempt.tls.mode === 'starttls' ? 'STARTTLS' : 'TLS'}: {attempt.tls.protocol} {attempt.tls.cipher}
          {attempt.tls.certificate
            ? ` · certificate ${attempt.tls.certificate.subject}, issuer ${attempt.tls.certificate.issuer}, valid until ${attempt.tls.certificate.validTo.slice(0, 10)}`
            : ''}
        </p>
      ) : null}
      <pre className="transcript" aria-label="SMTP transcript">
        {attempt.transcript
          .map(
            (l) =>
              `${String(l.t).padStart(5)} ms  ${l.dir === 'c' ? 'C:' : l.dir === 's' ? 'S:' : '  '} ${l.text}`,
          )
          .join('\n')}
      </pre>
    </details>
  );
}
