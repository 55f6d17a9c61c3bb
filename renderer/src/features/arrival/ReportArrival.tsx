import { ARRIVAL_LABELS, ARRIVAL_STATES, type DeliveryArrival } from '../../../../shared/arrival.ts';
import type { HandoverReport, RunItem } from '../../../../shared/runs.ts';
import { ArrivalBadge, AuthChips } from './ArrivalProof.tsx';

const unwatched = (a: DeliveryArrival) =>
  a.recipients.every((r) => r.state === 'not-checked' && !r.mailboxId);

/**
 * Whether the report has arrival columns: not when no recipient of the site is in a watched mailbox
 * (a column of "not checked" on every row says nothing the summary line does not).
 */
export function showsArrival(report: HandoverReport): boolean {
  return report.requireArrival === true || report.items.some((i) => i.arrival && !unwatched(i.arrival));
}

/** The handover report's line on arrival proof: required or not, and how the messages landed. */
export function ReportArrivalSummary({ report }: { report: HandoverReport }) {
  const counts = report.arrivalCounts;
  const tracked = counts ? ARRIVAL_STATES.filter((s) => counts[s] > 0) : [];
  if (!report.requireArrival && tracked.length === 0) return null;
  if (!showsArrival(report))
    return (
      <span className="report-arrival" data-testid="report-arrival">
        Arrival not checked: no watched mailbox receives these recipients.
      </span>
    );
  return (
    <span className="report-arrival" data-testid="report-arrival">
      {report.requireArrival
        ? 'Arrival proof required: a camera passed only when its mail arrived in the Inbox. '
        : 'Arrival: '}
      {tracked.map((s) => `${counts![s]} ${ARRIVAL_LABELS[s]}`).join(' · ') || 'no verdicts yet'}
    </span>
  );
}

/** A few words for a row's column; the full sentence is in the explanation and the CSV. */
function shortReason(arrival: DeliveryArrival): string {
  const r = arrival.recipients.find((x) => x.state === arrival.overall) ?? arrival.recipients[0];
  if (!r) return '';
  if (r.state === 'waiting') return 'waiting for it to land';
  if (r.state === 'not-arrived') return `not in ${r.mailboxTitle ?? 'the mailbox'}`;
  if (r.state === 'not-checked') return r.mailboxId ? `${r.mailboxTitle} not watched` : 'no watched mailbox';
  return '';
}

const landedOf = (item: RunItem) => item.arrival?.recipients.find((r) => r.arrivedAt) ?? null;

/** The report's two arrival columns: the verdict (with folder and delay) and SPF/DKIM/DMARC. */
export const ARRIVAL_COLUMNS = [
  {
    head: 'Arrival',
    width: 'w-arrival',
    className: 'arrival-cell',
    cell: (item: RunItem) => {
      const arrival = item.arrival ?? null;
      const landed = landedOf(item);
      return (
        <>
          <ArrivalBadge state={arrival?.overall} />
          {landed ? (
            <div className="small muted">
              {landed.folder}
              {landed.minutesAfter !== null
                ? `, ${landed.minutesAfter < 1 ? '<1' : landed.minutesAfter} min`
                : ''}
            </div>
          ) : arrival ? (
            <div className="small muted">{shortReason(arrival)}</div>
          ) : null}
        </>
      );
    },
  },
  {
    head: 'SPF · DKIM · DMARC',
    width: 'w-auth',
    cell: (item: RunItem) => {
      const landed = landedOf(item);
      return landed ? <AuthChips auth={landed.auth} /> : <span className="muted">—</span>;
    },
  },
];
