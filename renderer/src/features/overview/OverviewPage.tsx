import { createColumnHelper } from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import {
  HEALTH_LABEL,
  HEALTH_LEVELS,
  type HealthCounts,
  type HealthLevel,
  type SiteHealth,
} from '../../../../shared/health.ts';
import { api } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';
import { navigate, type Route } from '../../app/router.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { When, plural } from '../../components/format.tsx';
import { HealthBadge, HealthFilter, healthColumn, healthParam } from '../../components/health.tsx';
import { Notice, PageHeader, SidePanel } from '../../components/ui.tsx';

const col = createColumnHelper<SiteHealth>();

/**
 * The first page: every site worst first, each with its health rolled up from its connectors and
 * cameras, why, and when it last worked; every count leads to the filtered table behind it.
 */
export function OverviewPage({ route }: { route: Route }) {
  const overview = useQuery(() => api.health.overview(), []);
  useEvent('health', () => overview.reload());
  const level = healthParam(route);
  const [open, setOpen] = useState<string | null>(null);

  const columns = useMemo(
    () => [
      healthColumn<SiteHealth>((s) => s),
      col.accessor('name', {
        header: 'Site',
        meta: { width: 'minmax(180px, 1.3fr)', pin: true },
        cell: (c) => <strong>{c.getValue()}</strong>,
      }),
      countColumn('cameras', '150px'),
      countColumn('connectors', '128px'),
      col.accessor((s) => s.reasons.map((r) => r.short).join(' · '), {
        id: 'why',
        header: 'Why',
        enableSorting: false,
        meta: { width: 'minmax(220px, 2.4fr)' },
        cell: (c) => {
          const top = c.row.original.reasons.filter((r) => r.level !== 'healthy');
          return top.length ? (
            <span className={c.row.original.level === 'failing' ? 'bad-text' : undefined}>
              {c.getValue()}
            </span>
          ) : (
            <span className="muted">{c.row.original.level === 'healthy' ? 'Everything proven' : '—'}</span>
          );
        },
      }),
      col.accessor((s) => s.lastOkAt ?? '', {
        id: 'lastOk',
        header: 'Last OK',
        meta: { width: '112px' },
        cell: (c) => <When iso={c.row.original.lastOkAt} />,
      }),
      col.accessor('customer', {
        header: 'Customer',
        meta: { width: 'minmax(120px, 1fr)', hideBelow: 1180 },
      }),
    ],
    [],
  );

  const data = overview.data;
  const sites = data?.sites ?? [];
  const shown = level ? sites.filter((s) => s.level === level) : sites;
  const selected = open ? sites.find((s) => s.siteId === open) : undefined;
  const setLevel = (l: HealthLevel | '') => navigate(l ? `overview?health=${l}` : 'overview');

  return (
    <div className="page">
      <PageHeader
        title="Overview"
        description="Every site, worst first: what is failing, what is at risk, and when each last worked."
        actions={
          <button type="button" className="btn" onClick={() => navigate('runs?new=1')}>
            New handover run…
          </button>
        }
      />
      {overview.error ? <Notice level="error">{overview.error.message}</Notice> : null}
      {data ? (
        <section className="health-totals" aria-label="Totals">
          <Totals label="Sites" counts={data.totals.sites} onPick={setLevel} active={level} />
          <Totals
            label="Connectors"
            counts={data.totals.connectors}
            onPick={(l) => navigate(l ? `connectors?health=${l}` : 'connectors')}
          />
          <Totals
            label="Cameras"
            counts={data.totals.cameras}
            onPick={(l) => navigate(l ? `cameras?health=${l}` : 'cameras')}
          />
        </section>
      ) : null}
      <DataTable
        label="Sites by health"
        data={shown}
        totalCount={sites.length}
        columns={columns}
        getRowId={(s) => s.siteId}
        searchPlaceholder="Search sites, customers, reasons…"
        initialSorting={[
          { id: 'health', desc: false },
          { id: 'cameras', desc: true },
          { id: 'name', desc: false },
        ]}
        selectedId={open}
        onRowClick={(s) => setOpen(s.siteId)}
        filters={<HealthFilter value={level} onChange={setLevel} />}
        empty={
          overview.loading ? (
            'Loading…'
          ) : sites.length === 0 ? (
            <span>
              No sites yet.{' '}
              <button type="button" className="link" onClick={() => navigate('sites')}>
                Create the first site
              </button>
              , then its connectors and cameras.
            </span>
          ) : (
            `No site is ${HEALTH_LABEL[level || 'unknown']}.`
          )
        }
      />
      {selected ? <SiteHealthPanel site={selected} onClose={() => setOpen(null)} /> : null}
    </div>
  );
}

