import { createColumnHelper } from '@tanstack/react-table';
import { useEffect, useMemo, useState } from 'react';
import type { Site } from '../../../../shared/domain.ts';
import { FAILURE_CATALOG } from '../../../../shared/failures.ts';
import type { RunDetail, RunItem, RunItemStatus } from '../../../../shared/runs.ts';
import { OUTCOME_LABEL } from '../../../../shared/words.ts';
import { api, call, errorMessage } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';
import { navigate } from '../../app/router.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { FilterSelect } from '../../components/fields.tsx';
import { When, plural } from '../../components/format.tsx';
import { usePopover } from '../../components/Popover.tsx';
import { Badge, Notice, PageHeader, formatMs, useToast } from '../../components/ui.tsx';
import { needsRecord } from '../cameras/CameraForm.tsx';
import { DeliveryPanel } from '../deliveries/DeliveriesPage.tsx';
import { RunStatusBadge } from './RunsPage.tsx';

const col = createColumnHelper<RunItem>();
const ITEM_TONE: Record<RunItemStatus, 'ok' | 'bad' | 'info' | 'muted' | 'warn'> = {
  queued: 'muted',
  sending: 'info',
  retrying: 'warn',
  arriving: 'info',
  passed: 'ok',
  failed: 'bad',
  cancelled: 'muted',
  skipped: 'warn',
  interrupted: 'warn',
};
/** Failures first: what needs doing, then what is still going, then what worked. */
const STATUS_RANK: Record<RunItemStatus, number> = {
  failed: 0,
  skipped: 1,
  cancelled: 2,
  interrupted: 2,
  retrying: 3,
  arriving: 4,
  sending: 4,
  queued: 5,
  passed: 6,
};
type StatusFilter = '' | 'failed' | 'skipped' | 'passed' | 'cancelled' | 'interrupted' | 'pending';
const STATUS_FILTERS: Array<{ value: StatusFilter; label: string }> = [
  { value: 'failed', label: 'Failed' },
  { value: 'skipped', label: 'Not tested' },
  { value: 'passed', label: 'Passed' },
  { value: 'cancelled', label: 'Cancelled' },
  { value: 'interrupted', label: 'Interrupted' },
  { value: 'pending', label: 'Queued or sending' },
];
const matches = (i: RunItem, f: StatusFilter) =>
  !f || (f === 'pending' ? STATUS_RANK[i.status] >= 3 && i.status !== 'passed' : i.status === f);

interface SiteSummary {
  siteId: string;
  siteName: string;
  counts: {
    passed: number;
    failed: number;
    skipped: number;
    cancelled: number;
    interrupted: number;
    pending: number;
  };
}

