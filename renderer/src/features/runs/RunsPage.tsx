import { createColumnHelper } from '@tanstack/react-table';
import { useEffect, useMemo, useState } from 'react';
import type { RunSummary } from '../../../../shared/runs.ts';
import { api } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';
import { navigate, type Route } from '../../app/router.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { When } from '../../components/format.tsx';
import { Badge, Notice, PageHeader } from '../../components/ui.tsx';
import { NewRunDialog } from './NewRunDialog.tsx';
import { RunView } from './RunView.tsx';

const col = createColumnHelper<RunSummary>();

export function RunStatusBadge({ run }: { run: RunSummary }) {
  if (run.status === 'running')
    return (
      <Badge tone="info">
        running {run.counts.total - run.counts.pending}/{run.counts.total}
      </Badge>
    );
  if (run.status === 'cancelled') return <Badge tone="muted">cancelled</Badge>;
  if (run.status === 'interrupted')
    return (
      <span title="AlertDesk stopped while this run was going: re-run it to finish it">
        <Badge tone="warn">{run.counts.interrupted} interrupted</Badge>
      </span>
    );
  return run.counts.passed === run.counts.total ? (
    <Badge tone="ok">all passed</Badge>
  ) : (
    <Badge tone="bad">
      {run.counts.failed + run.counts.skipped + run.counts.cancelled + run.counts.interrupted} not delivered
    </Badge>
  );
}

export function RunsPage({ route }: { route: Route }) {
  const runs = useQuery(() => api.runs.list(), []);
  const sites = useQuery(() => api.sites.list(), []);
  const [creating, setCreating] = useState(route.params.get('new') === '1');
  // Counts change with every batch of a running run: refresh the list at most once a second.
  const [stale, setStale] = useState(false);
  useEvent('run', () => setStale(true));
  useEffect(() => {
    if (!stale) return;
    const timer = setTimeout(() => {
      setStale(false);
      runs.reload();
    }, 1000);
    return () => clearTimeout(timer);
  }, [stale, runs]);

  const columns = useMemo(
    () => [
      col.accessor('startedAt', {
        header: 'Started',
        meta: { width: '130px' },
        cell: (c) => <When iso={c.getValue()} />,
      }),
      col.accessor('scopeLabel', {
        header: 'Tested',
        meta: { width: 'minmax(200px, 2fr)', pin: true },
        cell: (c) => <strong>{c.getValue()}</strong>,
      }),
      col.accessor('startedBy', { header: 'By', meta: { width: '110px', hideBelow: 1100 } }),
      col.accessor((r) => r.counts.passed, {
        id: 'passed',
        header: 'Passed',
        meta: { width: '90px', align: 'end' },
      }),
      col.accessor((r) => r.counts.failed, {
        id: 'failed',
        header: 'Failed',
        meta: { width: '90px', align: 'end' },
        cell: (c) => <span className={c.getValue() ? 'bad-text' : ''}>{c.getValue()}</span>,
      }),
      col.accessor((r) => r.counts.skipped, {
        id: 'skipped',
        header: 'Not tested',
        meta: { width: '116px', align: 'end' },
      }),
      col.accessor('status', {
        header: 'Result',
        meta: { width: '170px' },
        cell: (c) => <RunStatusBadge run={c.row.original} />,
      }),
      col.accessor('snapshots', {
        header: 'Snapshots',
        meta: { width: '116px', align: 'end', hideBelow: 1200 },
      }),
    ],
    [],
  );

  if (route.id) return <RunView runId={route.id} sites={sites.data ?? []} />;
  return (
    <div className="page">
      <PageHeader
        title="Handover runs"
        description="Before handing a site over, prove that every camera's alert mail gets through with that camera's own credentials."
        actions={
          <button
            type="button"
            className="btn primary"
            disabled={(sites.data ?? []).length === 0}
            onClick={() => setCreating(true)}
          >
            New handover run
          </button>
        }
      />
      {runs.error ? <Notice level="error">{runs.error.message}</Notice> : null}
      <DataTable
        label="Handover runs"
        data={runs.data ?? []}
        columns={columns}
        getRowId={(r) => r.id}
        initialSorting={[{ id: 'startedAt', desc: true }]}
        onRowClick={(r) => navigate(`runs/${r.id}`)}
        empty={
          runs.loading ? 'Loading…' : 'No handover run yet. Start one for a site before handing it over.'
        }
      />
      {creating ? (
        <NewRunDialog
          sites={sites.data ?? []}
          presetSiteIds={route.params.get('site') ? [route.params.get('site')!] : []}
          connectorIds={route.params.get('connectors')?.split(',').filter(Boolean) ?? []}
          onClose={() => {
            setCreating(false);
            navigate('runs');
          }}
        />
      ) : null}
    </div>
  );
}
