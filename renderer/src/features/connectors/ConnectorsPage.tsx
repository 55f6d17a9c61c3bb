import { createColumnHelper } from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import type { Connector, Site } from '../../../../shared/domain.ts';
import type { OAuthAccountStatus } from '../../../../shared/oauth.ts';
import type { ConnectorHealth } from '../../../../shared/health.ts';
import { AUTH_LABELS } from '../../../../shared/presets.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';
import { navigate, routeWith, type Route } from '../../app/router.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { FilterSelect } from '../../components/fields.tsx';
import {
  HealthFilter,
  HealthSection,
  healthColumn,
  healthParam,
  lastResultColumn,
  useConnectorHealth,
} from '../../components/health.tsx';
import { Badge, Dialog, Notice, PageHeader, SidePanel, Tabs, useToast } from '../../components/ui.tsx';
import { ConnectorForm } from './ConnectorForm.tsx';
import { DiagnosePanel } from './DiagnosePanel.tsx';
import { TestEmailPanel } from './TestEmailPanel.tsx';
import { draftOf, emptyDraft, inputOf, withSecurity, type ConnectorDraft } from './draft.ts';

type SignInStatus = OAuthAccountStatus | 'none' | null;
/** An OAuth2 connector's sign-in state ('none' when nobody is signed in); null for other logins. */
function signInOf(c: Connector, status: Map<string, OAuthAccountStatus>): SignInStatus {
  if (c.auth !== 'xoauth2') return null;
  return (c.oauthAccountId ? status.get(c.oauthAccountId) : undefined) ?? 'none';
}
/** An OAuth2 connector is only as good as its sign-in: the table says when it needs a person. */
function SignInBadge({ status }: { status: SignInStatus }) {
  if (status === null || status === 'signed-in') return null;
  return (
    <Badge tone={status === 'refresh-failing' ? 'warn' : 'bad'}>
      {status === 'none'
        ? 'not signed in'
        : status === 'consent-revoked'
          ? 'sign in again'
          : 'sign-in failing'}
    </Badge>
  );
}
type Row = Connector & { siteName: string; health: ConnectorHealth | undefined; signIn: SignInStatus };
const col = createColumnHelper<Row>();
type Tab = 'settings' | 'test' | 'diagnose';
const SECURITY_SHORT = { tls: 'SSL/TLS', starttls: 'STARTTLS', none: 'None' } as const;