/** Each site of a run with its counts, worst first (most failed, then most not tested). */
function summarise(items: RunItem[]): SiteSummary[] {
  const sites = new Map<string, SiteSummary>();
  for (const i of items) {
    let s = sites.get(i.siteId);
    if (!s) {
      s = {
        siteId: i.siteId,
        siteName: i.siteName,
        counts: { passed: 0, failed: 0, skipped: 0, cancelled: 0, interrupted: 0, pending: 0 },
      };
      sites.set(i.siteId, s);
    }
    if (
      i.status === 'passed' ||
      i.status === 'failed' ||
      i.status === 'skipped' ||
      i.status === 'cancelled' ||
      i.status === 'interrupted'
    )
      s.counts[i.status]++;
    else s.counts.pending++;
  }
  return [...sites.values()].sort(
    (a, b) =>
      b.counts.failed - a.counts.failed ||
      b.counts.skipped +
        b.counts.cancelled +
        b.counts.interrupted -
        (a.counts.skipped + a.counts.cancelled + a.counts.interrupted) ||
      NATURAL.compare(a.siteName, b.siteName),
  );
}
const NATURAL = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** A run while it goes and after: progress, a per-site summary, a table that fills row by row, cancel, re-run, reports. */
export function RunView({ runId, sites }: { runId: string; sites: Site[] }) {
  const toast = useToast();
  const [run, setRun] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [openDelivery, setOpenDelivery] = useState<RunItem | null>(null);
  const [statusFilter, setStatusFilter] = useState<StatusFilter>('');
  const [siteFilter, setSiteFilter] = useState('');
  const cameras = useQuery(() => api.cameras.list(), []);
  const connectors = useQuery(() => api.connectors.list(), []);

  useEffect(() => {
    let live = true;
    void api.runs.get({ runId }).then((r) => {
      if (!live) return;
      if (r.ok) setRun(r.value);
      else setError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [runId]);

  // Item changes arrive batched (at most ten events a second), so each event is applied as it comes.
  useEvent('run', ({ run: summary, items }) => {
    if (summary.id !== runId) return;
    const changed = new Map(items.map((i) => [i.id, i]));
    setRun((r) =>
      r
        ? { ...r, ...summary, items: changed.size ? r.items.map((i) => changed.get(i.id) ?? i) : r.items }
        : r,
    );
  });

  // Cameras a run could not test because their own app password is not recorded: offer to record it.
  const unrecorded = useMemo(() => {
    const byId = new Map((cameras.data ?? []).map((c) => [c.id, c]));
    const out = new Set<string>();
    for (const c of byId.values()) if (needsRecord(c, connectors.data ?? [])) out.add(c.id);
    return { out, byId };
  }, [cameras.data, connectors.data]);

  const columns = useMemo(
    () => [
      col.accessor((i) => STATUS_RANK[i.status], {
        id: 'status',
        header: 'Outcome',
        meta: { width: '132px', pin: true },
        cell: (c) => (
          <Badge tone={ITEM_TONE[c.row.original.status]}>{OUTCOME_LABEL[c.row.original.status]}</Badge>
        ),
      }),
      col.accessor('cameraName', {
        header: 'Camera',
        meta: { width: 'minmax(150px, 1.3fr)', pin: true },
        cell: (c) => <strong>{c.getValue()}</strong>,
      }),
      col.accessor('siteName', { header: 'Site', meta: { width: 'minmax(120px, 1fr)' } }),
      col.accessor(
        (i) =>
          i.failureClass
            ? FAILURE_CATALOG[i.failureClass].title
            : i.status === 'skipped'
              ? (i.explanation ?? '')
              : i.status === 'interrupted'
                ? 'Not finished: AlertDesk stopped'
                : '',
        {
          id: 'class',
          header: 'Why',
          meta: { width: 'minmax(190px, 1.6fr)' },
          cell: (c) => {
            const i = c.row.original;
            const record = i.status === 'skipped' && i.cameraId && unrecorded.out.has(i.cameraId);
            return (
              <span className="why-cell">
                <span
                  className={i.status === 'skipped' || i.status === 'interrupted' ? 'muted' : 'bad-text'}
                  title={i.explanation ?? undefined}
                >
                  {record ? 'App password not recorded' : c.getValue()}
                </span>
                {record ? (
                  <button
                    type="button"
                    className="btn small"
                    onClick={(e) => {
                      e.stopPropagation();
                      const camera = unrecorded.byId.get(i.cameraId!)!;
                      navigate(
                        `vault?new=1&account=${encodeURIComponent(camera.smtpLogin)}&camera=${camera.id}`,
                      );
                    }}
                  >
                    Record it…
                  </button>
                ) : null}
              </span>
            );
          },
        },
      ),
      col.accessor('connectorTitle', {
        header: 'Connector',
        meta: { width: 'minmax(120px, 1fr)', hideBelow: 1120 },
      }),
      col.accessor('account', { header: 'Login', meta: { width: 'minmax(150px, 1.1fr)', hideBelow: 1300 } }),
      col.accessor('attempts', { header: 'Tries', meta: { width: '76px', align: 'end', hideBelow: 1400 } }),
      col.accessor('durationMs', {
        header: 'Took',
        meta: { width: '84px', align: 'end', hideBelow: 1200 },
        cell: (c) => formatMs(c.getValue()),
      }),
    ],
    [unrecorded],
  );

  const perSite = useMemo(() => summarise(run?.items ?? []), [run?.items]);
  const shownItems = useMemo(
    () =>
      (run?.items ?? []).filter((i) => matches(i, statusFilter) && (!siteFilter || i.siteId === siteFilter)),
    [run?.items, statusFilter, siteFilter],
  );

  if (error)
    return (
      <div className="page">
        <Notice level="error">{error}</Notice>
      </div>
    );
  if (!run)
    return (
      <div className="page">
        <p className="muted">Loading…</p>
      </div>
    );
  // Interrupted cameras are not done: they were never finished.
  const done = run.counts.total - run.counts.pending - run.counts.interrupted;
  const siteName = (id: string) =>
    sites.find((s) => s.id === id)?.name ?? run.items.find((i) => i.siteId === id)?.siteName ?? id;
  const failed = run.counts.failed + run.counts.cancelled + run.counts.interrupted;

  async function cancel() {
    try {
      await call(api.runs.cancel({ runId }));
      toast('info', 'Cancelling: messages in flight finish, the rest are not sent.');
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }
  async function rerun() {
    try {
      const next = await call(api.runs.rerunFailed({ runId }));
      navigate(`runs/${next.id}`);
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  return (
    <div className="page">
      <PageHeader
        title={`Handover run: ${run.scopeLabel}`}
        description={
          <span>
            Started <When iso={run.startedAt} /> by {run.startedBy}
            {run.snapshots ? ` · ${plural(run.snapshots, 'snapshot')} per e-mail` : ''}
            {run.note ? ` · ${run.note}` : ''}
          </span>
        }
        actions={
          <>
            <button type="button" className="btn" onClick={() => navigate('runs')}>
              All runs
            </button>
            {run.status !== 'running' ? <ReportsMenu sites={perSite} name={siteName} runId={runId} /> : null}
            {run.status === 'running' ? (
              <button type="button" className="btn danger" onClick={() => void cancel()}>
                Cancel run
              </button>
            ) : failed > 0 ? (
              <button type="button" className="btn primary" onClick={() => void rerun()}>
                Re-run {failed} {run.counts.interrupted ? 'unfinished or failed' : 'failed'}
              </button>
            ) : null}
          </>
        }
      />
      <section className="run-progress" aria-label="Run progress">
        <div className="row nowrap">
          <RunStatusBadge run={run} />
          <progress max={run.counts.total || 1} value={done} aria-label="Progress" />
          <span className="run-counts">
            {done} of {run.counts.total} done · <span className="ok-text">{run.counts.passed} passed</span> ·{' '}
            <span className="bad-text">{run.counts.failed} failed</span>
            {run.counts.skipped ? ` · ${run.counts.skipped} not tested` : ''}
            {run.counts.cancelled ? ` · ${run.counts.cancelled} cancelled` : ''}
            {run.counts.interrupted ? ` · ${run.counts.interrupted} interrupted` : ''}
          </span>
        </div>
        {run.rerunOf ? (
          <p className="muted small">
            Re-run of the failures of{' '}
            <button type="button" className="link" onClick={() => navigate(`runs/${run.rerunOf}`)}>
              an earlier run
            </button>
            .
          </p>
        ) : null}
      </section>
      {perSite.length > 1 ? (
        <SiteSummaryTable
          sites={perSite}
          selected={siteFilter}
          onSelect={(id) => setSiteFilter(id === siteFilter ? '' : id)}
        />
      ) : null}
      <DataTable
        label="Run items"
        data={shownItems}
        totalCount={run.items.length}
        columns={columns}
        getRowId={(i) => i.id}
        searchPlaceholder="Search cameras, sites, logins, failures…"
        initialSorting={[{ id: 'status', desc: false }]}
        onRowClick={(i) => (i.deliveryId ? setOpenDelivery(i) : undefined)}
        selectedId={openDelivery?.id ?? null}
        filters={
          <>
            <FilterSelect
              label="Filter by outcome"
              value={statusFilter}
              onChange={setStatusFilter}
              all={{ value: '', label: 'Any outcome' }}
              options={STATUS_FILTERS}
            />
            {siteFilter ? (
              <button type="button" className="btn small" onClick={() => setSiteFilter('')}>
                {siteName(siteFilter)} ×
              </button>
            ) : null}
          </>
        }
        empty="Nothing to show."
      />
      {openDelivery?.deliveryId ? (
        <DeliveryPanel
          summary={{
            id: openDelivery.deliveryId,
            createdAt: run.startedAt,
            updatedAt: run.startedAt,
            kind: 'bulk',
            status:
              openDelivery.status === 'passed' || openDelivery.status === 'arriving'
                ? 'sent'
                : openDelivery.status === 'skipped'
                  ? 'failed'
                  : openDelivery.status,
            siteId: openDelivery.siteId,
            siteName: openDelivery.siteName,
            connectorId: openDelivery.connectorId ?? '',
            connectorTitle: openDelivery.connectorTitle,
            cameraId: openDelivery.cameraId,
            cameraName: openDelivery.cameraName,
            runId,
            subject: openDelivery.subject,
            from: openDelivery.account,
            to: openDelivery.recipients,
            attemptCount: openDelivery.attempts,
            failureClass: openDelivery.failureClass,
            reply: openDelivery.reply,
            messageId: openDelivery.messageId,
            durationMs: openDelivery.durationMs,
            nextAttemptAt: null,
          }}
          onClose={() => setOpenDelivery(null)}
        />
      ) : null}
    </div>
  );
}

/** The sites of a run with their counts, worst first; choosing one filters the table below. */
function SiteSummaryTable(p: { sites: SiteSummary[]; selected: string; onSelect: (siteId: string) => void }) {
  return (
    <section className="run-sites" aria-label="Sites in this run">
      <table>
        <thead>
          <tr>
            <th>{plural(p.sites.length, 'site')}, worst first</th>
            <th className="end">Passed</th>
            <th className="end">Failed</th>
            <th className="end">Not tested</th>
            <th className="end">Other</th>
          </tr>
        </thead>
        <tbody>
          {p.sites.map((s) => (
            <tr key={s.siteId} className={p.selected === s.siteId ? 'selected' : undefined}>
              <td>
                <button
                  type="button"
                  className="link-quiet"
                  aria-pressed={p.selected === s.siteId}
                  onClick={() => p.onSelect(s.siteId)}
                >
                  {s.siteName}
                </button>
              </td>
              <td className="end ok-text">{s.counts.passed || ''}</td>
              <td className="end bad-text">{s.counts.failed || ''}</td>
              <td className="end">{s.counts.skipped || ''}</td>
              <td className="end muted">
                {s.counts.cancelled + s.counts.interrupted + s.counts.pending || ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** One menu for the handover reports of every site of the run (worst first). */
function ReportsMenu(p: { sites: SiteSummary[]; name: (id: string) => string; runId: string }) {
  const { open, setOpen, ref } = usePopover();
  if (p.sites.length === 1)
    return (
      <button
        type="button"
        className="btn"
        onClick={() => navigate(`report/${p.runId}/${p.sites[0]!.siteId}`)}
      >
        Handover report
      </button>
    );
  return (
    <div className="menu" ref={ref}>
      <button
        type="button"
        className="btn"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        Handover reports ▾
      </button>
      {open ? (
        <div className="menu-list" role="menu" aria-label="Handover reports">
          {p.sites.map((s) => (
            <button
              key={s.siteId}
              type="button"
              role="menuitem"
              onClick={() => navigate(`report/${p.runId}/${s.siteId}`)}
            >
              <span>{p.name(s.siteId)}</span>
              <span className={s.counts.failed ? 'bad-text small' : 'muted small'}>
                {s.counts.failed
                  ? `${s.counts.failed} failed`
                  : s.counts.skipped
                    ? `${s.counts.skipped} not tested`
                    : `${s.counts.passed} passed`}
              </span>
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}
