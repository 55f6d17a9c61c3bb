import { useState } from 'react';
import { durationLabel, type CameraHeartbeat, type HeartbeatBeat } from '../../../../shared/heartbeats.ts';
import { api, call, errorMessage } from '../../api.ts';
import { useQuery } from '../../app/hooks.ts';
import { navigate } from '../../app/router.ts';
import { When } from '../../components/format.tsx';
import { Notice, SidePanel, useToast } from '../../components/ui.tsx';
import { ExpectationForm, PauseForm } from './ExpectationForm.tsx';
import { ruleLabel } from '../../../../shared/heartbeats.ts';
import { RuleDialog } from './RulesPanel.tsx';
import { periodText, StateBadge, STATE_LABEL, watcherLabel } from './state.tsx';

const NOTICE = {
  down: 'error',
  late: 'warning',
  unknown: 'warning',
  new: 'info',
  paused: 'info',
  up: 'success',
} as const;

/** A camera's heartbeat: its state in words, expectation, maintenance, timeline, state changes and rules. */
export function CameraHeartbeatPanel({
  row,
  onClose,
  now,
}: {
  row: CameraHeartbeat;
  onClose: () => void;
  now: number;
}) {
  const detail = useQuery(() => api.heartbeats.camera({ cameraId: row.cameraId }), [row]);
  const d = detail.data;
  const [addingRule, setAddingRule] = useState(false);
  return (
    <SidePanel
      wide
      title={row.cameraName}
      subtitle={
        <span>
          {row.siteName} · <StateBadge state={row.state} />
        </span>
      }
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={() => navigate(`cameras?site=${row.siteId}`)}>
            Open in Cameras
          </button>
          <span className="spacer" />
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      <Notice
        level={row.state ? NOTICE[row.state] : 'info'}
        title={row.state ? `The camera is ${STATE_LABEL[row.state]}` : 'Not watched'}
      >
        {row.detail}
      </Notice>
      <dl className="hb-facts">
        <dt>Last heartbeat</dt>
        <dd>
          <When iso={row.lastBeatAt} now={now} />
          {row.lastBeatFolder === 'junk' ? <span className="hb-junk"> in Junk</span> : null}
        </dd>
        <dt>Expected by</dt>
        <dd>
          <When iso={row.expectedBy} now={now} />
        </dd>
        <dt>Down after</dt>
        <dd>
          <When iso={row.downAt} now={now} />
        </dd>
        <dt>Expected</dt>
        <dd>
          {periodText(row)}
          {row.state !== null ? (
            <span className="muted"> · grace {durationLabel(row.graceMinutes * 60_000)}</span>
          ) : null}
        </dd>
        <dt>Mailbox</dt>
        <dd>
          {row.mailboxes.length === 0 ? (
            <span className="hb-no-mailbox">
              none covers this camera — add its site to a mailbox under Mailboxes
            </span>
          ) : (
            row.mailboxes.map((m) => (
              <div key={m.id}>
                <span className={`hb-dot ${m.watching ? 'ok' : 'bad'}`} aria-hidden /> {m.title} (
                {watcherLabel(m.state)})
              </div>
            ))
          )}
        </dd>
      </dl>
      {d?.suggestedPeriodMinutes ? (
        <SuggestPeriod row={row} minutes={d.suggestedPeriodMinutes} onSaved={detail.reload} />
      ) : null}

      <section className="hb-section">
        <h3>Recent heartbeats</h3>
        {d ? <Timeline beats={d.beats} row={row} now={now} /> : <p className="muted">Loading…</p>}
      </section>

      <section className="hb-section">
        <h3>Expectation</h3>
        <ExpectationForm
          key={`${row.periodMinutes}-${row.graceMinutes}-${JSON.stringify(row.schedule)}`}
          initial={row}
          save={(fields) => call(api.heartbeats.setExpectation({ cameraId: row.cameraId, ...fields }))}
        />
      </section>

      <section className="hb-section">
        <h3>Maintenance</h3>
        {d ? (
          <PauseForm
            siteId={row.siteId}
            cameraId={row.cameraId}
            windows={d.windows}
            onChanged={detail.reload}
            now={now}
          />
        ) : null}
      </section>

      <section className="hb-section">
        <h3>Rules that give mail to this camera</h3>
        {d?.rules.length ? (
          <ul className="hb-list">
            {d.rules.map((r) => (
              <li key={r.id}>
                <span className="hb-rule-scope">{r.scope === 'camera' ? 'this camera' : 'whole site'}</span>{' '}
                {ruleLabel(r)}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No rule yet: this camera's mail is not recognised.</p>
        )}
        <button type="button" className="btn small" onClick={() => setAddingRule(true)}>
          Add a rule for this camera…
        </button>
      </section>

      <section className="hb-section">
        <h3>State changes</h3>
        {d?.transitions.length ? (
          <ul className="hb-list hb-transitions">
            {d.transitions.map((t, i) => (
              <li key={i}>
                <When iso={t.at} now={now} /> <StateBadge state={t.from} /> → <StateBadge state={t.to} />
                <div className="hb-cause">{t.cause}</div>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">None recorded yet.</p>
        )}
      </section>
      {addingRule ? (
        <RuleDialog
          initial={{ scope: 'camera', siteId: row.siteId, cameraId: row.cameraId }}
          cameras={[{ id: row.cameraId, name: row.cameraName, siteId: row.siteId }]}
          sites={[{ id: row.siteId, name: row.siteName }]}
          onClose={() => setAddingRule(false)}
          onSaved={() => {
            setAddingRule(false);
            detail.reload();
          }}
        />
      ) : null}
    </SidePanel>
  );
}

function SuggestPeriod({
  row,
  minutes,
  onSaved,
}: {
  row: CameraHeartbeat;
  minutes: number;
  onSaved: () => void;
}) {
  const toast = useToast();
  async function apply() {
    try {
      await call(
        api.heartbeats.setExpectation({
          cameraId: row.cameraId,
          periodMinutes: minutes,
          graceMinutes: null,
          schedule: null,
        }),
      );
      toast('ok', `${row.cameraName} now expects a heartbeat every ${durationLabel(minutes * 60_000)}.`);
      onSaved();
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }
  return (
    <Notice level="info" title="Learned from its mail">
      Heartbeats from this camera arrive about every {durationLabel(minutes * 60_000)}
      {row.periodMinutes ? `, not every ${durationLabel(row.periodMinutes * 60_000)}` : ''}.{' '}
      <button type="button" className="link" onClick={() => void apply()}>
        Use {durationLabel(minutes * 60_000)} as the period
      </button>
    </Notice>
  );
}

/**
 * The heartbeats on a time line (ticks from the oldest shown to now, gaps longer than the period
 * marked), then each with its time, folder, mailbox, subject and the rule that matched it.
 */
function Timeline({ beats, row, now }: { beats: HeartbeatBeat[]; row: CameraHeartbeat; now: number }) {
  if (beats.length === 0) return <p className="muted">No heartbeat has been matched to this camera.</p>;
  const times = beats.map((b) => Date.parse(b.receivedAt));
  const start = Math.min(...times);
  const span = Math.max(now - start, 60_000);
  const x = (t: number) => `${(((t - start) / span) * 100).toFixed(2)}%`;
  const period = row.periodMinutes ? row.periodMinutes * 60_000 : null;
  const gaps: Array<[number, number]> = [];
  const sorted = [...times].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    const next = sorted[i + 1] ?? now;
    if (period && next - sorted[i]! > period + row.graceMinutes * 60_000) gaps.push([sorted[i]!, next]);
  }
  return (
    <>
      <div
        className="hb-timeline"
        role="img"
        aria-label={`${beats.length} heartbeats between ${new Date(start).toLocaleString()} and now`}
      >
        {gaps.map(([a, b]) => (
          <span
            key={a}
            className="hb-gap"
            style={{ left: x(a), width: `calc(${x(b)} - ${x(a)})` }}
            title={`Silent for ${durationLabel(b - a)}`}
          />
        ))}
        {beats.map((b) => (
          <span
            key={b.messageKey}
            className={`hb-tick${b.folderRole === 'junk' ? ' junk' : ''}`}
            style={{ left: x(Date.parse(b.receivedAt)) }}
            title={`${new Date(b.receivedAt).toLocaleString()} — ${b.subject}`}
          />
        ))}
        <span className="hb-now" style={{ left: '100%' }} />
      </div>
      <div className="hb-timeline-scale">
        <When iso={new Date(start).toISOString()} now={now} />
        <span>now</span>
      </div>
      <ul className="hb-list hb-beats">
        {beats.slice(0, 20).map((b) => (
          <li key={b.messageKey}>
            <div>
              <When iso={b.receivedAt} now={now} /> · {b.mailboxTitle}
              {b.folderRole === 'junk' ? (
                <span className="hb-junk"> · Junk</span>
              ) : b.folder ? (
                <span className="muted"> · {b.folder}</span>
              ) : null}
            </div>
            <div className="hb-beat-subject" title={b.subject}>
              {b.subject}
            </div>
            <div className="muted small">
              {b.from} — matched by {b.ruleLabel}
            </div>
          </li>
        ))}
      </ul>
      {beats.length > 20 ? (
        <p className="muted small">and {beats.length - 20} earlier ones on the time line</p>
      ) : null}
    </>
  );
}
