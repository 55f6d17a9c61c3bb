import { createColumnHelper } from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import type { Connector } from '../../../../shared/domain.ts';
import type { CameraHealth } from '../../../../shared/health.ts';
import type { AppPasswordRecord, Camera } from '../../../../shared/vault.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { useQuery } from '../../app/hooks.ts';
import { navigate, routeWith, type Route } from '../../app/router.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { FilterSelect, SelectField, TextField, listError, splitAddresses } from '../../components/fields.tsx';
import { plural } from '../../components/format.tsx';
import {
  HealthFilter,
  healthColumn,
  healthParam,
  lastResultColumn,
  useCameraHealth,
} from '../../components/health.tsx';
import { Badge, Dialog, DialogActions, Notice, PageHeader, useToast } from '../../components/ui.tsx';
import { download } from '../deliveries/DeliveriesPage.tsx';
import { CameraPanel } from './CameraForm.tsx';
import { ImportCamerasDialog } from './ImportCamerasDialog.tsx';
import { NewRunDialog } from '../runs/NewRunDialog.tsx';

interface Row extends Camera {
  siteName: string;
  connectorTitle: string;
  record: AppPasswordRecord | undefined;
  health: CameraHealth | undefined;
}

const col = createColumnHelper<Row>();
const RECORD_TONE = { active: 'ok', 'suspected-revoked': 'bad', revoked: 'bad', retired: 'muted' } as const;

