import { useCallback, useEffect, useMemo, useState } from 'react';
import {
  DELIVERY_STATUSES,
  type DeliveryDetail,
  type DeliverySortColumn,
  type DeliverySummary,
} from '../../../../shared/delivery.ts';
import { FAILURE_CATALOG, FAILURE_CLASSES, type FailureClass } from '../../../../shared/failures.ts';
import type { DeliveryFilterInput } from '../../../../shared/schemas.ts';
import { api, call, errorMessage } from '../../api.ts';
import { useDebounced, useEvent, useQuery } from '../../app/hooks.ts';
import { navigate, type Route } from '../../app/router.ts';
import { RemoteTable, type RemoteColumn, type RemoteSort } from '../../components/RemoteTable.tsx';
import { FilterSelect, NumberField } from '../../components/fields.tsx';
import { MoreFilters } from '../../components/Popover.tsx';
import { When } from '../../components/format.tsx';
import {
  Badge,
  Dialog,
  DialogActions,
  Notice,
  PageHeader,
  SidePanel,
  formatMs,
  useToast,
} from '../../components/ui.tsx';
import { ARRIVAL_LABELS, ARRIVAL_STATES, type ArrivalState } from '../../../../shared/arrival.ts';
import { ArrivalBadge, ArrivalSettingsDialog } from '../arrival/ArrivalProof.tsx';
import { DeliveryResult, STATUS_LABEL, StatusBadge } from './DeliveryResult.tsx';

const KIND_LABEL = {
  test: 'Test',
  bulk: 'Handover run',
  verify: 'Verify',
  alert: 'Heartbeat alert',
} as const;

