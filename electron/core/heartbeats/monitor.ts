import {
  defaultGraceMinutes,
  HEARTBEAT_STATES,
  STATE_RANK,
  type CameraHeartbeat,
  type HeartbeatEvent,
  type HeartbeatState,
  type SiteHeartbeats,
  type StateCounts,
} from '../../../shared/heartbeats.ts';
import type { InboundMessage, SourceHealth } from '../../../shared/inbound.ts';
import type { Clock, Logger } from '../adapters.ts';
import type { InboundHub } from '../inbound/hub.ts';
import type { Inventory, StoredCamera } from '../inventory/inventory.ts';
import { Alarm } from './alarm.ts';
import type { HeartbeatAlerts, TransitionNotice } from './alerts.ts';
import { describe, evaluate, learnJitter, type Verdict } from './lateness.ts';
import { RuleMatcher, SOURCE_IDENTIFIED, type Match } from './matcher.ts';
import { Situation, STARTUP_GRACE_MS } from './situation.ts';
import { RECENT_BEATS, type BeatRow, type HeartbeatStore, type TransitionRow } from './store.ts';

/** Rules re-run over the mail of this many days when they change (bounded: at most REMATCH_LIMIT). */
export const REMATCH_DAYS = 7;
export const REMATCH_LIMIT = 20_000;
/** Longest sleep of the evaluation timer: a laptop that slept through a due time is caught up. */
const MAX_SLEEP_MS = 10 * 60_000;
const DAY = 86_400_000;

interface CameraWatch {
  /** Newest heartbeats first (RECENT_BEATS at most). */
  recent: BeatRow[];
  jitter: ReturnType<typeof learnJitter>;
  verdict: Verdict | null;
  /** The state last recorded (undefined: never recorded) and since when. */
  state: HeartbeatState | null | undefined;
  since: number | null;
  /** The state alerts were last worked out against (a quiet unknown leaves it as it was). */
  alertState: HeartbeatState | null;
  /** When time alone changes this camera's verdict next (its own, or a maintenance window's start). */
  next: number | null;
  /** What its row showed when last pushed (see evaluate), and that row. */
  shown: unknown[];
  row: CameraHeartbeat | null;
}

export interface MonitorDeps {
  inventory: Inventory;
  inbound: InboundHub;
  store: HeartbeatStore;
  alerts: HeartbeatAlerts;
  clock: Clock;
  logger: Logger;
  emit: (event: HeartbeatEvent) => void;
}

const JUNK_NOTE =
  ' The last one was filed in Junk: mark the sender as safe there, or alert mail may be missed.';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Every camera's heartbeat state, kept current by what changes it — a new message (from the
 * inbound hub), a watcher's health, an inventory change, and time (one alarm for the earliest
 * moment any camera's state can change) — never by polling. Each change of state is recorded
 * with its time and cause and handed to the alerts; changed rows are pushed to the renderer.
 */
export class HeartbeatMonitor {
  private readonly deps: MonitorDeps;
  private readonly cams = new Map<string, CameraWatch>();
  private readonly alarm: Alarm;
  private readonly watchedSinceStart = new Set<string>();
  private readonly startedAt: number;
  private situationCache: { key: readonly unknown[]; value: Situation } | null = null;
  private matcherCache: { key: readonly unknown[]; value: RuleMatcher } | null = null;
  private readonly off: Array<() => void> = [];
  private closed = false;
  /** What the next inventory commit means, said by the service that makes it. */
  private pendingCause: string | null = null;
  /** Each camera's identifying fields, to notice renames and new cameras that site rules may name. */
  private cameraKeys = new Map<string, string>();

  constructor(deps: MonitorDeps) {
    this.deps = deps;
    this.alarm = new Alarm(deps.clock, () => this.evaluate('all', ''), MAX_SLEEP_MS);
    this.startedAt = deps.clock.now();
    this.cameraKeys = new Map(
      deps.inventory.cameras.map((c) => [c.id, `${c.siteId}|${c.name}|${c.serial}|${c.host}`]),
    );
    const states = deps.store.lastStates();
    const recent = deps.store.recentBeats();
    for (const camera of deps.inventory.cameras) {
      const stored = states.get(camera.id);
      const beats = recent.get(camera.id) ?? [];
      this.cams.set(camera.id, {
        recent: beats,
        jitter: learnJitter(beats.map((b) => b.receivedAt)),
        verdict: null,
        state: stored ? stored.state : undefined,
        since: stored?.at ?? null,
        alertState: stored?.state ?? null,
        next: null,
        shown: [],
        row: null,
      });
    }
  }

