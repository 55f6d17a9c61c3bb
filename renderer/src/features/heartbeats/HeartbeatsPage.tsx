import { createColumnHelper, type SortingFn } from '@tanstack/react-table';
import { useMemo } from 'react';
import {
  durationLabel,
  HEARTBEAT_STATES,
  STATE_RANK,
  type CameraHeartbeat,
  type StateCounts,
} from '../../../../shared/heartbeats.ts';
import { useQuery } from '../../app/hooks.ts';
import { navigate, type Route } from '../../app/router.ts';
import { api } from '../../api.ts';
import { ok } from '../../../../shared/result.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { FilterSelect } from '../../components/fields.tsx';
import { plural, When } from '../../components/format.tsx';
import { Notice, PageHeader, Tabs } from '../../components/ui.tsx';
import { AlertsPanel } from './AlertsPanel.tsx';
import { CameraHeartbeatPanel } from './CameraHeartbeatPanel.tsx';
import { RulesPanel } from './RulesPanel.tsx';
import {
  lateBy,
  periodText,
  StateBadge,
  StateCountChips,
  STATE_LABEL,
  useHeartbeatOverview,
  useNow,
  watcherLabel,
} from './state.tsx';
import { UnmatchedMail } from './UnmatchedMail.tsx';

const col = createColumnHelper<CameraHeartbeat>();
const TABS = [
  ['status', 'Status'],
  ['unmatched', 'Unmatched mail'],
  ['rules', 'Rules'],
  ['alerts', 'Alerts'],
] as const;
type Tab = (typeof TABS)[number][0];

/** Worst first, and within a state the longest in it first; cameras not set up last. */
const rankCache = new WeakMap<CameraHeartbeat, number>();
function rankOf(r: CameraHeartbeat): number {
  let rank = rankCache.get(r);
  if (rank === undefined) {
    // One number per row (state, then since), so sorting 5,000 rows compares numbers, not text.
    rank = (r.state === null ? 9 : STATE_RANK[r.state]) * 1e13 + (r.since ? Date.parse(r.since) : 9e12);
    rankCache.set(r, rank);
  }
  return rank;
}
const byRank: SortingFn<CameraHeartbeat> = (a, b) => rankOf(a.original) - rankOf(b.original);

