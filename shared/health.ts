/**
 * Health at a glance: one state per camera, connector and site, rolled up from what AlertDesk
 * knows — the last result of each (test e-mail, handover run, app-password verification), the
 * app-password findings, the connector's state — and from any registered signal source
 * (heartbeats, once they are watched).
 */

export const HEALTH_LEVELS = ['failing', 'at-risk', 'healthy', 'unknown'] as const;
export type HealthLevel = (typeof HEALTH_LEVELS)[number];

/** The words every screen uses (red, amber, green, grey). */
export const HEALTH_LABEL: Record<HealthLevel, string> = {
  failing: 'failing',
  'at-risk': 'at risk',
  healthy: 'healthy',
  unknown: 'unknown',
};

/** Worst first: the order of the Overview and of every "worst first" sort. */
export const HEALTH_RANK: Record<HealthLevel, number> = { failing: 0, 'at-risk': 1, unknown: 2, healthy: 3 };

/** 'bench': a message the camera sent to the bench inbox (issue 13). */
export type ResultSource = 'test' | 'run' | 'verify' | 'bench';

/** The most recent proof (or disproof) that a camera's or connector's alert path works. */
export interface LastResult {
  at: string;
  ok: boolean;
  /** A connector's test e-mail, a handover run, an app-password verification (login, no e-mail), or the bench inbox. */
  source: ResultSource;
  /** The delivery (test), the run (run) or the app-password record (verify) it comes from. */
  ref: string | null;
  failureClass: string | null;
  summary: string;
  /** When this camera or connector last worked, even if its last result failed. */
  lastOkAt: string | null;
}

export interface HealthReason {
  level: HealthLevel;
  /** Where the reason comes from: 'result', 'connector', 'app-password', 'setup', or a signal source's name. */
  source: string;
  /** The reason in a sentence, with what to do. */
  text: string;
  /** A few words, the same for every camera with the same problem ("Login rejected"). */
  short: string;
}

export type HealthCounts = Record<HealthLevel, number>;

export interface CameraHealth {
  cameraId: string;
  siteId: string;
  connectorId: string | null;
  level: HealthLevel;
  /** Worst first. */
  reasons: HealthReason[];
  lastResult: LastResult | null;
}

export interface ConnectorHealth {
  connectorId: string;
  siteId: string;
  level: HealthLevel;
  reasons: HealthReason[];
  lastResult: LastResult | null;
  cameras: HealthCounts;
}

export interface SiteHealth {
  siteId: string;
  name: string;
  customer: string;
  handover: 'commissioning' | 'handed-over';
  level: HealthLevel;
  /** What makes the site what it is, grouped ("9 cameras: Login rejected"), worst first. */
  reasons: HealthReason[];
  cameras: HealthCounts;
  connectors: HealthCounts;
  /** The last time any camera or connector of the site worked. */
  lastOkAt: string | null;
  /** The last result of any kind at the site. */
  lastResultAt: string | null;
}

export interface HealthOverview {
  computedAt: string;
  sites: SiteHealth[];
  totals: { sites: HealthCounts; connectors: HealthCounts; cameras: HealthCounts };
  /** Names of the registered signal sources (e.g. 'heartbeats'); empty when there are none. */
  sources: string[];
}

/** Pushed whenever health may have changed (results arrived, a signal source changed). */
export interface HealthEvent {
  at: string;
}

/**
 * One fact from a signal source about one camera, connector or site: a heartbeat that is late,
 * a watched mailbox whose login is rejected… A 'healthy' signal is evidence that the thing works;
 * 'unknown' only adds its reason.
 */
export interface HealthSignal {
  subject: 'camera' | 'connector' | 'site';
  id: string;
  level: HealthLevel;
  text: string;
}

/**
 * The heartbeat states as health: a heartbeat that is up proves the camera works, a late one puts
 * it at risk, a missing one (down) fails it; new, paused and unknown say nothing either way.
 */
export const HEARTBEAT_HEALTH: Record<
  'new' | 'up' | 'late' | 'down' | 'paused' | 'unknown',
  HealthLevel | null
> = {
  new: null,
  up: 'healthy',
  late: 'at-risk',
  down: 'failing',
  paused: null,
  unknown: 'unknown',
};

export function emptyCounts(): HealthCounts {
  return { failing: 0, 'at-risk': 0, healthy: 0, unknown: 0 };
}

/** The worst of one thing's levels: failing, then at risk, then healthy; unknown only when nothing is known. */
export function worst(levels: Iterable<HealthLevel>): HealthLevel {
  let out: HealthLevel = 'unknown';
  for (const l of levels) {
    if (l === 'failing') return 'failing';
    if (l === 'at-risk' || (l === 'healthy' && out === 'unknown')) out = l;
  }
  return out;
}

/**
 * The level of a whole made of parts (a site of cameras and connectors): any part failing fails
 * it; any part at risk, or parts never proven beside parts that work, put it at risk; it is
 * healthy when every part is, and unknown when nothing about it is known.
 */
export function rollUp(counts: HealthCounts): HealthLevel {
  if (counts.failing > 0) return 'failing';
  if (counts['at-risk'] > 0) return 'at-risk';
  if (counts.healthy > 0) return counts.unknown > 0 ? 'at-risk' : 'healthy';
  return 'unknown';
}
