import type { ArrivalState } from '../../../shared/arrival.ts';
import { FAILURE_CATALOG } from '../../../shared/failures.ts';
import { AppError } from '../../../shared/result.ts';
import type { HandoverReport, ReportGroup, RunCounts, RunDetail, RunItem } from '../../../shared/runs.ts';
import { plural } from '../../../shared/words.ts';
import type { StoredSite } from '../inventory/inventory.ts';

/** The handover report of one site of a run: its verdict, what did not deliver grouped by cause, every camera. */
export function buildReport(
  run: RunDetail,
  siteId: string,
  site: StoredSite | undefined,
  by: { generatedAt: number; integrator: string },
): HandoverReport {
  const items = run.items.filter((i) => i.siteId === siteId);
  if (items.length === 0) throw new AppError('not-found', 'This run tested nothing at that site.', 'siteId');
  const counts = countItems(items);
  const ready = counts.passed === counts.total;
  const verdict = ready
    ? `All ${plural(counts.total, 'alert path')} delivered: the site's e-mail alerts are ready for handover.`
    : run.status === 'running'
      ? `The run is still in progress (${counts.total - counts.pending} of ${counts.total} done).`
      : `${counts.failed + counts.cancelled + counts.skipped + counts.interrupted} of ${plural(counts.total, 'alert path')} did not deliver${counts.interrupted ? ` (${counts.interrupted} not finished: AlertDesk stopped during the run)` : ''}: fix them and re-run the failures before handover.`;
  const groups = groupFailures(items);
  const byId = new Map(items.map((i) => [i.id, i]));
  return {
    runId: run.id,
    generatedAt: new Date(by.generatedAt).toISOString(),
    integrator: by.integrator,
    site: {
      id: siteId,
      name: site?.name ?? items[0]!.siteName,
      customer: site?.customer ?? '',
      address: site?.address ?? '',
      contact: site?.contact ?? '',
    },
    run: {
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      status: run.status,
      note: run.note,
      snapshots: run.snapshots,
    },
    counts,
    verdict,
    ready,
    groups,
    items: [
      ...groups.flatMap((g) => g.itemIds.map((id) => byId.get(id)!)),
      ...items.filter((i) => i.status === 'passed'),
    ],
  };
}

/** A failed camera's group when the cause is where its mail landed (arrival proof, issue 13). */
const ARRIVAL_CAUSE: Record<ArrivalState, string> = {
  junk: 'Landed in Junk',
  'not-arrived': 'Did not arrive',
  'not-checked': 'Arrival not checked',
  waiting: 'Waiting for arrival',
  arrived: 'Failed',
};

const GROUP_ORDER: Record<ReportGroup['status'], number> = {
  failed: 0,
  skipped: 1,
  cancelled: 2,
  interrupted: 2,
  queued: 3,
  sending: 3,
  retrying: 3,
  arriving: 3,
};
const GROUP_TITLE: Record<Exclude<ReportGroup['status'], 'failed'>, string> = {
  skipped: 'Not tested',
  cancelled: 'Not sent (the run was cancelled)',
  interrupted: 'Not finished (AlertDesk stopped during the run)',
  queued: 'Still sending',
  sending: 'Still sending',
  retrying: 'Still sending',
  arriving: 'Waiting for arrival',
};

/**
 * The items that did not deliver, grouped by cause: the same failure class through the same
 * connector is one explanation for all its cameras, in which the account each camera logs in with
 * reads "each camera's own account". Biggest group first, failures before the rest.
 */
export function groupFailures(items: RunItem[]): ReportGroup[] {
  const groups = new Map<string, { group: ReportGroup; texts: Map<string, number> }>();
  for (const i of items) {
    if (i.status === 'passed') continue;
    const text = (i.explanation ?? '').split(i.account || '\u0000').join('\u0001');
    // A camera whose mail was accepted but did not arrive in the Inbox (a run requiring arrival
    // proof) has no failure class: its arrival verdict is its cause.
    const arrivalCause = i.status === 'failed' && !i.failureClass ? (i.arrival?.overall ?? null) : null;
    const key =
      i.status === 'failed'
        ? `failed|${i.failureClass ?? arrivalCause ?? ''}|${i.connectorId ?? ''}`
        : i.status === 'skipped'
          ? `skipped|${text}`
          : `${GROUP_ORDER[i.status]}`;
    let entry = groups.get(key);
    if (!entry) {
      entry = {
        group: {
          status: i.status,
          title:
            i.status === 'failed'
              ? i.failureClass
                ? FAILURE_CATALOG[i.failureClass].title
                : arrivalCause
                  ? ARRIVAL_CAUSE[arrivalCause]
                  : 'Failed'
              : GROUP_TITLE[i.status],
          explanation: '',
          fix: i.fix,
          connectorTitle: i.connectorTitle,
          itemIds: [],
        },
        texts: new Map(),
      };
      groups.set(key, entry);
    }
    entry.group.itemIds.push(i.id);
    entry.texts.set(text, (entry.texts.get(text) ?? 0) + 1);
  }
  const out = [...groups.values()].map(({ group, texts }) => {
    const [common] = [...texts].sort((a, b) => b[1] - a[1])[0]!;
    const login = group.itemIds.length === 1 ? null : "each camera's own account";
    const first = items.find((i) => i.id === group.itemIds[0])!;
    const explanation = common.split('\u0001').join(login ?? first.account);
    return { ...group, explanation: texts.size > 1 ? `${explanation} (and similar)` : explanation };
  });
  return out.sort(
    (a, b) => GROUP_ORDER[a.status] - GROUP_ORDER[b.status] || b.itemIds.length - a.itemIds.length,
  );
}

export const noCounts = (): RunCounts => ({
  total: 0,
  passed: 0,
  failed: 0,
  skipped: 0,
  cancelled: 0,
  interrupted: 0,
  pending: 0,
});

/** The final states, each counted on its own; the others are pending. */
const COUNTED = new Set(['passed', 'failed', 'skipped', 'cancelled', 'interrupted'] as const);
type Counted = typeof COUNTED extends Set<infer T> ? T : never;
export const isCounted = (status: RunItem['status']): status is Counted => COUNTED.has(status as Counted);

export function countItems(items: RunItem[]): RunCounts {
  const counts = { ...noCounts(), total: items.length };
  for (const i of items) {
    if (isCounted(i.status)) counts[i.status]++;
    else counts.pending++;
  }
  return counts;
}