/** A site's cameras or connectors by health; sorted, the most failing first. */
function countColumn(what: 'cameras' | 'connectors', width: string) {
  return col.accessor((s) => s[what].failing * 1e6 + s[what]['at-risk'] * 1e3 + s[what].unknown, {
    id: what,
    header: what === 'cameras' ? 'Cameras' : 'Connectors',
    sortDescFirst: true,
    meta: { width },
    cell: (c) => <CountLinks counts={c.row.original[what]} what={what} siteId={c.row.original.siteId} />,
  });
}

/** "2 failing · 1 at risk · 27 healthy", each a button to the filtered list. */
function Totals(p: {
  label: string;
  counts: HealthCounts;
  onPick: (level: HealthLevel | '') => void;
  active?: HealthLevel | '';
}) {
  const total = HEALTH_LEVELS.reduce((n, l) => n + p.counts[l], 0);
  return (
    <div className="health-total">
      <button type="button" className="link-quiet" onClick={() => p.onPick('')}>
        <strong>{total.toLocaleString()}</strong> {p.label.toLowerCase()}
      </button>
      <div className="health-total-counts">
        {HEALTH_LEVELS.filter((l) => p.counts[l] > 0).map((l) => (
          <button
            key={l}
            type="button"
            className={`count-chip ${l}`}
            aria-pressed={p.active === l}
            aria-label={`${p.label}: ${p.counts[l]} ${HEALTH_LABEL[l]}`}
            onClick={() => p.onPick(l)}
          >
            {p.counts[l].toLocaleString()} {HEALTH_LABEL[l]}
          </button>
        ))}
      </div>
    </div>
  );
}

/** A site's cameras or connectors by health, each count a link to the filtered table. */
function CountLinks(p: { counts: HealthCounts; what: 'cameras' | 'connectors'; siteId: string }) {
  const levels = HEALTH_LEVELS.filter((l) => p.counts[l] > 0);
  if (levels.length === 0) return <span className="muted">none</span>;
  return (
    <span className="count-links">
      {levels.map((l) => (
        <a
          key={l}
          className={`count-chip ${l}`}
          href={`#/${p.what}?site=${p.siteId}&health=${l}`}
          title={`${plural(p.counts[l], p.what.slice(0, -1))} ${HEALTH_LABEL[l]}`}
          aria-label={`${plural(p.counts[l], p.what.slice(0, -1))} ${HEALTH_LABEL[l]}`}
          onClick={(e) => e.stopPropagation()}
        >
          {p.counts[l].toLocaleString()}
        </a>
      ))}
    </span>
  );
}

function SiteHealthPanel({ site, onClose }: { site: SiteHealth; onClose: () => void }) {
  return (
    <SidePanel
      title={site.name}
      subtitle={
        <span>
          <HealthBadge level={site.level} /> {site.customer}
          {site.lastOkAt ? (
            <>
              {' '}
              · last OK <When iso={site.lastOkAt} />
            </>
          ) : null}
        </span>
      }
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={() => navigate(`cameras?site=${site.siteId}`)}>
            Cameras
          </button>
          <button type="button" className="btn" onClick={() => navigate(`connectors?site=${site.siteId}`)}>
            Connectors
          </button>
          <span className="spacer" />
          <button
            type="button"
            className="btn primary"
            onClick={() => navigate(`runs?new=1&site=${site.siteId}`)}
          >
            Handover run…
          </button>
        </>
      }
    >
      <section className="form-section">
        <h3>Why it is {HEALTH_LABEL[site.level]}</h3>
        <ul className="reasons">
          {site.reasons.map((r, i) => (
            <li key={i} className={r.level}>
              <HealthBadge level={r.level} /> {r.short}
              {r.short !== r.text ? <div className="muted small">{r.text}</div> : null}
            </li>
          ))}
        </ul>
      </section>
      <section className="form-section">
        <h3>Parts</h3>
        <p>
          {plural(
            HEALTH_LEVELS.reduce((n, l) => n + site.connectors[l], 0),
            'connector',
          )}
          ,{' '}
          {plural(
            HEALTH_LEVELS.reduce((n, l) => n + site.cameras[l], 0),
            'camera',
          )}
          . Last result <When iso={site.lastResultAt} />.
        </p>
      </section>
    </SidePanel>
  );
}