/** Saves text as a file through the browser's download (Electron shows the Save dialog). */
export function download(filename: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const dayStart = (date: string) => (date ? new Date(`${date}T00:00:00`).toISOString() : undefined);
const dayEnd = (date: string) => (date ? new Date(`${date}T23:59:59.999`).toISOString() : undefined);

export function DeliveriesPage({ route }: { route: Route }) {
  const toast = useToast();
  const sites = useQuery(() => api.sites.list(), []);
  const connectors = useQuery(() => api.connectors.list(), []);
  const cameras = useQuery(() => api.cameras.list(), []);
  const siteId = route.params.get('site') ?? '';
  const connectorId = route.params.get('connector') ?? '';
  const runId = route.params.get('run') ?? '';
  const cameraId = route.params.get('camera') ?? '';
  const [status, setStatus] = useState<string>('');
  const [failureClass, setFailureClass] = useState<string>('');
  const [arrival, setArrival] = useState<string>('');
  const [arrivalSettingsOpen, setArrivalSettingsOpen] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [search, setSearch] = useState('');
  const debouncedSearch = useDebounced(search, 250);
  const [sort, setSort] = useState<RemoteSort<DeliverySortColumn>>({
    column: 'createdAt',
    direction: 'desc',
  });
  const [version, setVersion] = useState(0);
  const [selected, setSelected] = useState<DeliverySummary | null>(null);
  const [settingsOpen, setSettingsOpen] = useState(false);

  const filter = useMemo<DeliveryFilterInput>(() => {
    const f: DeliveryFilterInput = {};
    if (siteId) f.siteId = siteId;
    if (connectorId) f.connectorId = connectorId;
    if (runId) f.runId = runId;
    if (cameraId) f.cameraId = cameraId;
    if (status === 'in-progress') f.status = ['queued', 'sending', 'retrying'];
    else if (status) f.status = [status as DeliverySummary['status']];
    if (failureClass) f.failureClass = [failureClass as FailureClass];
    if (arrival) f.arrival = [arrival as ArrivalState];
    const start = dayStart(from);
    const end = dayEnd(to);
    if (start) f.from = start;
    if (end) f.to = end;
    if (debouncedSearch.trim()) f.search = debouncedSearch.trim();
    return f;
  }, [siteId, connectorId, runId, cameraId, status, failureClass, arrival, from, to, debouncedSearch]);
  const rangeError = from && to && from > to ? 'The end date is before the start date.' : null;

  const fetchPage = useCallback(
    async (offset: number, limit: number) => {
      const page = await call(
        api.deliveries.query({ filter: rangeError ? {} : filter, sort, offset, limit }),
      );
      return { rows: page.rows, total: page.total };
    },
    [filter, sort, rangeError],
  );

  // New deliveries and state changes arrive as events; refresh at most twice a second.
  const [dirty, setDirty] = useState(false);
  useEvent('delivery', () => setDirty(true));
  useEvent('run', () => setDirty(true));
  useEvent('arrival', () => setDirty(true));
  useEffect(() => {
    if (!dirty) return;
    const timer = setTimeout(() => {
      setDirty(false);
      setVersion((v) => v + 1);
    }, 500);
    return () => clearTimeout(timer);
  }, [dirty]);

  const setParam = (key: string, value: string) => {
    const params = new URLSearchParams(route.params);
    if (value) params.set(key, value);
    else params.delete(key);
    if (key === 'site') {
      params.delete('connector');
      params.delete('camera');
    }
    const q = params.toString();
    navigate(`deliveries${q ? `?${q}` : ''}`);
  };

  const columns: Array<RemoteColumn<DeliverySummary, DeliverySortColumn>> = [
    {
      id: 'createdAt',
      header: 'Time',
      width: '120px',
      sortable: true,
      descFirst: true,
      render: (d) => <When iso={d.createdAt} />,
    },
    {
      id: 'status',
      header: 'Status',
      width: '130px',
      sortable: true,
      render: (d) => <StatusBadge status={d.status} />,
    },
    {
      // not a sort column of the history: the id only needs to be unique among the columns
      id: 'arrival' as DeliverySortColumn,
      header: 'Arrival',
      width: '132px',
      render: (d) => <ArrivalBadge state={d.arrival} />,
    },
    {
      id: 'failureClass',
      header: 'Failure',
      width: 'minmax(150px, 1.2fr)',
      sortable: true,
      render: (d) =>
        d.failureClass ? (
          <span className="bad-text" title={d.failureClass}>
            {FAILURE_CATALOG[d.failureClass].title}
          </span>
        ) : (
          <span className="muted">—</span>
        ),
    },
    {
      id: 'siteName',
      header: 'Site',
      width: 'minmax(110px, 1fr)',
      sortable: true,
      render: (d) => d.siteName,
    },
    {
      id: 'connectorTitle',
      header: 'Connector',
      width: 'minmax(110px, 1fr)',
      hideBelow: 1240,
      sortable: true,
      render: (d) => d.connectorTitle,
    },
    {
      id: 'cameraName',
      header: 'Camera',
      width: 'minmax(100px, 0.9fr)',
      sortable: true,
      render: (d) => d.cameraName ?? <span className="muted">—</span>,
    },
    {
      id: 'subject',
      header: 'Subject',
      width: 'minmax(140px, 1.4fr)',
      hideBelow: 1400,
      sortable: true,
      render: (d) => d.subject,
    },
    {
      id: 'attemptCount',
      header: 'Tries',
      width: '76px',
      hideBelow: 1100,
      sortable: true,
      align: 'end',
      render: (d) => d.attemptCount,
    },
    {
      id: 'durationMs',
      header: 'Took',
      width: '84px',
      sortable: true,
      align: 'end',
      render: (d) => formatMs(d.durationMs),
    },
  ];

  async function exportCsv() {
    try {
      const out = await call(api.deliveries.exportCsv({ filter }));
      download(out.filename, out.csv);
      toast('ok', `Exported ${out.rows.toLocaleString()} deliveries to ${out.filename}.`);
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  const siteConnectors = (connectors.data ?? []).filter((c) => !siteId || c.siteId === siteId);
  return (
    <div className="page">
      <PageHeader
        title="Deliveries"
        description="Every test and handover e-mail, each attempt with its verdict. Click a row for the transcript and what to do."
        actions={
          <>
            <button type="button" className="btn" onClick={() => setArrivalSettingsOpen(true)}>
              Arrival proof
            </button>
            <button type="button" className="btn" onClick={() => setSettingsOpen(true)}>
              History settings
            </button>
          </>
        }
      />
      {runId ? (
        <Notice level="info">
          Showing the deliveries of one handover run.{' '}
          <button type="button" className="link" onClick={() => setParam('run', '')}>
            Show all
          </button>
        </Notice>
      ) : null}
      {rangeError ? <Notice level="error">{rangeError}</Notice> : null}
      <RemoteTable
        label="Deliveries"
        columns={columns}
        fetchPage={fetchPage}
        queryKey={JSON.stringify([filter, sort, rangeError])}
        version={version}
        sort={sort}
        onSortChange={setSort}
        getRowId={(d) => d.id}
        selectedId={selected?.id ?? null}
        onRowClick={setSelected}
        toolbar={
          <>
            <input
              className="search"
              type="search"
              placeholder="Search subject, recipient, camera, reply…"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              aria-label="Search deliveries"
            />
            <FilterSelect
              label="Filter by site"
              value={siteId}
              onChange={(v) => setParam('site', v)}
              all={{ value: '', label: 'All sites' }}
              options={(sites.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
            />
            <FilterSelect
              label="Filter by status"
              value={status}
              onChange={setStatus}
              all={{ value: '', label: 'Any status' }}
              options={[
                { value: 'in-progress', label: 'In progress' },
                ...DELIVERY_STATUSES.filter(
                  (s) => s === 'sent' || s === 'failed' || s === 'cancelled' || s === 'interrupted',
                ).map((s) => ({ value: s, label: STATUS_LABEL[s] })),
              ]}
            />
            <FilterSelect
              label="Filter by arrival"
              value={arrival}
              onChange={setArrival}
              all={{ value: '', label: 'Any arrival' }}
              options={ARRIVAL_STATES.map((s) => ({ value: s, label: ARRIVAL_LABELS[s] }))}
            />
            <MoreFilters active={[connectorId, cameraId, failureClass, from, to].filter(Boolean).length}>
              <FilterSelect
                label="Filter by connector"
                value={connectorId}
                onChange={(v) => setParam('connector', v)}
                all={{ value: '', label: 'All connectors' }}
                options={siteConnectors.map((c) => ({ value: c.id, label: c.title }))}
              />
              <FilterSelect
                label="Filter by camera"
                value={cameraId}
                onChange={(v) => setParam('camera', v)}
                all={{
                  value: '',
                  label: siteId ? 'All cameras' : 'All cameras (choose a site to list them)',
                }}
                options={(cameras.data ?? [])
                  .filter((c) => siteId && c.siteId === siteId)
                  .map((c) => ({ value: c.id, label: c.name }))}
              />
              <FilterSelect
                label="Filter by failure class"
                value={failureClass}
                onChange={setFailureClass}
                all={{ value: '', label: 'Any failure' }}
                options={FAILURE_CLASSES.map((c) => ({ value: c, label: FAILURE_CATALOG[c].title }))}
              />
              <label className="inline-field">
                From{' '}
                <input
                  type="date"
                  className="filter-input"
                  value={from}
                  onChange={(e) => setFrom(e.target.value)}
                  aria-label="From date"
                />
              </label>
              <label className="inline-field">
                To{' '}
                <input
                  type="date"
                  className="filter-input"
                  value={to}
                  onChange={(e) => setTo(e.target.value)}
                  aria-label="To date"
                  aria-invalid={Boolean(rangeError)}
                />
              </label>
            </MoreFilters>
          </>
        }
        actions={
          <button type="button" className="btn" onClick={() => void exportCsv()}>
            Export CSV
          </button>
        }
        empty="No deliveries match. Test e-mails and handover runs appear here."
      />
      {selected ? <DeliveryPanel summary={selected} onClose={() => setSelected(null)} /> : null}
      {arrivalSettingsOpen ? <ArrivalSettingsDialog onClose={() => setArrivalSettingsOpen(false)} /> : null}
      {settingsOpen ? (
        <HistorySettingsDialog
          onClose={() => setSettingsOpen(false)}
          onSaved={() => setVersion((v) => v + 1)}
        />
      ) : null}
    </div>
  );
}

/** An interrupted delivery's way forward: its run's unfinished cameras again, or a new test e-mail. */
function SendAgain({ delivery }: { delivery: DeliverySummary }) {
  const toast = useToast();
  if (!delivery.runId)
    return (
      <button
        type="button"
        className="btn primary"
        onClick={() => navigate(`connectors/${delivery.connectorId}?tab=test`)}
      >
        Send a test again
      </button>
    );
  const runId = delivery.runId;
  return (
    <button
      type="button"
      className="btn primary"
      onClick={() =>
        void call(api.runs.rerunFailed({ runId })).then(
          (next) => navigate(`runs/${next.id}`),
          (e: unknown) => toast('bad', errorMessage(e)),
        )
      }
    >
      Re-run unfinished cameras
    </button>
  );
}

export function DeliveryPanel({ summary, onClose }: { summary: DeliverySummary; onClose: () => void }) {
  const [detail, setDetail] = useState<DeliveryDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    void api.deliveries.get({ id: summary.id }).then((r) => {
      if (r.ok) setDetail(r.value);
      else setError(r.error.message);
    });
  }, [summary.id]);
  useEffect(load, [load]);
  useEvent('delivery', ({ delivery }) => {
    if (delivery.id === summary.id) load();
  });
  const d = detail ?? summary;
  return (
    <SidePanel
      wide
      title={d.subject}
      subtitle={
        <span>
          {KIND_LABEL[d.kind]} · {d.siteName} · {d.connectorTitle}
          {d.cameraName ? ` · ${d.cameraName}` : ''} · <When iso={d.createdAt} />
        </span>
      }
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={() => navigate(`connectors/${d.connectorId}`)}>
            Open connector
          </button>
          {d.status === 'interrupted' ? <SendAgain delivery={d} /> : null}
          <span className="spacer" />
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      {error ? <Notice level="error">{error}</Notice> : null}
      <dl className="facts">
        <dt>From</dt>
        <dd>{d.from}</dd>
        <dt>To</dt>
        <dd>{d.to.join(', ')}</dd>
        {detail && detail.cc.length ? (
          <>
            <dt>Cc</dt>
            <dd>{detail.cc.join(', ')}</dd>
          </>
        ) : null}
        {detail && detail.bcc.length ? (
          <>
            <dt>Bcc</dt>
            <dd>{detail.bcc.join(', ')}</dd>
          </>
        ) : null}
        <dt>Attempts</dt>
        <dd>
          {d.attemptCount} {d.status === 'retrying' ? <Badge tone="info">will retry</Badge> : null}
        </dd>
      </dl>
      <DeliveryResult delivery={d} />
    </SidePanel>
  );
}

function HistorySettingsDialog({ onClose, onSaved }: { onClose: () => void; onSaved: () => void }) {
  const toast = useToast();
  const settings = useQuery(() => api.settings.get(), []);
  const [days, setDays] = useState<number | null>(null);
  const [error, setError] = useState<string | undefined>(undefined);
  const value = days ?? settings.data?.historyRetentionDays ?? null;
  async function save() {
    try {
      const saved = await call(api.settings.update({ historyRetentionDays: value as number }));
      toast('ok', `Delivery history is kept for ${saved.historyRetentionDays} days.`);
      onSaved();
      onClose();
    } catch (e) {
      setError(errorMessage(e));
    }
  }
  return (
    <Dialog
      title="History settings"
      onClose={onClose}
      footer={<DialogActions onCancel={onClose} onAction={() => void save()} action="Save" />}
    >
      <NumberField
        label="Keep delivery history for (days)"
        value={value}
        min={7}
        max={3650}
        onChange={(v) => {
          setDays(v);
          setError(undefined);
        }}
        error={error}
        hint="Older deliveries and their transcripts are deleted. Default 180 days."
      />
    </Dialog>
  );
}