  /** Starts listening (messages, health, inventory) and evaluates every camera once. */
  start(): void {
    const { inbound, inventory, logger } = this.deps;
    const guarded =
      <A extends unknown[]>(what: string, fn: (...args: A) => void) =>
      (...args: A) => {
        if (this.closed) return;
        try {
          fn(...args);
        } catch (error) {
          logger.error(`heartbeats: ${what} failed`, {
            error: error instanceof Error ? error.stack : String(error),
          });
        }
      };
    this.off.push(
      inbound.subscribe(guarded('matching new mail', (m: InboundMessage[]) => this.onMessages(m))),
    );
    this.off.push(inbound.onHealth(guarded('a health change', (h: SourceHealth) => this.onHealth(h))));
    this.off.push(
      inventory.onCommit(
        guarded('an inventory change', (change: Parameters<Parameters<Inventory['onCommit']>[0]>[0]) =>
          this.onInventory(change),
        ),
      ),
    );
    this.evaluate('all', 'AlertDesk started');
  }

  close(): void {
    this.closed = true;
    this.alarm.stop();
    for (const off of this.off.splice(0)) off();
  }

  situation(): Situation {
    const inv = this.deps.inventory;
    const key = [inv.cameras, inv.mailboxes, inv.sites, inv.heartbeats.windows];
    if (!this.situationCache || key.some((k, i) => k !== this.situationCache!.key[i]))
      this.situationCache = { key, value: new Situation(inv) };
    return this.situationCache.value;
  }

  /** The rules of the moment, compiled (again only when rules, cameras or sites changed). */
  matcher(): RuleMatcher {
    const inv = this.deps.inventory;
    const key = [inv.heartbeats.rules, inv.cameras, inv.sites];
    if (!this.matcherCache || key.some((k, i) => k !== this.matcherCache!.key[i])) {
      const situation = this.situation();
      this.matcherCache = {
        key,
        value: new RuleMatcher(inv.heartbeats.rules, {
          camera: (id) => inv.camera(id),
          site: (id) => inv.site(id),
          camerasOfSite: (id) => situation.camerasBySite.get(id) ?? [],
        }),
      };
    }
    return this.matcherCache.value;
  }

  /**
   * The camera a message is from: the one its source identified (the bench inbox, by the camera's
   * login), else the one a rule gives it to. Mail with an AlertDesk token is a test, not a heartbeat.
   */
  private cameraOf(m: InboundMessage, matcher: RuleMatcher): Match | null {
    if (m.token) return null;
    if (m.cameraId !== null && this.cams.has(m.cameraId))
      return { cameraId: m.cameraId, ruleId: SOURCE_IDENTIFIED };
    return matcher.size === 0 ? null : matcher.match(m, () => this.deps.inbound.headerFields(m.key));
  }

  /** Gives new messages to cameras (see cameraOf). */
  private onMessages(messages: InboundMessage[]): void {
    const matcher = this.matcher();
    const rows: BeatRow[] = [];
    for (const m of messages) {
      const found = this.cameraOf(m, matcher);
      if (!found) continue;
      rows.push(beatOf(m, found));
    }
    if (rows.length === 0) return;
    this.deps.store.saveBeats(rows);
    const touched = new Set<string>();
    for (const row of rows) {
      const cam = this.cams.get(row.cameraId);
      if (!cam) continue;
      cam.recent = insertBeat(cam.recent, row);
      touched.add(row.cameraId);
    }
    for (const id of touched) {
      const cam = this.cams.get(id)!;
      cam.jitter = learnJitter(cam.recent.map((b) => b.receivedAt));
    }
    this.evaluate(touched, 'Heartbeat received');
  }

  private onHealth(health: SourceHealth): void {
    if (health.watching) this.watchedSinceStart.add(health.sourceId);
    const situation = this.situation();
    const affected = new Set<string>();
    for (const camera of this.deps.inventory.cameras) {
      const cam = this.cams.get(camera.id);
      if (
        cam?.recent[0]?.sourceId === health.sourceId ||
        situation.covering(camera).some((m) => m.id === health.sourceId)
      )
        affected.add(camera.id);
    }
    const word = health.watching ? 'is being read again' : `is ${health.state.replace('-', ' ')}`;
    this.evaluate(affected, `${situation.titleOf(health.sourceId)} ${word}`);
  }

