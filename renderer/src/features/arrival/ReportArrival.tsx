import { ARRIVAL_LABELS, ARRIVAL_STATES } from '../../../../shared/arrival.ts';
import type { HandoverReport, RunItem } from '../../../../shared/runs.ts';
import { ArrivalBadge, AuthChips } from './ArrivalProof.tsx';

/** The handover report's line on arrival proof: required or not, and how the messages landed. */
export function ReportArrivalSummary({ report }: { report: HandoverReport }) {
  const counts = report.arrivalCounts;
  const tracked = counts ? ARRIVAL_STATES.filter((s) => counts[s] > 0) : [];
  if (!report.requireArrival && tracked.length === 0) return null;
  return (
    <span className="report-arrival" data-testid="report-arrival">
      {report.requireArrival
        ? 'Arrival proof required: a camera passed only when its mail arrived in the Inbox. '
        : 'Arrival: '}
      {tracked.map((s) => `${counts![s]} ${ARRIVAL_LABELS[s]}`).join(' · ') || 'no verdicts yet'}
    </span>
  );
}

/** A report row's arrival verdict (with folder and delay) and its SPF/DKIM/DMARC results. */
export function ReportArrivalCells({ item }: { item: RunItem }) {
  const arrival = item.arrival ?? null;
  const landed = arrival?.recipients.find((r) => r.arrivedAt) ?? null;
  return (
    <>
      <td className="arrival-cell">
        <ArrivalBadge state={arrival?.overall} />
        {landed ? (
          <div className="small muted">
            {landed.folder}
            {landed.minutesAfter !== null
              ? `, ${landed.minutesAfter < 1 ? '<1' : landed.minutesAfter} min`
              : ''}
          </div>
        ) : arrival && arrival.overall !== 'waiting' && arrival.overall !== 'arrived' ? (
          <div className="small muted">{arrival.recipients.find((r) => r.reason)?.reason}</div>
        ) : null}
      </td>
      <td>{landed ? <AuthChips auth={landed.auth} /> : <span className="muted">—</span>}</td>
    </>
  );
}
