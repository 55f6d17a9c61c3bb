import { createColumnHelper } from '@tanstack/react-table';
import { useEffect, useMemo, useState } from 'react';
import type { Site } from '../../../../shared/domain.ts';
import { FAILURE_CATALOG } from '../../../../shared/failures.ts';
import type { RunDetail, RunItem, RunItemStatus } from '../../../../shared/runs.ts';
import { api, call, errorMessage } from '../../api.ts';
import { useEvent } from '../../app/hooks.ts';
import { navigate } from '../../app/router.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { Badge, Notice, PageHeader, formatMs, formatStamp, useToast } from '../../components/ui.tsx';
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
};

/** A run while it goes and after: progress, a table that fills row by row, cancel, re-run, reports. */
export function RunView({ runId, sites }: { runId: string; sites: Site[] }) {
  const toast = useToast();
  const [run, setRun] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [openDelivery, setOpenDelivery] = useState<RunItem | null>(null);

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

  const columns = useMemo(
    () => [
      col.accessor('cameraName', {
        header: 'Camera',
        meta: { width: 'minmax(160px, 1.4fr)' },
        cell: (c) => <strong>{c.getValue()}</strong>,
      }),
      col.accessor('siteName', { header: 'Site', meta: { width: 'minmax(120px, 1fr)' } }),
      col.accessor('connectorTitle', { header: 'Connector', meta: { width: 'minmax(120px, 1fr)' } }),
      col.accessor('account', { header: 'Login', meta: { width: 'minmax(150px, 1.1fr)' } }),
      col.accessor('status', {
        header: 'Status',
        meta: { width: '110px' },
        cell: (c) => <Badge tone={ITEM_TONE[c.getValue()]}>{c.getValue()}</Badge>,
      }),
      col.accessor(
        (i) =>
          i.failureClass
            ? FAILURE_CATALOG[i.failureClass].title
            : i.status === 'skipped'
              ? (i.explanation ?? '')
              : '',
        {
          id: 'class',
          header: 'Failure',
          meta: { width: 'minmax(170px, 1.4fr)' },
          cell: (c) => (
            <span
              className={c.row.original.status === 'skipped' ? 'muted' : 'bad-text'}
              title={c.row.original.explanation ?? undefined}
            >
              {c.getValue()}
            </span>
          ),
        },
      ),
      col.accessor('attempts', { header: 'Tries', meta: { width: '76px', align: 'end' } }),
      col.accessor('durationMs', {
        header: 'Took',
        meta: { width: '84px', align: 'end' },
        cell: (c) => formatMs(c.getValue()),
      }),
    ],
    [],
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
  const done = run.counts.total - run.counts.pending;
  const siteIds = [...new Set(run.items.map((i) => i.siteId))];
  const siteName = (id: string) =>
    sites.find((s) => s.id === id)?.name ?? run.items.find((i) => i.siteId === id)?.siteName ?? id;
  const failed = run.counts.failed + run.counts.cancelled;

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
        description={`Started ${formatStamp(run.startedAt)} by ${run.startedBy}${run.snapshots ? ` · ${run.snapshots} snapshot(s) per e-mail` : ''}${run.note ? ` · ${run.note}` : ''}`}
        actions={
          <>
            <button type="button" className="btn" onClick={() => navigate('runs')}>
              All runs
            </button>
            {run.status === 'running' ? (
              <button type="button" className="btn danger" onClick={() => void cancel()}>
                Cancel run
              </button>
            ) : failed > 0 ? (
              <button type="button" className="btn primary" onClick={() => void rerun()}>
                Re-run {failed} failed
              </button>
            ) : null}
          </>
        }
      />
      <section className="run-progress" aria-label="Run progress">
        <div className="row">
          <RunStatusBadge run={run} />
          <progress max={run.counts.total || 1} value={done} aria-label="Progress" />
          <span>
            {done} of {run.counts.total} done · <span className="ok-text">{run.counts.passed} passed</span> ·{' '}
            <span className="bad-text">{run.counts.failed} failed</span>
            {run.counts.skipped ? ` · ${run.counts.skipped} skipped` : ''}
            {run.counts.cancelled ? ` · ${run.counts.cancelled} cancelled` : ''}
          </span>
          <span className="spacer" />
          {run.status !== 'running'
            ? siteIds.map((id) => (
                <button
                  key={id}
                  type="button"
                  className="btn small"
                  onClick={() => navigate(`report/${runId}/${id}`)}
                >
                  Handover report: {siteName(id)}
                </button>
              ))
            : null}
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
      <DataTable
        label="Run items"
        data={run.items}
        columns={columns}
        getRowId={(i) => i.id}
        searchPlaceholder="Search cameras, sites, logins, failures…"
        onRowClick={(i) => (i.deliveryId ? setOpenDelivery(i) : undefined)}
        selectedId={openDelivery?.id ?? null}
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