export function HeartbeatsPage({ route }: { route: Route }) {
  const tab: Tab = (TABS.find(([t]) => t === route.params.get('tab'))?.[0] ?? 'status') as Tab;
  const stateFilter = route.params.get('state') ?? '';
  const siteFilter = route.params.get('site') ?? '';
  const overview = useHeartbeatOverview();
  // The unmatched count (a scan of recent mail) is asked for once the table has arrived, so the
  // status table never waits behind it.
  const tableReady = overview.rows.length > 0 || !overview.loading;
  const unmatched = useQuery(
    () => (tableReady || tab === 'unmatched' ? api.heartbeats.unmatched() : Promise.resolve(ok(undefined))),
    [tab, tableReady],
  );
  const now = Math.max(useNow(), overview.changedAt);

  const go = (params: Record<string, string>) => {
    const next = new URLSearchParams({ ...Object.fromEntries(route.params), ...params });
    for (const [k, v] of [...next]) if (!v) next.delete(k);
    const query = next.toString();
    navigate(`heartbeats${route.id ? `/${route.id}` : ''}${query ? `?${query}` : ''}`);
  };
  const open = (cameraId: string | null) => {
    const query = route.params.toString();
    navigate(`heartbeats${cameraId ? `/${cameraId}` : ''}${query ? `?${query}` : ''}`);
  };

  const totals = useMemo(() => {
    const counts = Object.fromEntries(HEARTBEAT_STATES.map((s) => [s, 0])) as StateCounts;
    let notSetUp = 0;
    for (const r of overview.rows) {
      if (r.state === null) notSetUp++;
      else counts[r.state]++;
    }
    return { counts, notSetUp };
  }, [overview.rows]);

  const shown = overview.rows.filter(
    (r) =>
      (!siteFilter || r.siteId === siteFilter) &&
      (!stateFilter || (stateFilter === 'none' ? r.state === null : r.state === stateFilter)),
  );

  const columns = useMemo(
    () => [
      col.accessor((r) => r.state ?? 'not set up', {
        id: 'state',
        sortingFn: byRank,
        header: 'State',
        meta: { width: '106px', pin: true },
        cell: (c) => <StateBadge state={c.row.original.state} />,
      }),
      col.accessor('cameraName', {
        header: 'Camera',
        meta: { width: 'minmax(140px, 1.3fr)', pin: true },
        cell: (c) => <strong>{c.getValue()}</strong>,
      }),
      col.accessor('siteName', { header: 'Site', meta: { width: 'minmax(130px, 1fr)' } }),
      col.accessor((r) => r.lastBeatAt ?? '', {
        id: 'last',
        header: 'Last heartbeat',
        meta: { width: '146px' },
        cell: (c) => (
          <span>
            <When iso={c.row.original.lastBeatAt} now={now} />
            {c.row.original.lastBeatFolder === 'junk' ? (
              <span className="hb-junk" title="Found in the Junk folder">
                {' '}
                Junk
              </span>
            ) : null}
          </span>
        ),
      }),
      col.accessor((r) => r.expectedBy ?? '', {
        id: 'expected',
        header: 'Expected by',
        meta: { width: '130px', hideBelow: 1300 },
        cell: (c) =>
          c.row.original.state === 'paused' ? (
            <span className="muted">
              until <When iso={c.row.original.pausedUntil} now={now} />
            </span>
          ) : (
            <When iso={c.row.original.expectedBy} now={now} />
          ),
      }),
      col.accessor((r) => lateBy(r, now) ?? -1, {
        id: 'lateBy',
        header: 'Late by',
        meta: { width: '90px', align: 'end' },
        cell: (c) => {
          const ms = lateBy(c.row.original, now);
          return ms === null ? (
            <span className="muted">—</span>
          ) : (
            <span className="hb-late">{durationLabel(ms)}</span>
          );
        },
      }),
      col.accessor((r) => periodText(r, true), {
        id: 'period',
        header: 'Period',
        meta: { width: '130px', hideBelow: 1200 },
      }),
      col.accessor((r) => r.mailboxes.map((m) => `${m.title} ${watcherLabel(m.state)}`).join(' '), {
        id: 'mailbox',
        header: 'Mailbox',
        meta: { width: 'minmax(160px, 1.2fr)' },
        cell: (c) => <MailboxCell row={c.row.original} />,
      }),
    ],
    [now],
  );

  const unmatchedCount = unmatched.data?.messages ?? 0;
  return (
    <div className="page">
      <PageHeader
        title="Heartbeats"
        description="Every camera's periodic mail across all sites: which are up, late, down, paused, or cannot be seen because their mailbox is not being read."
      />
      <Tabs
        tabs={TABS.map(([id, label]) => ({
          id,
          label:
            id === 'unmatched' && unmatchedCount > 0 ? (
              <>
                {label}
                <span className="hb-tab-count">{unmatchedCount.toLocaleString()}</span>
              </>
            ) : (
              label
            ),
        }))}
        selected={tab}
        onSelect={(id) => go({ tab: id === 'status' ? '' : id })}
      />
      {overview.error ? <Notice level="error">{overview.error.message}</Notice> : null}
      {tab === 'status' ? (
        <>
          <div className="hb-summary" aria-label="Cameras by heartbeat state">
            <StateCountChips
              counts={totals.counts}
              notSetUp={totals.notSetUp}
              onPick={(s) => go({ state: s })}
            />
            {totals.notSetUp > 0 ? (
              <button type="button" className="link" onClick={() => go({ state: 'none' })}>
                {plural(totals.notSetUp, 'camera')} without a heartbeat period
              </button>
            ) : null}
          </div>
          <DataTable
            label="Heartbeat status"
            data={shown}
            totalCount={overview.rows.length}
            columns={columns}
            getRowId={(r) => r.cameraId}
            searchPlaceholder="Search camera, site, mailbox…"
            initialSorting={[{ id: 'state', desc: false }]}
            selectedId={route.id}
            onRowClick={(r) => open(r.cameraId)}
            filters={
              <>
                <FilterSelect
                  label="Filter by state"
                  value={stateFilter}
                  onChange={(v) => go({ state: v })}
                  all={{ value: '', label: 'All states' }}
                  options={[
                    ...HEARTBEAT_STATES.map((s) => ({ value: s as string, label: STATE_LABEL[s] })),
                    { value: 'none', label: 'not set up' },
                  ]}
                />
                <FilterSelect
                  label="Filter by site"
                  value={siteFilter}
                  onChange={(v) => go({ site: v })}
                  all={{ value: '', label: 'All sites' }}
                  options={[...overview.sites]
                    .sort((a, b) => a.siteName.localeCompare(b.siteName))
                    .map((s) => ({ value: s.siteId, label: s.siteName }))}
                />
              </>
            }
            empty={
              overview.loading ? (
                'Loading…'
              ) : overview.rows.length === 0 ? (
                <span>
                  No cameras yet. Add cameras with a heartbeat period (under Cameras) and a mailbox that
                  receives their mail.
                </span>
              ) : (
                'No camera matches these filters.'
              )
            }
          />
        </>
      ) : tab === 'unmatched' ? (
        <UnmatchedMail page={unmatched.data} loading={unmatched.loading} reload={unmatched.reload} />
      ) : tab === 'rules' ? (
        <RulesPanel sites={overview.sites} cameras={overview.rows} />
      ) : (
        <AlertsPanel />
      )}
      {route.id && overview.byId.get(route.id) ? (
        <CameraHeartbeatPanel
          key={route.id}
          row={overview.byId.get(route.id)!}
          onClose={() => open(null)}
          now={now}
        />
      ) : null}
    </div>
  );
}

function MailboxCell({ row }: { row: CameraHeartbeat }) {
  if (row.mailboxes.length === 0) return <span className="hb-no-mailbox">no mailbox covers it</span>;
  // The one in trouble first: its state is what the row needs to say.
  const first = row.mailboxes.find((m) => !m.watching) ?? row.mailboxes[0]!;
  return (
    <span
      className="hb-mailbox"
      title={row.mailboxes.map((m) => `${m.title}: ${watcherLabel(m.state)}`).join('\n')}
    >
      <span className={`hb-dot ${first.watching ? 'ok' : 'bad'}`} aria-hidden />
      {first.watching ? null : <span className="hb-watcher">{watcherLabel(first.state)} ·</span>}
      <span className="hb-mailbox-title">{first.title}</span>
      {row.mailboxes.length > 1 ? <span className="muted">+{row.mailboxes.length - 1}</span> : null}
    </span>
  );
}