  /** Runs `commit` with a cause for the evaluations it sets off ("Expectation changed"…). */
  because<T>(cause: string, commit: () => T): T {
    this.pendingCause = cause;
    try {
      return commit();
    } finally {
      this.pendingCause = null;
    }
  }

  private onInventory(change: Parameters<Parameters<Inventory['onCommit']>[0]>[0]): void {
    const cause = this.pendingCause ?? 'Settings changed';
    let rematch = change.heartbeats !== undefined && change.heartbeats.rules !== this.matcherCache?.key[0];
    if (change.cameras) {
      const keys = new Map(
        this.deps.inventory.cameras.map((c) => [c.id, `${c.siteId}|${c.name}|${c.serial}|${c.host}`]),
      );
      const hasSiteRules = this.deps.inventory.heartbeats.rules.some((r) => r.scope === 'site');
      if (hasSiteRules && [...keys].some(([id, key]) => this.cameraKeys.get(id) !== key)) rematch = true;
      this.cameraKeys = keys;
      const current = new Set(this.deps.inventory.cameras.map((c) => c.id));
      const removed = [...this.cams.keys()].filter((id) => !current.has(id));
      if (removed.length) {
        for (const id of removed) this.cams.delete(id);
        this.deps.store.forgetCameras(removed);
        this.deps.emit({ cameras: [], removed, sites: this.siteSummaries(), alert: null });
      }
    }
    if (change.sites) rematch ||= this.deps.inventory.heartbeats.rules.length > 0;
    // The recent mail is matched again with the rules of now (rematch evaluates what it moved).
    if (rematch) this.rematch(cause);
    if (change.cameras || change.mailboxes || change.sites || change.heartbeats) this.evaluate('all', cause);
  }

  /**
   * Matches the mail of the last REMATCH_DAYS again (at most REMATCH_LIMIT messages, newest
   * first) with the rules of now: new matches are added, matches no rule makes any more removed,
   * and the cameras concerned are evaluated. Returns how many messages were looked at and moved.
   */
  rematch(cause: string): { scanned: number; changed: number } {
    const { inbound, store, clock } = this.deps;
    const since = clock.now() - REMATCH_DAYS * DAY;
    const messages = inbound.query({ since, limit: REMATCH_LIMIT });
    const existing = store.beatsOf(messages.map((m) => m.key));
    const matcher = this.matcher();
    const upserts: BeatRow[] = [];
    const removals: string[] = [];
    const affected = new Set<string>();
    for (const m of messages) {
      const before = existing.get(m.key);
      const found = this.cameraOf(m, matcher);
      if (found) {
        if (before?.cameraId === found.cameraId && before.ruleId === found.ruleId) continue;
        upserts.push(beatOf(m, found));
        affected.add(found.cameraId);
        if (before) affected.add(before.cameraId);
      } else if (before) {
        removals.push(m.key);
        affected.add(before.cameraId);
      }
    }
    store.saveBeats(upserts, removals);
    if (affected.size) {
      const recent = store.recentBeats([...affected]);
      for (const id of affected) {
        const cam = this.cams.get(id);
        if (!cam) continue;
        cam.recent = recent.get(id) ?? [];
        cam.jitter = learnJitter(cam.recent.map((b) => b.receivedAt));
      }
      this.evaluate(affected, cause);
    }
    return { scanned: messages.length, changed: upserts.length + removals.length };
  }

