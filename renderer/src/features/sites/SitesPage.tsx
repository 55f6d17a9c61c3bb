import { createColumnHelper } from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import { draftFields, useDraft } from '../../app/draft.ts';
import type { Site } from '../../../../shared/domain.ts';
import type { SiteHealth } from '../../../../shared/health.ts';
import { HANDOVER_STATES } from '../../../../shared/domain.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';
import { navigate, routeWith, type Route } from '../../app/router.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { SiteHeartbeatCounts, SiteHeartbeatDialog } from '../heartbeats/SiteHeartbeats.tsx';
import { useSiteHeartbeats } from '../heartbeats/state.tsx';
import { FilterSelect, SelectField, TextArea, TextField } from '../../components/fields.tsx';
import {
  Badge,
  Dialog,
  DialogActions,
  Notice,
  PageHeader,
  SidePanel,
  useToast,
} from '../../components/ui.tsx';
import { When, plural } from '../../components/format.tsx';
import { HealthFilter, healthColumn, healthParam } from '../../components/health.tsx';

type Row = Site & { health: SiteHealth | undefined };
const col = createColumnHelper<Row>();

interface SiteDraft {
  name: string;
  customer: string;
  address: string;
  contact: string;
  notes: string;
  handover: Site['handover'];
}

const emptyDraft: SiteDraft = {
  name: '',
  customer: '',
  address: '',
  contact: '',
  notes: '',
  handover: 'commissioning',
};
const HANDOVER_LABEL: Record<Site['handover'], string> = {
  commissioning: 'Commissioning',
  'handed-over': 'Handed over',
};

export function SitesPage({ route }: { route: Route }) {
  const sites = useQuery(() => api.sites.list(), []);
  const overview = useQuery(() => api.health.overview(), []);
  useEvent('health', () => overview.reload());
  const [editing, setEditing] = useState<Site | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Site | null>(null);
  const [handover, setHandover] = useState<'all' | Site['handover']>('all');
  const heartbeats = useSiteHeartbeats();
  const [heartbeatSite, setHeartbeatSite] = useState<Site | null>(null);
  const healthFilter = healthParam(route);

  const columns = useMemo(
    () => [
      healthColumn<Row>((s) => s.health),
      col.accessor('name', {
        header: 'Site',
        meta: { width: 'minmax(160px, 1.6fr)', pin: true },
        cell: (c) => <strong>{c.getValue()}</strong>,
      }),
      col.accessor('customer', { header: 'Customer', meta: { width: 'minmax(140px, 1.3fr)' } }),
      col.accessor((s) => s.health?.lastOkAt ?? '', {
        id: 'lastOk',
        header: 'Last OK',
        meta: { width: '112px' },
        cell: (c) => <When iso={c.row.original.health?.lastOkAt} />,
      }),
      col.accessor((s) => s.health?.lastResultAt ?? '', {
        id: 'lastResult',
        header: 'Last result',
        meta: { width: '120px', hideBelow: 1300 },
        cell: (c) => <When iso={c.row.original.health?.lastResultAt} />,
      }),
      col.accessor('handover', {
        header: 'Handover',
        meta: { width: '154px' },
        cell: (c) => (
          <Badge tone={c.getValue() === 'handed-over' ? 'ok' : 'info'}>{HANDOVER_LABEL[c.getValue()]}</Badge>
        ),
      }),
      col.accessor('connectorCount', { header: 'Connectors', meta: { width: '120px', align: 'end' } }),
      col.accessor('cameraCount', { header: 'Cameras', meta: { width: '104px', align: 'end' } }),
      col.accessor((s) => heartbeats.get(s.id)?.worst ?? '', {
        id: 'heartbeats',
        header: 'Heartbeats',
        meta: { width: 'minmax(190px, 1.2fr)' },
        cell: (c) => <SiteHeartbeatCounts summary={heartbeats.get(c.row.original.id)} />,
      }),
      col.accessor('contact', { header: 'Contact', meta: { width: 'minmax(140px, 1fr)', hideBelow: 1240 } }),
      col.accessor('updatedAt', {
        header: 'Updated',
        meta: { width: '112px', hideBelow: 1400 },
        cell: (c) => <When iso={c.getValue()} />,
      }),
    ],
    [heartbeats],
  );

  const healthById = useMemo(
    () => new Map((overview.data?.sites ?? []).map((h) => [h.siteId, h])),
    [overview.data],
  );
  const all = useMemo<Row[]>(
    () => (sites.data ?? []).map((s) => ({ ...s, health: healthById.get(s.id) })),
    [sites.data, healthById],
  );
  const shown = all.filter(
    (s) =>
      (handover === 'all' || s.handover === handover) && (!healthFilter || s.health?.level === healthFilter),
  );

  return (
    <div className="page">
      <PageHeader
        title="Sites"
        description="Customer locations. Each site has its SMTP connectors and its cameras."
        actions={
          <button type="button" className="btn primary" onClick={() => setEditing('new')}>
            New site
          </button>
        }
      />
      {sites.error ? <Notice level="error">{sites.error.message}</Notice> : null}
      <DataTable
        label="Sites"
        data={shown}
        totalCount={all.length}
        columns={columns}
        getRowId={(s) => s.id}
        searchPlaceholder="Search sites, customers, contacts…"
        initialSorting={[
          { id: 'health', desc: false },
          { id: 'name', desc: false },
        ]}
        selectedId={editing && editing !== 'new' ? editing.id : null}
        onRowClick={(s) => setEditing(s)}
        filters={
          <>
            <HealthFilter value={healthFilter} onChange={(v) => navigate(routeWith(route, { health: v }))} />
            <FilterSelect
              label="Filter by handover state"
              value={handover}
              onChange={setHandover}
              all={{ value: 'all', label: 'Any handover state' }}
              options={HANDOVER_STATES.map((h) => ({ value: h, label: HANDOVER_LABEL[h] }))}
            />
          </>
        }
        empty={
          sites.loading ? (
            'Loading…'
          ) : (
            <span>
              No sites yet.{' '}
              <button type="button" className="link" onClick={() => setEditing('new')}>
                Create the first site
              </button>{' '}
              to add its connectors.
            </span>
          )
        }
      />
      {editing ? (
        <SiteForm
          key={editing === 'new' ? 'new' : editing.id}
          site={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            sites.reload();
            overview.reload();
            setEditing(null);
          }}
          onDelete={(s) => setDeleting(s)}
          onHeartbeats={(s) => setHeartbeatSite(s)}
        />
      ) : null}
      {heartbeatSite ? (
        <SiteHeartbeatDialog
          site={heartbeatSite}
          summary={heartbeats.get(heartbeatSite.id)}
          onClose={() => setHeartbeatSite(null)}
        />
      ) : null}
      {deleting ? (
        <DeleteSiteDialog
          site={deleting}
          otherSites={all.filter((s) => s.id !== deleting.id)}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setDeleting(null);
            setEditing(null);
            sites.reload();
            overview.reload();
          }}
        />
      ) : null}
    </div>
  );
}