export function ConnectorsPage({ route }: { route: Route }) {
  const connectors = useQuery(() => api.connectors.list(), []);
  const sites = useQuery(() => api.sites.list(), []);
  const signIns = useQuery(() => api.oauth.accounts(), []);
  const health = useConnectorHealth();
  const siteFilter = route.params.get('site') ?? 'all';
  const healthFilter = healthParam(route);
  const [stateFilter, setStateFilter] = useState<'all' | 'RUN' | 'STOPPED'>('all');
  const [checked, setChecked] = useState<Set<string>>(new Set());
  // A finished test e-mail changes the connector's last test (and may start it): refresh the table.
  useEvent('delivery', ({ delivery }) => {
    if (delivery.kind === 'test' && (delivery.status === 'sent' || delivery.status === 'failed'))
      connectors.reload();
  });

  const siteName = useMemo(() => new Map((sites.data ?? []).map((s) => [s.id, s.name])), [sites.data]);
  const signInStatus = useMemo(
    () => new Map<string, OAuthAccountStatus>((signIns.data ?? []).map((a) => [a.id, a.status])),
    [signIns.data],
  );
  const rows = useMemo<Row[]>(
    () =>
      (connectors.data ?? []).map((c) => ({
        ...c,
        siteName: siteName.get(c.siteId) ?? '—',
        health: health.byId.get(c.id),
        signIn: signInOf(c, signInStatus),
      })),
    [connectors.data, siteName, health.byId, signInStatus],
  );
  const shown = rows.filter(
    (c) =>
      (siteFilter === 'all' || c.siteId === siteFilter) &&
      (stateFilter === 'all' || c.state === stateFilter) &&
      (!healthFilter || c.health?.level === healthFilter),
  );

  const columns = useMemo(
    () => [
      healthColumn<Row>((c) => c.health),
      col.accessor('title', {
        header: 'Connector',
        meta: { width: 'minmax(150px, 1.4fr)', pin: true },
        cell: (c) => (
          <>
            <strong>{c.getValue()}</strong> <SignInBadge status={c.row.original.signIn} />
          </>
        ),
      }),
      col.accessor('siteName', { header: 'Site', meta: { width: 'minmax(130px, 1.1fr)' } }),
      lastResultColumn<Row>((c) => c.health?.lastResult),
      col.accessor('state', {
        header: 'State',
        meta: { width: '116px' },
        cell: (c) => <Badge tone={c.getValue() === 'RUN' ? 'ok' : 'muted'}>{c.getValue()}</Badge>,
      }),
      col.accessor((c) => `${c.host}:${c.port}`, {
        id: 'server',
        header: 'Server',
        meta: { width: 'minmax(160px, 1.3fr)', hideBelow: 1080 },
        cell: (c) => <span className="mono">{c.getValue()}</span>,
      }),
      col.accessor('security', {
        header: 'Security',
        meta: { width: '104px', hideBelow: 1240 },
        cell: (c) => SECURITY_SHORT[c.getValue()],
      }),
      col.accessor('auth', {
        header: 'Auth',
        meta: { width: '104px', hideBelow: 1340 },
        cell: (c) => (c.getValue() === 'xoauth2' ? 'OAuth2' : AUTH_LABELS[c.getValue()]),
      }),
      col.accessor('username', {
        header: 'Login',
        meta: { width: 'minmax(150px, 1.1fr)', hideBelow: 1480 },
      }),
    ],
    [],
  );

  const open = route.id;
  const selected = open && open !== 'new' ? rows.find((c) => c.id === open) : undefined;
  const close = () => navigate(routeWith(route, { tab: null }, null));
  const reload = () => {
    connectors.reload();
    sites.reload();
    signIns.reload();
    health.reload();
  };

  return (
    <div className="page">
      <PageHeader
        title="Connectors"
        description="SMTP accounts used at the sites: host, port, security, login and what the provider allows."
        actions={
          <button
            type="button"
            className="btn primary"
            disabled={(sites.data ?? []).length === 0}
            onClick={() => navigate(`connectors/new${siteFilter !== 'all' ? `?site=${siteFilter}` : ''}`)}
          >
            New connector
          </button>
        }
      />
      {(sites.data ?? []).length === 0 && !sites.loading ? (
        <Notice level="info">Create a site first: every connector belongs to a site.</Notice>
      ) : null}
      {connectors.error ? <Notice level="error">{connectors.error.message}</Notice> : null}
      {checked.size > 0 ? (
        <div className="bulk-bar" role="region" aria-label="Selection">
          <strong>{checked.size} selected</strong>
          <button
            type="button"
            className="btn small"
            onClick={() => navigate(`runs?new=1&connectors=${[...checked].join(',')}`)}
          >
            Test in a handover run…
          </button>
          <button type="button" className="btn small" onClick={() => setChecked(new Set())}>
            Clear selection
          </button>
        </div>
      ) : null}
      <DataTable
        label="Connectors"
        data={shown}
        totalCount={rows.length}
        columns={columns}
        getRowId={(c) => c.id}
        searchPlaceholder="Search connectors, hosts, logins…"
        initialSorting={[
          { id: 'health', desc: false },
          { id: 'siteName', desc: false },
        ]}
        selectedId={open && open !== 'new' ? open : null}
        selection={{ selected: checked, onChange: setChecked }}
        onRowClick={(c) => navigate(routeWith(route, { tab: null }, c.id))}
        filters={
          <>
            <FilterSelect
              label="Filter by site"
              value={siteFilter}
              onChange={(v) => navigate(routeWith(route, { site: v === 'all' ? null : v }, null))}
              all={{ value: 'all', label: 'All sites' }}
              options={(sites.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
            />
            <HealthFilter
              value={healthFilter}
              onChange={(v) => navigate(routeWith(route, { health: v }, null))}
            />
            <FilterSelect
              label="Filter by state"
              value={stateFilter}
              onChange={setStateFilter}
              all={{ value: 'all', label: 'Any state' }}
              options={[
                { value: 'RUN', label: 'RUN' },
                { value: 'STOPPED', label: 'STOPPED' },
              ]}
            />
          </>
        }
        empty={
          connectors.loading
            ? 'Loading…'
            : 'No connectors yet. Add one from a preset (Gmail, Office 365, SES, a relay…).'
        }
      />
      {open === 'new' ? (
        <ConnectorPanel
          key="new"
          connector={null}
          sites={sites.data ?? []}
          defaultSiteId={route.params.get('site') ?? sites.data?.[0]?.id ?? ''}
          onClose={close}
          onChanged={reload}
          tab="settings"
        />
      ) : selected ? (
        <ConnectorPanel
          key={selected.id}
          connector={selected}
          health={selected.health}
          sites={sites.data ?? []}
          defaultSiteId={selected.siteId}
          onClose={close}
          onChanged={reload}
          tab={(['test', 'diagnose'] as const).find((t) => t === route.params.get('tab')) ?? 'settings'}
        />
      ) : null}
    </div>
  );
}

function ConnectorPanel(p: {
  connector: Connector | null;
  health?: ConnectorHealth | undefined;
  sites: Site[];
  defaultSiteId: string;
  onClose: () => void;
  onChanged: () => void;
  tab: Tab;
}) {
  const toast = useToast();
  const [draft, setDraft] = useState<ConnectorDraft>(() =>
    p.connector ? draftOf(p.connector) : emptyDraft(p.defaultSiteId),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [tab, setTab] = useState<Tab>(p.tab);
  // A link to another tab of the open connector (a verdict's "open the sign-in") switches to it.
  const [linkedTab, setLinkedTab] = useState<Tab>(p.tab);
  if (linkedTab !== p.tab) {
    setLinkedTab(p.tab);
    setTab(p.tab);
  }
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [exported, setExported] = useState<{ filename: string; text: string } | null>(null);
  const c = p.connector;

  async function save() {
    setSaving(true);
    try {
      const input = inputOf(draft);
      const saved = c
        ? await call(api.connectors.update({ ...input, id: c.id }))
        : await call(api.connectors.create(input));
      setErrors({});
      setSummary(null);
      setDraft(draftOf(saved));
      toast(
        'ok',
        `Connector "${saved.title}" saved${c ? '' : ' (STOPPED until a test passes or you start it)'}.`,
      );
      p.onChanged();
      if (!c) navigate(`connectors/${saved.id}?tab=test`);
    } catch (error) {
      setErrors(fieldErrors(error));
      setSummary(errorMessage(error));
    } finally {
      setSaving(false);
    }
  }

  async function setState(state: 'RUN' | 'STOPPED') {
    try {
      await call(api.connectors.setState({ id: c!.id, state }));
      toast('ok', `Connector ${state === 'RUN' ? 'started' : 'stopped'}.`);
      p.onChanged();
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  async function remove() {
    try {
      await call(api.connectors.remove({ id: c!.id }));
      toast('ok', `Connector "${c!.title}" deleted.`);
      p.onChanged();
      p.onClose();
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  async function exportProperties() {
    try {
      setExported(await call(api.connectors.exportProperties({ id: c!.id })));
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  return (
    <SidePanel
      wide
      title={c ? c.title : 'New connector'}
      subtitle={
        c ? (
          <span>
            <Badge tone={c.state === 'RUN' ? 'ok' : 'muted'}>{c.state}</Badge> {c.host}:{c.port} ·{' '}
            {c.auth === 'xoauth2'
              ? c.oauthAccountId
                ? `OAuth2 as ${c.username}`
                : 'OAuth2, not signed in'
              : c.hasPassword
                ? 'password stored'
                : 'no password stored'}
          </span>
        ) : (
          'An SMTP account used at a site'
        )
      }
      onClose={p.onClose}
      footer={
        tab === 'settings' ? (
          <>
            {c ? (
              <>
                <button type="button" className="btn danger" onClick={() => setConfirmDelete(true)}>
                  Delete…
                </button>
                <button type="button" className="btn" onClick={() => void exportProperties()}>
                  Export properties
                </button>
                {c.state === 'RUN' ? (
                  <button type="button" className="btn" onClick={() => void setState('STOPPED')}>
                    Stop
                  </button>
                ) : (
                  <button type="button" className="btn" onClick={() => void setState('RUN')}>
                    Start (RUN)
                  </button>
                )}
              </>
            ) : null}
            <span className="spacer" />
            <button type="button" className="btn" onClick={p.onClose}>
              Close
            </button>
            <button type="button" className="btn primary" disabled={saving} onClick={() => void save()}>
              {saving ? 'Saving…' : c ? 'Save changes' : 'Create connector'}
            </button>
          </>
        ) : undefined
      }
    >
      {c ? (
        <Tabs
          tabs={[
            { id: 'settings', label: 'Settings' },
            { id: 'test', label: 'Test e-mail' },
            { id: 'diagnose', label: 'Diagnose' },
          ]}
          selected={tab}
          onSelect={setTab}
        />
      ) : null}
      {p.health && tab === 'settings' ? (
        <HealthSection level={p.health.level} reasons={p.health.reasons} lastResult={p.health.lastResult} />
      ) : null}
      {tab === 'settings' || !c ? (
        <>
          {summary ? <Notice level="error">{summary}</Notice> : null}
          <ConnectorForm draft={draft} onChange={setDraft} errors={errors} sites={p.sites} existing={c} />
        </>
      ) : tab === 'test' ? (
        <TestEmailPanel connector={c} />
      ) : (
        <DiagnosePanel
          connector={c}
          draft={draft}
          onApply={(port, security) => {
            setDraft((d) => ({ ...withSecurity(d, security), port, portIsManual: true }));
            setTab('settings');
            toast(
              'info',
              `Port ${port} with ${security === 'tls' ? 'SSL/TLS' : security === 'starttls' ? 'STARTTLS' : 'no encryption'} applied — save to keep it.`,
            );
          }}
        />
      )}
      {confirmDelete && c ? (
        <Dialog
          title={`Delete connector "${c.title}"?`}
          onClose={() => setConfirmDelete(false)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => setConfirmDelete(false)}>
                Cancel
              </button>
              <button type="button" className="btn danger" onClick={() => void remove()}>
                Delete connector
              </button>
            </>
          }
        >
          <p>Its stored password is destroyed. Its delivery history stays.</p>
        </Dialog>
      ) : null}
      {exported ? <ExportDialog exported={exported} onClose={() => setExported(null)} /> : null}
    </SidePanel>
  );
}

function ExportDialog({
  exported,
  onClose,
}: {
  exported: { filename: string; text: string };
  onClose: () => void;
}) {
  const href = useMemo(
    () => URL.createObjectURL(new Blob([exported.text], { type: 'text/plain' })),
    [exported.text],
  );
  return (
    <Dialog
      title="JavaMail properties"
      onClose={onClose}
      wide
      footer={
        <>
          <a className="btn primary" href={href} download={exported.filename}>
            Save {exported.filename}
          </a>
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      <p className="muted">The password is never exported.</p>
      <textarea
        className="mono"
        readOnly
        rows={14}
        value={exported.text}
        aria-label="Exported properties"
        onFocus={(e) => e.target.select()}
      />
    </Dialog>
  );
}
