import { useCallback, useMemo, useState } from 'react';
import type { AuditSortColumn } from '../../../../shared/schemas.ts';
import type { AuditIntegrity } from '../../../../shared/audit-integrity.ts';
import type { AuditEvent } from '../../../../shared/vault.ts';
import { api, call, errorMessage } from '../../api.ts';
import { useDebounced, useQuery } from '../../app/hooks.ts';
import { navigate, type Route } from '../../app/router.ts';
import { RemoteTable, type RemoteColumn, type RemoteSort } from '../../components/RemoteTable.tsx';
import { FilterSelect } from '../../components/fields.tsx';
import { When, plural } from '../../components/format.tsx';
import { Badge, Notice, PageHeader, SidePanel, useToast } from '../../components/ui.tsx';
import { download } from '../deliveries/DeliveriesPage.tsx';

const ACTIONS = [
  'create',
  'update',
  'delete',
  'reveal',
  'copy',
  'verify',
  'rotate',
  'test',
  'start',
  'stop',
  'import',
  'export',
  'sign-in',
  'sign-out',
  'refresh',
];
const TYPES = [
  'site',
  'connector',
  'camera',
  'app-password',
  'oauth-account',
  'inventory',
  'delivery',
  'audit',
];

export function AuditPage({ route }: { route: Route }) {
  const toast = useToast();
  const recordId = route.params.get('record') ?? '';
  const [action, setAction] = useState('');
  const [recordType, setRecordType] = useState('');
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<RemoteSort<AuditSortColumn>>({ column: 'at', direction: 'desc' });
  const [open, setOpen] = useState<AuditEvent | null>(null);
  const debounced = useDebounced(search, 250);
  const filter = useMemo(
    () => ({
      ...(action ? { action } : {}),
      ...(recordType ? { recordType } : {}),
      ...(recordId ? { recordId } : {}),
      ...(debounced.trim() ? { search: debounced.trim() } : {}),
    }),
    [action, recordType, recordId, debounced],
  );
  const integrity = useQuery(() => api.audit.integrity(), []);
  const bad = useMemo(() => new Set(integrity.data?.badSeqs ?? []), [integrity.data]);
  const fetchPage = useCallback(
    async (offset: number, limit: number) => call(api.audit.query({ filter, offset, limit, sort })),
    [filter, sort],
  );

  const columns: Array<RemoteColumn<AuditEvent, AuditSortColumn | 'detail' | 'seq'>> = [
    {
      id: 'seq',
      header: '#',
      width: '64px',
      hideBelow: 1150,
      render: (e) =>
        bad.has(e.seq) ? (
          <span className="bad-text" title="This event is not as AlertDesk wrote it">
            #{e.seq} ⚠
          </span>
        ) : (
          <span className="muted">#{e.seq}</span>
        ),
    },
    {
      id: 'at',
      header: 'Time',
      width: '130px',
      sortable: true,
      descFirst: true,
      render: (e) => <When iso={e.at} />,
    },
    {
      id: 'osUser',
      header: 'User',
      width: '110px',
      sortable: true,
      hideBelow: 1150,
      render: (e) => e.osUser,
    },
    {
      id: 'action',
      header: 'Action',
      width: '108px',
      sortable: true,
      render: (e) => (
        <Badge
          tone={
            e.action === 'reveal' || e.action === 'copy' ? 'warn' : e.action === 'delete' ? 'bad' : 'info'
          }
        >
          {e.action}
        </Badge>
      ),
    },
    {
      id: 'recordType',
      header: 'Record',
      width: '130px',
      sortable: true,
      hideBelow: 1250,
      render: (e) => e.recordType,
    },
    {
      id: 'recordLabel',
      header: 'Name',
      width: 'minmax(180px, 1.2fr)',
      sortable: true,
      render: (e) => e.recordLabel,
    },
    {
      id: 'result',
      header: 'Result',
      width: '96px',
      sortable: true,
      render: (e) => <span className={e.result === 'ok' ? 'ok-text' : 'bad-text'}>{e.result}</span>,
    },
    {
      id: 'detail',
      header: 'Detail',
      width: 'minmax(240px, 2fr)',
      render: (e) => {
        const lines = e.detail.split('\n');
        return (
          <span>
            {lines[0]}
            {lines.length > 1 ? (
              <span className="muted"> · {plural(lines.length - 1, 'record')}, open for all</span>
            ) : null}
          </span>
        );
      },
    },
  ];

  async function exportCsv() {
    try {
      const out = await call(api.audit.exportCsv({ filter }));
      download(out.filename, out.csv);
      integrity.reload();
      if (out.integrity.state === 'broken')
        toast(
          'bad',
          `Exported ${out.rows} events to ${out.filename}; the log was changed outside AlertDesk from event #${out.integrity.firstBadSeq} (marked in the file).`,
        );
      else toast('ok', `Exported ${out.rows} events to ${out.filename}.`);
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  return (
    <div className="page">
      <PageHeader
        title="Audit log"
        description="Who did what to which record, when, with what result. Events are append-only: nothing here can be edited or deleted."
      />
      {integrity.data ? <IntegrityBanner integrity={integrity.data} /> : null}
      {recordId ? (
        <Notice level="info">
          Showing the events of one record.{' '}
          <button type="button" className="link" onClick={() => navigate('audit')}>
            Show all
          </button>
        </Notice>
      ) : null}
      <RemoteTable
        label="Audit log"
        columns={columns}
        fetchPage={fetchPage}
        queryKey={JSON.stringify([filter, sort])}
        version={0}
        sort={sort}
        onSortChange={(next) => next.column !== 'detail' && setSort(next as RemoteSort<AuditSortColumn>)}
        getRowId={(e) => String(e.seq)}
        onRowClick={setOpen}
        selectedId={open ? String(open.seq) : null}
        toolbar={
          <>
            <input
              className="search"
              type="search"
              placeholder="Search names, details, users…"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              aria-label="Search the audit log"
            />
            <FilterSelect
              label="Filter by action"
              value={action}
              onChange={setAction}
              all={{ value: '', label: 'Any action' }}
              options={ACTIONS.map((a) => ({ value: a, label: a }))}
            />
            <FilterSelect
              label="Filter by record type"
              value={recordType}
              onChange={setRecordType}
              all={{ value: '', label: 'Any record' }}
              options={TYPES.map((a) => ({ value: a, label: a }))}
            />
          </>
        }
        actions={
          <button type="button" className="btn" onClick={() => void exportCsv()}>
            Export CSV
          </button>
        }
        empty="No events match."
      />
      {open ? <AuditEventPanel event={open} onClose={() => setOpen(null)} /> : null}
    </div>
  );
}

/** One event in full: a verification of many records lists every record's outcome here. */
function AuditEventPanel({ event: e, onClose }: { event: AuditEvent; onClose: () => void }) {
  return (
    <SidePanel
      title={`${e.action} · ${e.recordType}`}
      subtitle={
        <span>
          <When iso={e.at} /> by {e.osUser} ·{' '}
          <span className={e.result === 'ok' ? 'ok-text' : 'bad-text'}>{e.result}</span>
        </span>
      }
      onClose={onClose}
    >
      <section className="form-section">
        <h3>{e.recordLabel || e.recordType}</h3>
        <ul className="audit-detail">
          {e.detail.split('\n').map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      </section>
    </SidePanel>
  );
}

/** Whether the log is as AlertDesk wrote it: a break names its first event; intact says so quietly. */
function IntegrityBanner({ integrity }: { integrity: AuditIntegrity }) {
  if (integrity.state === 'broken')
    return (
      <Notice level="error">
        <strong>The audit log was changed outside AlertDesk, from event #{integrity.firstBadSeq}.</strong>{' '}
        {integrity.message}
      </Notice>
    );
  if (integrity.state === 'unprotected') return <Notice level="warning">{integrity.message}</Notice>;
  return (
    <p className="audit-integrity muted small" data-testid="audit-integrity">
      ✓ Tamper-evident: {integrity.message}
      {integrity.protectedFrom !== null && integrity.protectedFrom > 1
        ? ` Events before #${integrity.protectedFrom} were written before the log was protected.`
        : ''}
    </p>
  );
}