function SiteForm(p: {
  site: Site | null;
  onClose: () => void;
  onSaved: () => void;
  onDelete: (s: Site) => void;
  onHeartbeats: (s: Site) => void;
}) {
  const toast = useToast();
  const [draft, , set] = useDraft<SiteDraft>(
    p.site
      ? {
          name: p.site.name,
          customer: p.site.customer,
          address: p.site.address,
          contact: p.site.contact,
          notes: p.site.notes,
          handover: p.site.handover,
        }
      : emptyDraft,
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const field = draftFields(draft, set, errors);

  async function verifySite() {
    try {
      const { total } = await call(api.vault.verify({ scope: 'site', id: p.site!.id }));
      toast(
        'info',
        `Verifying ${plural(total, 'app password')} of this site without sending; see App passwords for the result.`,
      );
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  async function save() {
    setSaving(true);
    try {
      const saved = p.site
        ? await call(api.sites.update({ id: p.site.id, ...draft }))
        : await call(api.sites.create(draft));
      toast('ok', `Site "${saved.name}" saved.`);
      p.onSaved();
    } catch (error) {
      // What the user typed stays in the form; only the messages change.
      setErrors(fieldErrors(error));
      setSummary(errorMessage(error));
    } finally {
      setSaving(false);
    }
  }

  return (
    <SidePanel
      title={p.site ? `Site: ${p.site.name}` : 'New site'}
      subtitle={
        p.site ? (
          <span>
            Created <When iso={p.site.createdAt} />
          </span>
        ) : (
          'A customer location'
        )
      }
      onClose={p.onClose}
      footer={
        <>
          {p.site ? (
            <button type="button" className="btn danger" onClick={() => p.onDelete(p.site!)}>
              Delete…
            </button>
          ) : null}
          <span className="spacer" />
          {p.site && p.site.cameraCount > 0 ? (
            <button type="button" className="btn" onClick={() => p.onHeartbeats(p.site!)}>
              Heartbeats…
            </button>
          ) : null}
          {p.site && p.site.cameraCount > 0 ? (
            <button type="button" className="btn" onClick={() => void verifySite()}>
              Verify app passwords
            </button>
          ) : null}
          {p.site ? (
            <button type="button" className="btn" onClick={() => navigate(`runs?new=1&site=${p.site!.id}`)}>
              Handover run…
            </button>
          ) : null}
          {p.site ? (
            <button type="button" className="btn" onClick={() => navigate(`connectors?site=${p.site!.id}`)}>
              Connectors ({p.site.connectorCount})
            </button>
          ) : null}
          <button type="button" className="btn" onClick={p.onClose}>
            Cancel
          </button>
          <button type="button" className="btn primary" disabled={saving} onClick={() => void save()}>
            {saving ? 'Saving…' : 'Save site'}
          </button>
        </>
      }
    >
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {summary ? <Notice level="error">{summary}</Notice> : null}
        <TextField label="Site name" {...field('name')} wide placeholder="e.g. Riverside Depot" />
        <TextField label="Customer" {...field('customer')} />
        <SelectField
          label="Handover"
          {...field('handover')}
          options={HANDOVER_STATES.map((h) => ({ value: h, label: HANDOVER_LABEL[h] }))}
          hint="Commissioning until the site is handed over to the customer."
        />
        <TextField label="Address" {...field('address')} wide />
        <TextField label="Contact" {...field('contact')} wide placeholder="Name, phone, e-mail" />
        <TextArea label="Notes" {...field('notes')} wide rows={5} />
        <button type="submit" hidden />
      </form>
    </SidePanel>
  );
}

function DeleteSiteDialog(p: { site: Site; otherSites: Site[]; onClose: () => void; onDeleted: () => void }) {
  const toast = useToast();
  const has = p.site.connectorCount > 0 || p.site.cameraCount > 0;
  const what = [
    p.site.connectorCount ? plural(p.site.connectorCount, 'connector') : '',
    p.site.cameraCount ? plural(p.site.cameraCount, 'camera') : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const [choice, setChoice] = useState<'delete' | 'move'>(p.otherSites.length > 0 ? 'move' : 'delete');
  const [target, setTarget] = useState(p.otherSites[0]?.id ?? '');
  const [error, setError] = useState<string | null>(null);

  async function remove() {
    try {
      const result = await call(
        api.sites.remove({
          id: p.site.id,
          ...(has ? { connectors: choice, ...(choice === 'move' ? { moveToSiteId: target } : {}) } : {}),
        }),
      );
      toast(
        'ok',
        `Site "${p.site.name}" deleted${result.connectorsMoved + result.camerasMoved ? `; ${plural(result.connectorsMoved, 'connector')} and ${plural(result.camerasMoved, 'camera')} moved` : ''}${result.connectorsDeleted + result.camerasDeleted ? `; ${plural(result.connectorsDeleted, 'connector')} and ${plural(result.camerasDeleted, 'camera')} deleted` : ''}.`,
      );
      p.onDeleted();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <Dialog
      title={`Delete site "${p.site.name}"?`}
      onClose={p.onClose}
      footer={
        <DialogActions
          onCancel={p.onClose}
          onAction={() => void remove()}
          disabled={has && choice === 'move' && !target}
          danger
          action="Delete site"
        />
      }
    >
      {error ? <Notice level="error">{error}</Notice> : null}
      {has ? (
        <fieldset className="choice">
          <legend>This site has {what}. What should happen to them?</legend>
          <label>
            <input
              type="radio"
              name="connectors"
              checked={choice === 'move'}
              disabled={p.otherSites.length === 0}
              onChange={() => setChoice('move')}
            />
            Move to another site
          </label>
          {choice === 'move' ? (
            <select
              aria-label="Site to move the connectors and cameras to"
              value={target}
              onChange={(e) => setTarget(e.target.value)}
            >
              {p.otherSites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          ) : null}
          <label>
            <input
              type="radio"
              name="connectors"
              checked={choice === 'delete'}
              onChange={() => setChoice('delete')}
            />
            Delete them with the site (connector passwords are destroyed; app-password records stay in the
            vault)
          </label>
        </fieldset>
      ) : (
        <p>The site has no connectors. Its delivery history stays in the Deliveries table.</p>
      )}
    </Dialog>
  );
}
