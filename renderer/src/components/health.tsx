import { createColumnHelper, type ColumnDef } from '@tanstack/react-table';
import { useMemo } from 'react';
import {
  HEALTH_LABEL,
  HEALTH_LEVELS,
  HEALTH_RANK,
  type CameraHealth,
  type ConnectorHealth,
  type HealthLevel,
  type HealthReason,
  type LastResult,
} from '../../../shared/health.ts';
import { FAILURE_CATALOG, isFailureClass } from '../../../shared/failures.ts';
import { api } from '../api.ts';
import { useEvent, useQuery } from '../app/hooks.ts';
import type { Route } from '../app/router.ts';
import { FilterSelect } from './fields.tsx';
import { When } from './format.tsx';
import { Badge } from './ui.tsx';

/** Red, amber, green, grey: the tone of each health level on every screen. */
const TONE = { failing: 'bad', 'at-risk': 'warn', healthy: 'ok', unknown: 'muted' } as const;

/** A health state as a badge; the reason, when given, shows on hover. */
export function HealthBadge({ level, reasons }: { level: HealthLevel; reasons?: HealthReason[] }) {
  return (
    <span title={reasons?.length ? reasons.map((r) => r.text).join('\n') : undefined}>
      <Badge tone={TONE[level]}>
        <span className={`health-dot ${level}`} aria-hidden />
        {HEALTH_LABEL[level]}
      </Badge>
    </span>
  );
}

const SOURCE = {
  test: 'test e-mail',
  run: 'handover run',
  verify: 'verification',
  bench: 'bench inbox',
} as const;

/** "passed 2 h ago", "failed: Login rejected" — what a table's Last result column shows. */
export function LastResultCell({ result }: { result: LastResult | null | undefined }) {
  if (!result) return <span className="muted">not tested</span>;
  const title = `${SOURCE[result.source]}: ${result.summary}`;
  return (
    <span className="last-result" title={title}>
      <Badge tone={result.ok ? 'ok' : 'bad'}>{result.ok ? 'passed' : 'failed'}</Badge>{' '}
      {result.ok ? (
        <When iso={result.at} />
      ) : (
        <span className="bad-text">
          {result.failureClass && isFailureClass(result.failureClass)
            ? FAILURE_CATALOG[result.failureClass].title
            : result.summary}
        </span>
      )}
    </span>
  );
}

/** Sorts worst first (failing, at risk, unknown, healthy) in a table's health column. */
export const healthSortValue = (level: HealthLevel | undefined): number =>
  level === undefined ? 9 : HEALTH_RANK[level];

const HEALTH_FILTER_OPTIONS = HEALTH_LEVELS.map((l) => ({ value: l, label: HEALTH_LABEL[l] }));

const isHealthLevel = (value: string | null): value is HealthLevel =>
  value !== null && (HEALTH_LEVELS as readonly string[]).includes(value);

/** The health a page is filtered by (`?health=failing`), or '' for any. */
export const healthParam = (route: Route): HealthLevel | '' => {
  const value = route.params.get('health');
  return isHealthLevel(value) ? value : '';
};

/** "Any health", failing, at risk, healthy, unknown: the same filter on every table. */
export function HealthFilter(p: { value: HealthLevel | ''; onChange: (level: HealthLevel | '') => void }) {
  return (
    <FilterSelect
      label="Filter by health"
      value={p.value}
      onChange={p.onChange}
      all={{ value: '', label: 'Any health' }}
      options={HEALTH_FILTER_OPTIONS}
    />
  );
}

type Health = { level: HealthLevel; reasons: HealthReason[] };

/** The first column of a table whose rows have a health: pinned, worst first when sorted, reasons on hover. */
export function healthColumn<T>(get: (row: T) => Health | undefined): ColumnDef<T, number> {
  return createColumnHelper<T>().accessor((row) => healthSortValue(get(row)?.level), {
    id: 'health',
    header: 'Health',
    meta: { width: '118px', pin: true },
    cell: (c) => {
      const h = get(c.row.original);
      return h ? <HealthBadge level={h.level} reasons={h.reasons} /> : null;
    },
  }) as ColumnDef<T, number>;
}

/** A table's "Last result" column: passed with when, or failed with why. */
export function lastResultColumn<T>(
  get: (row: T) => LastResult | null | undefined,
  width = 'minmax(176px, 1.2fr)',
): ColumnDef<T, string> {
  return createColumnHelper<T>().accessor((row) => get(row)?.at ?? '', {
    id: 'lastResult',
    header: 'Last result',
    meta: { width },
    cell: (c) => <LastResultCell result={get(c.row.original)} />,
  }) as ColumnDef<T, string>;
}

/** Each camera's health by id, refreshed whenever the core says health changed (a run, a verification). */
export function useCameraHealth(): { byId: Map<string, CameraHealth>; reload: () => void } {
  const query = useQuery(() => api.health.cameras(), []);
  useEvent('health', () => query.reload());
  const byId = useMemo(() => new Map((query.data ?? []).map((c) => [c.cameraId, c])), [query.data]);
  return { byId, reload: query.reload };
}

/** Each connector's health by id, refreshed like the cameras'. */
export function useConnectorHealth(): { byId: Map<string, ConnectorHealth>; reload: () => void } {
  const query = useQuery(() => api.health.connectors(), []);
  useEvent('health', () => query.reload());
  const byId = useMemo(() => new Map((query.data ?? []).map((c) => [c.connectorId, c])), [query.data]);
  return { byId, reload: query.reload };
}

/** The health of one camera or connector with its reasons and last result, atop its detail panel. */
export function HealthSection(p: {
  level: HealthLevel;
  reasons: HealthReason[];
  lastResult: LastResult | null;
  children?: React.ReactNode;
}) {
  const shown = p.reasons.filter((r) => r.level !== 'healthy' || p.level === 'healthy');
  return (
    <section className="form-section health-section" aria-label="Health">
      <div className="row">
        <HealthBadge level={p.level} />
        <span className="muted small">Last result:</span>
        <LastResultCell result={p.lastResult} />
      </div>
      {shown.length ? (
        <ul className="reasons">
          {shown.map((r, i) => (
            <li key={i} className={r.level}>
              {r.text}
            </li>
          ))}
        </ul>
      ) : null}
      {p.children}
    </section>
  );
}