export function CamerasPage({ route }: { route: Route }) {
  const toast = useToast();
  const cameras = useQuery(() => api.cameras.list(), []);
  const sites = useQuery(() => api.sites.list(), []);
  const connectors = useQuery(() => api.connectors.list(), []);
  const records = useQuery(() => api.vault.list(), []);
  const health = useCameraHealth();
  const siteFilter = route.params.get('site') ?? '';
  const healthFilter = healthParam(route);
  const [recordFilter, setRecordFilter] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [editing, setEditing] = useState<Camera | 'new' | null>(null);
  const [bulk, setBulk] = useState(false);
  const [importing, setImporting] = useState(false);
  const [testing, setTesting] = useState(false);

  const reload = () => {
    cameras.reload();
    records.reload();
    sites.reload();
    health.reload();
  };
  const siteName = useMemo(() => new Map((sites.data ?? []).map((s) => [s.id, s.name])), [sites.data]);
  const connectorTitle = useMemo(
    () => new Map((connectors.data ?? []).map((c) => [c.id, c.title])),
    [connectors.data],
  );
  const recordById = useMemo(() => new Map((records.data ?? []).map((r) => [r.id, r])), [records.data]);
  const rows = useMemo<Row[]>(
    () =>
      (cameras.data ?? []).map((c) => ({
        ...c,
        siteName: siteName.get(c.siteId) ?? '—',
        connectorTitle: c.connectorId ? (connectorTitle.get(c.connectorId) ?? '—') : '',
        record: c.appPasswordId ? recordById.get(c.appPasswordId) : undefined,
        health: health.byId.get(c.id),
      })),
    [cameras.data, siteName, connectorTitle, recordById, health.byId],
  );
  const shown = rows.filter(
    (c) =>
      (!siteFilter || c.siteId === siteFilter) &&
      (!healthFilter || c.health?.level === healthFilter) &&
      (!recordFilter || (recordFilter === 'missing' ? !c.record : c.record?.status === recordFilter)),
  );

  const columns = useMemo(
    () => [
      healthColumn<Row>((c) => c.health),
      col.accessor('name', {
        header: 'Camera',
        meta: { width: 'minmax(140px, 1.3fr)', pin: true },
        cell: (c) => <strong>{c.getValue()}</strong>,
      }),
      col.accessor('siteName', { header: 'Site', meta: { width: 'minmax(120px, 1fr)' } }),
      lastResultColumn<Row>((c) => c.health?.lastResult, 'minmax(170px, 1.2fr)'),
      col.accessor('connectorTitle', {
        header: 'Connector',
        meta: { width: 'minmax(120px, 1fr)', hideBelow: 1060 },
      }),
      col.accessor((c) => (c.record ? `${c.record.account} ${c.record.status}` : 'none'), {
        id: 'record',
        header: 'App password',
        meta: { width: '150px', hideBelow: 1180 },
        cell: (c) => {
          const r = c.row.original.record;
          return r ? (
            <Badge tone={RECORD_TONE[r.status]}>{r.status}</Badge>
          ) : (
            <span className="muted">none recorded</span>
          );
        },
      }),
      col.accessor('host', {
        header: 'Address',
        meta: { width: '130px', hideBelow: 1320 },
        cell: (c) => <span className="mono">{c.getValue()}</span>,
      }),
      col.accessor((c) => [c.vendor, c.model].filter(Boolean).join(' '), {
        id: 'model',
        header: 'Vendor / model',
        meta: { width: 'minmax(130px, 1fr)', hideBelow: 1480 },
      }),
      col.accessor('location', {
        header: 'Location',
        meta: { width: 'minmax(110px, 1fr)', hideBelow: 1560 },
      }),
      col.accessor((c) => c.recipients.join(', '), {
        id: 'recipients',
        header: 'Recipients',
        meta: { width: 'minmax(150px, 1.2fr)', hideBelow: 1680 },
      }),
      col.accessor('serial', {
        header: 'Serial / MAC',
        meta: { width: '150px', hideBelow: 1800 },
        cell: (c) => <span className="mono">{c.getValue()}</span>,
      }),
    ],
    [],
  );

  async function exportCsv() {
    try {
      const out = await call(api.cameras.exportCsv(siteFilter ? { siteId: siteFilter } : {}));
      download(out.filename, out.csv);
      toast('ok', `Exported ${out.rows} cameras (no secrets) to ${out.filename}.`);
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  return (
    <div className="page">
      <PageHeader
        title="Cameras"
        description="Every device that sends alert mail, across all sites: its connector, login, app password and recipients."
        actions={
          <>
            <button
              type="button"
              className="btn"
              onClick={() => setImporting(true)}
              disabled={(sites.data ?? []).length === 0}
            >
              Import CSV…
            </button>
            <button type="button" className="btn" onClick={() => void exportCsv()}>
              Export CSV
            </button>
            <button
              type="button"
              className="btn primary"
              onClick={() => setEditing('new')}
              disabled={(sites.data ?? []).length === 0}
            >
              New camera
            </button>
          </>
        }
      />
      {cameras.error ? <Notice level="error">{cameras.error.message}</Notice> : null}
      {selected.size > 0 ? (
        <div className="bulk-bar" role="region" aria-label="Selection">
          <strong>{selected.size} selected</strong>
          <button type="button" className="btn small" onClick={() => setBulk(true)}>
            Edit connector / recipients…
          </button>
          <button type="button" className="btn small" onClick={() => setTesting(true)}>
            Test selected cameras…
          </button>
          <button type="button" className="btn small" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        </div>
      ) : null}
      <DataTable
        label="Cameras"
        data={shown}
        totalCount={rows.length}
        columns={columns}
        getRowId={(c) => c.id}
        searchPlaceholder="Search name, address, serial, location, login…"
        initialSorting={[
          { id: 'health', desc: false },
          { id: 'siteName', desc: false },
        ]}
        selection={{ selected, onChange: setSelected }}
        selectedId={editing && editing !== 'new' ? editing.id : null}
        onRowClick={(c) => setEditing(c)}
        filters={
          <>
            <FilterSelect
              label="Filter by site"
              value={siteFilter}
              onChange={(v) => navigate(routeWith(route, { site: v }))}
              all={{ value: '', label: 'All sites' }}
              options={(sites.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
            />
            <HealthFilter value={healthFilter} onChange={(v) => navigate(routeWith(route, { health: v }))} />
            <FilterSelect
              label="Filter by app password"
              value={recordFilter}
              onChange={setRecordFilter}
              all={{ value: '', label: 'Any app password' }}
              options={[
                { value: 'missing', label: 'None recorded' },
                { value: 'active', label: 'Active' },
                { value: 'suspected-revoked', label: 'Suspected revoked' },
                { value: 'revoked', label: 'Revoked' },
                { value: 'retired', label: 'Retired' },
              ]}
            />
          </>
        }
        empty={cameras.loading ? 'Loading…' : 'No cameras yet. Add one, or import the site list from CSV.'}
      />
      {editing ? (
        <CameraPanel
          key={editing === 'new' ? 'new' : editing.id}
          camera={editing === 'new' ? null : editing}
          sites={sites.data ?? []}
          connectors={connectors.data ?? []}
          records={records.data ?? []}
          health={editing === 'new' ? undefined : health.byId.get(editing.id)}
          defaultSiteId={siteFilter || sites.data?.[0]?.id || ''}
          onClose={() => setEditing(null)}
          onSaved={() => {
            reload();
            setEditing(null);
          }}
        />
      ) : null}
      {bulk ? (
        <BulkEditDialog
          ids={[...selected]}
          cameras={rows}
          connectors={connectors.data ?? []}
          onClose={() => setBulk(false)}
          onDone={() => {
            setBulk(false);
            setSelected(new Set());
            reload();
          }}
        />
      ) : null}
      {testing ? (
        <NewRunDialog sites={sites.data ?? []} cameraIds={[...selected]} onClose={() => setTesting(false)} />
      ) : null}
      {importing ? (
        <ImportCamerasDialog
          sites={sites.data ?? []}
          defaultSiteId={siteFilter}
          onClose={() => setImporting(false)}
          onImported={() => {
            reload();
          }}
        />
      ) : null}
    </div>
  );
}

function BulkEditDialog(p: {
  ids: string[];
  cameras: Row[];
  connectors: Connector[];
  onClose: () => void;
  onDone: () => void;
}) {
  const toast = useToast();
  const chosen = p.cameras.filter((c) => p.ids.includes(c.id));
  const siteIds = [...new Set(chosen.map((c) => c.siteId))];
  const usable = siteIds.length === 1 ? p.connectors.filter((c) => c.siteId === siteIds[0]) : [];
  const [connector, setConnector] = useState('keep');
  const [recipients, setRecipients] = useState('');
  const [mode, setMode] = useState<'keep' | 'replace' | 'add'>('keep');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState<string | null>(null);

  async function apply() {
    try {
      const result = await call(
        api.cameras.bulkUpdate({
          ids: p.ids,
          ...(connector !== 'keep' ? { connectorId: connector === 'none' ? null : connector } : {}),
          ...(mode !== 'keep' ? { recipients: splitAddresses(recipients), recipientsMode: mode } : {}),
        }),
      );
      toast('ok', `${plural(result.updated, 'camera')} updated.`);
      p.onDone();
    } catch (e) {
      setErrors(fieldErrors(e));
      setSummary(errorMessage(e));
    }
  }

  return (
    <Dialog
      title={`Edit ${plural(p.ids.length, 'camera')}`}
      onClose={p.onClose}
      footer={
        <DialogActions
          onCancel={p.onClose}
          onAction={() => void apply()}
          disabled={connector === 'keep' && mode === 'keep'}
          action={<>Apply to {plural(p.ids.length, 'camera')}</>}
        />
      }
    >
      {summary ? <Notice level="error">{summary}</Notice> : null}
      <div className="form-grid">
        <div className="wide">
          <SelectField
            label="Connector"
            value={connector}
            onChange={setConnector}
            options={[
              { value: 'keep', label: 'Keep each camera’s connector' },
              { value: 'none', label: 'No connector' },
              ...usable.map((c) => ({ value: c.id, label: `${c.title} (${c.host})` })),
            ]}
            error={errors.connectorId}
            hint={
              siteIds.length > 1
                ? 'The selection spans several sites: a connector can only be set for cameras of one site.'
                : undefined
            }
          />
        </div>
        <SelectField
          label="Recipients"
          value={mode}
          onChange={setMode}
          options={[
            { value: 'keep', label: 'Keep each camera’s recipients' },
            { value: 'replace', label: 'Replace with' },
            { value: 'add', label: 'Add' },
          ]}
        />
        {mode !== 'keep' ? (
          <TextField
            label="Addresses"
            value={recipients}
            onChange={setRecipients}
            error={listError(errors, 'recipients')}
            placeholder="ops@example.com, guard@example.com"
          />
        ) : (
          <span />
        )}
      </div>
    </Dialog>
  );
}