  /**
   * Works out the state of the cameras named (or all), records and alerts every change, pushes
   * the rows whose content changed, and sets the
   * alarm for the next moment time alone changes something.
   */
  evaluate(which: Iterable<string> | 'all', cause: string): void {
    if (this.closed) return;
    const { inventory, inbound, clock } = this.deps;
    const now = clock.now();
    const situation = this.situation();
    const startup = { at: this.startedAt, now, watchedSinceStart: this.watchedSinceStart };
    const health = (id: string) => inbound.health(id);
    const cameras: StoredCamera[] =
      which === 'all'
        ? [...inventory.cameras]
        : [...which].map((id) => inventory.camera(id)).filter((c): c is StoredCamera => c !== undefined);
    const rows: CameraHeartbeat[] = [];
    const transitions: TransitionRow[] = [];
    const notices: TransitionNotice[] = [];
    const config = inventory.heartbeats.cameras;
    for (const camera of cameras) {
      let cam = this.cams.get(camera.id);
      if (!cam) {
        cam = {
          recent: [],
          jitter: null,
          verdict: null,
          state: undefined,
          since: null,
          alertState: null,
          next: null,
          shown: [],
          row: null,
        };
        this.cams.set(camera.id, cam);
      }
      const expectation = config[camera.id];
      const schedule = expectation?.schedule ?? null;
      const periodMinutes = camera.heartbeatMinutes;
      const graceMinutes = expectation?.graceMinutes ?? defaultGraceMinutes({ periodMinutes, schedule });
      const { pause, resumedAt, nextStart } = situation.pauseOf(camera, now);
      const watch = situation.watch(camera, cam.recent[0]?.sourceId ?? null, health, startup);
      const verdict = evaluate({
        periodMs: periodMinutes === null ? null : periodMinutes * 60_000,
        graceMs: graceMinutes * 60_000,
        schedule,
        lastBeatAt: cam.recent[0]?.receivedAt ?? null,
        pause,
        resumedAt,
        watch,
        now,
      });
      cam.verdict = verdict;
      const quiet = verdict.state === 'unknown' && !watch.ok && watch.quiet;
      const quietUntil = quiet ? this.startedAt + STARTUP_GRACE_MS : null;
      cam.next = minOf(
        minOf(verdict.next, nextStart),
        quietUntil !== null && quietUntil > now ? quietUntil : null,
      );
      const previous = cam.state === undefined ? null : cam.state;
      const changed = previous !== verdict.state;
      if (changed) {
        const at = verdict.since ?? now;
        const words = describe(verdict, now);
        transitions.push({
          cameraId: camera.id,
          at,
          noticedAt: now,
          from: previous,
          to: verdict.state,
          cause: cause ? `${cause}: ${words}` : words,
        });
        cam.state = verdict.state;
        cam.since = at;
      }
      if (!quiet && cam.alertState !== verdict.state) {
        if (verdict.state !== null)
          notices.push({
            cameraId: camera.id,
            cameraName: camera.name,
            siteId: camera.siteId,
            siteName: situation.siteName.get(camera.siteId) ?? '',
            from: cam.alertState,
            to: verdict.state,
            at: iso(cam.since ?? now)!,
            detail: describe(verdict, now),
          });
        cam.alertState = verdict.state;
      }
      // Pushed only when what the row shows changed; compared by value or by reference (the
      // inventory replaces a record when it changes, the hub a source's health).
      const covering = situation.covering(camera);
      const shown: unknown[] = [
        verdict.state,
        cam.since,
        cam.recent[0],
        verdict.expectedBy,
        verdict.next,
        verdict.reason,
        camera,
        situation.siteName.get(camera.siteId),
        expectation,
        cam.jitter,
        covering.length,
      ];
      for (const m of covering) shown.push(m, health(m.id));
      if (!sameValues(shown, cam.shown) || !cam.row) {
        cam.shown = shown;
        cam.row = this.rowOf(camera, cam, situation);
        rows.push(cam.row);
      }
    }
    this.deps.store.recordTransitions(transitions);
    if (notices.length) this.deps.alerts.add(notices);
    if (rows.length) this.deps.emit({ cameras: rows, removed: [], sites: this.siteSummaries(), alert: null });
    this.arm();
  }

  private arm(): void {
    let next: number | null = null;
    for (const cam of this.cams.values()) next = minOf(next, cam.next);
    this.alarm.set(next);
  }

