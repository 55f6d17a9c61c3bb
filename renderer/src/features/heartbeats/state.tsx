import { useEffect, useMemo, useState } from 'react';
import {
  durationLabel,
  expectationLabel,
  HEARTBEAT_STATES,
  type CameraHeartbeat,
  type HeartbeatState,
  type SiteHeartbeats,
  type StateCounts,
} from '../../../../shared/heartbeats.ts';
import { WATCHER_STATE_LABELS } from '../../../../shared/inbound.ts';
import { api } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';

/** The words of the states, the same on every screen. */
export const STATE_LABEL: Record<HeartbeatState, string> = {
  new: 'new',
  up: 'up',
  late: 'late',
  down: 'down',
  paused: 'paused',
  unknown: 'unknown',
};

export function StateBadge({ state }: { state: HeartbeatState | null }) {
  if (state === null) return <span className="hb-state none">not set up</span>;
  return <span className={`hb-state ${state}`}>{STATE_LABEL[state]}</span>;
}

/** Counts by state as small coloured chips, worst first; states with none are left out. */
export function StateCountChips({
  counts,
  notSetUp = 0,
  onPick,
  max = 6,
}: {
  counts: StateCounts;
  notSetUp?: number;
  onPick?: (state: HeartbeatState) => void;
  /** At most this many chips (worst first); the rest are counted in a "+n", every count on hover. */
  max?: number;
}) {
  const order: HeartbeatState[] = ['down', 'late', 'unknown', 'new', 'paused', 'up'];
  const present = order.filter((s) => counts[s] > 0);
  if (present.length === 0) return <span className="muted">{notSetUp ? `${notSetUp} not set up` : '—'}</span>;
  const shown = present.slice(0, max);
  const rest = present.slice(max).reduce((n, s) => n + counts[s], 0);
  const all = [
    ...present.map((s) => `${counts[s]} ${STATE_LABEL[s]}`),
    ...(notSetUp ? [`${notSetUp} not set up`] : []),
  ];
  return (
    <span className="hb-chips" title={all.join(', ')}>
      {shown.map((s) =>
        onPick ? (
          <button type="button" key={s} className={`hb-chip ${s}`} onClick={() => onPick(s)}>
            {counts[s].toLocaleString()} {STATE_LABEL[s]}
          </button>
        ) : (
          <span key={s} className={`hb-chip ${s}`}>
            {counts[s].toLocaleString()} {STATE_LABEL[s]}
          </span>
        ),
      )}
      {rest > 0 ? <span className="hb-chip more">+{rest.toLocaleString()}</span> : null}
    </span>
  );
}

/**
 * "every 60 min ± 2 min", "daily at 08:00 (Europe/Paris)", or "—"; `short` for a table cell:
 * "1 h ± 2 min", "daily 08:00".
 */
export function periodText(
  row: Pick<CameraHeartbeat, 'periodMinutes' | 'schedule' | 'jitterMinutes'>,
  short = false,
): string {
  if (short && row.schedule) return `daily ${row.schedule.times.join(', ')}`;
  const label = expectationLabel(row);
  if (!label) return '—';
  const text = short ? label.replace(/^every /, '') : label;
  return row.jitterMinutes !== null && !row.schedule
    ? `${text} ± ${durationLabel(Math.max(row.jitterMinutes, 0.5) * 60_000)}`
    : text;
}

/** How long past its due time a late or down camera is, at `now`. */
export function lateBy(row: CameraHeartbeat, now: number): number | null {
  if ((row.state !== 'late' && row.state !== 'down') || !row.expectedBy) return null;
  return Math.max(0, now - Date.parse(row.expectedBy));
}

export function watcherLabel(state: keyof typeof WATCHER_STATE_LABELS | null): string {
  return state ? WATCHER_STATE_LABELS[state] : 'not connected yet';
}

/** The clock the page shows relative times against, moved every `ms` (a local tick, not a poll). */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/**
 * Every camera's heartbeat row and every site's counts: loaded once, then kept current by the
 * pushed `heartbeats` events (only the changed rows travel).
 */
export function useHeartbeatOverview() {
  const overview = useQuery(() => api.heartbeats.overview(), []);
  const loaded = useMemo(
    () =>
      overview.data
        ? {
            base: overview.data,
            rows: new Map(overview.data.cameras.map((r) => [r.cameraId, r])),
            sites: overview.data.sites,
          }
        : null,
    [overview.data],
  );
  // Changes pushed since the overview was loaded, applied on top of it, and when the last came
  // (relative times are shown against it, so a heartbeat that just came never reads "in a moment").
  const [live, setLive] = useState<(NonNullable<typeof loaded> & { at: number }) | null>(null);
  const current = live && loaded && live.base === loaded.base ? live : loaded;
  useEvent('heartbeats', (event) => {
    if (!loaded || (event.cameras.length === 0 && event.removed.length === 0 && event.sites.length === 0))
      return;
    const at = Date.now();
    setLive((previous) => {
      const from = previous && previous.base === loaded.base ? previous : loaded;
      const rows = new Map(from.rows);
      for (const row of event.cameras) rows.set(row.cameraId, row);
      for (const id of event.removed) rows.delete(id);
      return { base: from.base, rows, sites: event.sites.length ? event.sites : from.sites, at };
    });
  });
  const rows = current?.rows;
  const list = useMemo(() => (rows ? [...rows.values()] : []), [rows]);
  return {
    rows: list,
    byId: rows ?? new Map<string, CameraHeartbeat>(),
    sites: current?.sites ?? [],
    changedAt: live?.at ?? 0,
    loading: overview.loading,
    error: overview.error,
    reload: overview.reload,
  };
}

/** Each site's counts by state, kept current by pushed events (the Sites page's roll-up). */
export function useSiteHeartbeats(): Map<string, SiteHeartbeats> {
  const query = useQuery(() => api.heartbeats.sites(), []);
  const [sites, setSites] = useState<SiteHeartbeats[] | null>(null);
  useEvent('heartbeats', (event) => {
    if (event.sites.length) setSites(event.sites);
  });
  const data = query.data;
  return useMemo(() => new Map((sites ?? data ?? []).map((s) => [s.siteId, s])), [sites, data]);
}

export const ALL_STATES = HEARTBEAT_STATES;