  private rowOf(camera: StoredCamera, cam: CameraWatch, situation: Situation): CameraHeartbeat {
    const expectation = this.deps.inventory.heartbeats.cameras[camera.id];
    const schedule = expectation?.schedule ?? null;
    const periodMinutes = camera.heartbeatMinutes;
    const v = cam.verdict;
    const last = cam.recent[0] ?? null;
    return {
      cameraId: camera.id,
      cameraName: camera.name,
      siteId: camera.siteId,
      siteName: situation.siteName.get(camera.siteId) ?? '',
      state: v?.state ?? null,
      since: v?.state === null ? null : iso(cam.since),
      detail: v ? describe(v) + (v.state === 'up' && last?.folderRole === 'junk' ? JUNK_NOTE : '') : '',
      lastBeatAt: iso(last?.receivedAt ?? null),
      lastBeatFolder: last?.folderRole ?? null,
      expectedBy: iso(v?.expectedBy ?? null),
      downAt: iso(v?.downAt ?? null),
      periodMinutes,
      graceMinutes: expectation?.graceMinutes ?? defaultGraceMinutes({ periodMinutes, schedule }),
      schedule,
      jitterMinutes: cam.jitter ? Math.round(cam.jitter.jitterMinutes * 10) / 10 : null,
      mailboxes: situation.covering(camera).map((m) => {
        const h = this.deps.inbound.health(m.id);
        return { id: m.id, title: m.title, state: h?.state ?? null, watching: h?.watching ?? false };
      }),
      pausedUntil: v?.state === 'paused' ? iso(v.next) : null,
    };
  }

  /** Every camera's row (kept from its last evaluation; a camera not evaluated yet is, now). */
  rows(): CameraHeartbeat[] {
    const missing = this.deps.inventory.cameras.filter((c) => !this.cams.get(c.id)?.row);
    if (missing.length)
      this.evaluate(
        missing.map((c) => c.id),
        'Camera added',
      );
    return this.deps.inventory.cameras.map((camera) => this.cams.get(camera.id)!.row!);
  }

  row(cameraId: string): CameraHeartbeat | null {
    const camera = this.deps.inventory.camera(cameraId);
    if (!camera) return null;
    if (!this.cams.get(cameraId)?.row) this.evaluate([cameraId], 'Camera added');
    return this.cams.get(cameraId)!.row;
  }

  /** The learned median interval of a camera's heartbeats, in minutes (null: too few). */
  learnedPeriod(cameraId: string): number | null {
    const jitter = this.cams.get(cameraId)?.jitter;
    return jitter ? Math.round(jitter.medianMinutes) : null;
  }

  /** Counts by state per site, its worst state and its newest heartbeat ("last OK"). */
  siteSummaries(): SiteHeartbeats[] {
    const out = new Map<string, SiteHeartbeats>();
    for (const site of this.deps.inventory.sites)
      out.set(site.id, {
        siteId: site.id,
        siteName: site.name,
        counts: emptyCounts(),
        notSetUp: 0,
        worst: null,
        lastOkAt: null,
      });
    const newest = new Map<string, number>();
    for (const camera of this.deps.inventory.cameras) {
      const summary = out.get(camera.siteId);
      const cam = this.cams.get(camera.id);
      if (!summary || !cam) continue;
      const state = cam.verdict?.state ?? null;
      if (state === null) summary.notSetUp++;
      else {
        summary.counts[state]++;
        if (summary.worst === null || STATE_RANK[state] < STATE_RANK[summary.worst]) summary.worst = state;
      }
      const last = cam.recent[0]?.receivedAt;
      if (last !== undefined && last > (newest.get(camera.siteId) ?? -Infinity))
        newest.set(camera.siteId, last);
    }
    for (const [siteId, at] of newest) out.get(siteId)!.lastOkAt = iso(at);
    return [...out.values()];
  }
}

export function emptyCounts(): StateCounts {
  return Object.fromEntries(HEARTBEAT_STATES.map((s) => [s, 0])) as StateCounts;
}

/** A message given to a camera, as the history keeps it. */
function beatOf(m: InboundMessage, found: Match): BeatRow {
  return {
    messageKey: m.key,
    cameraId: found.cameraId,
    ruleId: found.ruleId,
    // A mailbox clock ahead of ours must not make a camera look up for longer than it is.
    receivedAt: Math.min(Date.parse(m.receivedAt), Date.parse(m.seenAt)),
    sourceId: m.sourceId,
    folderRole: m.folderRole,
  };
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** Inserts a heartbeat into a newest-first list (catch-up can bring older mail late), capped. */
function insertBeat(list: BeatRow[], row: BeatRow): BeatRow[] {
  if (list.some((b) => b.messageKey === row.messageKey)) return list;
  const out = [...list];
  let i = 0;
  while (i < out.length && out[i]!.receivedAt > row.receivedAt) i++;
  out.splice(i, 0, row);
  return out.slice(0, RECENT_BEATS);
}
