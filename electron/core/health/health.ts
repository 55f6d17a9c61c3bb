import type { EventMap, EventTopic } from '../../../shared/contract.ts';
import {
  HEALTH_RANK,
  emptyCounts,
  rollUp,
  worst,
  type CameraHealth,
  type ConnectorHealth,
  type HealthCounts,
  type HealthLevel,
  type HealthOverview,
  type HealthReason,
  type HealthSignal,
  type LastResult,
  type SiteHealth,
} from '../../../shared/health.ts';
import type { RunItem } from '../../../shared/runs.ts';
import type { Finding } from '../../../shared/vault.ts';
import { plural } from '../../../shared/words.ts';
import type { Inventory, StoredAppPassword, StoredCamera, StoredConnector } from '../inventory/inventory.ts';
import type { LastResults } from './last-results.ts';
import {
  cameraResult,
  connectorResults,
  isCameraOwnFailure,
  isLoginFailure,
  titleOf,
} from './run-results.ts';

/**
 * A source of health signals beside AlertDesk's own results: the heartbeat watcher registers one
 * (per-camera heartbeat states through HEARTBEAT_HEALTH), and calls `changed()` on the health
 * service when its signals change. Without any source, health simply has no such part.
 */
export interface HealthSignalSource {
  /** Shown as the reason's source ("heartbeats"). */
  readonly name: string;
  /** The current signals; called on every health read, so it should answer from memory. */
  signals(): Iterable<HealthSignal>;
  /**
   * When each camera last proved its alert path through this source (its last heartbeat), by
   * camera ID: counted in its site's "last OK" beside AlertDesk's own tests.
   */
  lastOk?(): Iterable<{ cameraId: string; at: string }>;
}

export interface HealthDeps {
  inventory: Inventory;
  results: LastResults;
  now: () => number;
  /** The vault's findings (suspected revoked, Outlook.com, Office 365…). */
  findings: () => Finding[];
  /** Every item of a run, once it has ended. */
  runItems: (runId: string) => RunItem[];
  /** The connector an app-password record is verified through, or null (the provider's server). */
  verifiedThrough: (recordId: string) => string | null;
  /** Tells the renderer that health may have changed. */
  emit: (payload: EventMap['health']) => void;
}

interface Computed {
  cameras: CameraHealth[];
  connectors: ConnectorHealth[];
  sites: SiteHealth[];
}

const DAY = 86_400_000;
/** Health events are coalesced: a run of 1,000 cameras changes health a thousand times. */
const EVENT_DELAY_MS = 300;

const SOURCE_WORD = {
  test: 'Test e-mail',
  run: 'Handover run',
  verify: 'App-password verification',
  bench: 'Bench inbox',
} as const;

/**
 * Health at a glance: a state per camera, connector and site (failing, at risk, healthy, unknown)
 * with the reasons for it. It keeps the last result of cameras and connectors up to date from the
 * core's own events (handover runs, verifications; a connector's test e-mail is its `lastTest`)
 * and reads the inventory, the vault's findings and any registered signal source when asked.
 */
export class HealthService {
  private readonly d: HealthDeps;
  private readonly sources = new Set<HealthSignalSource>();
  private timer: NodeJS.Timeout | null = null;

  constructor(deps: HealthDeps) {
    this.d = deps;
  }

  /** Adds a signal source; returns the function that removes it. */
  register(source: HealthSignalSource): () => void {
    this.sources.add(source);
    this.changed();
    return () => {
      this.sources.delete(source);
      this.changed();
    };
  }

  /** Schedules one 'health' event for everything that changed in the next moment. */
  changed(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.d.emit({ at: new Date(this.d.now()).toISOString() });
    }, EVENT_DELAY_MS);
    this.timer.unref?.();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Every event the core emits passes here first: runs and verifications update last results. */
  observe<K extends EventTopic>(topic: K, payload: EventMap[K]): void {
    if (topic === 'run') {
      const { run, items } = payload as EventMap['run'];
      for (const item of items) {
        const result = cameraResult(run.id, finished(item));
        if (result) this.d.results.record('camera', item.cameraId!, result);
      }
      if (run.status !== 'running') {
        const all = this.d.runItems(run.id).map(finished);
        for (const [id, result] of connectorResults(run.id, all))
          this.d.results.record('connector', id, result);
      }
      if (items.length || run.status !== 'running') this.changed();
    } else if (topic === 'verify') {
      const { last } = payload as EventMap['verify'];
      if (!last) return;
      const connectorId = this.d.verifiedThrough(last.recordId);
      // A rejected app password is the camera's, not the connector's: only a login that worked,
      // or a failure of the server or the connection, says something about the connector.
      const aboutConnector =
        last.ok || (last.failureClass !== null && !isCameraOwnFailure(last.failureClass));
      if (connectorId && aboutConnector) {
        this.d.results.record('connector', connectorId, {
          at: this.d.now(),
          ok: last.ok,
          source: 'verify',
          ref: last.recordId,
          failureClass: last.failureClass,
          summary: last.ok
            ? `Login of ${last.account} accepted (app-password verification, no e-mail sent)`
            : last.message,
        });
      }
      this.changed();
    } else if (topic === 'bench') {
      // A camera's mail received by the bench inbox is its last result (issue 13).
      const { message } = payload as EventMap['bench'];
      if (!message?.camera) return;
      const images = message.snapshots.filter((s) => s.imageKind).length;
      this.d.results.record('camera', message.camera.id, {
        at: Date.parse(message.receivedAt),
        ok: true,
        source: 'bench',
        ref: message.id,
        failureClass: null,
        summary: `Received by the bench inbox${images ? ` with ${plural(images, 'snapshot')}` : ''}${message.login ? `, logged in as ${message.login}` : ''}`,
      });
      this.changed();
    } else if (topic === 'delivery') {
      const { delivery } = payload as EventMap['delivery'];
      if (delivery.kind === 'test' && (delivery.status === 'sent' || delivery.status === 'failed'))
        this.changed();
    }
  }

  cameras(): CameraHealth[] {
    return this.compute().cameras;
  }

  connectors(): ConnectorHealth[] {
    return this.compute().connectors;
  }

  overview(): HealthOverview {
    const { cameras, connectors, sites } = this.compute();
    return {
      computedAt: new Date(this.d.now()).toISOString(),
      sites,
      totals: {
        sites: countOf(sites),
        connectors: countOf(connectors),
        cameras: countOf(cameras),
      },
      sources: [...this.sources].map((s) => s.name),
    };
  }

  private compute(): Computed {
    const inv = this.d.inventory;
    const now = this.d.now();
    const staleBefore = new Date(now - inv.settings.verifyStaleDays * DAY).toISOString();
    const signals = this.signals();
    const provenAt = this.provenAt();
    const stored = { camera: this.d.results.of('camera'), connector: this.d.results.of('connector') };
    const findingReasons = cameraFindings(this.d.findings());

    const connectors = new Map<string, ConnectorHealth>();
    for (const c of inv.connectors) {
      const reasons: HealthReason[] = [];
      if (c.state === 'STOPPED')
        reasons.push({
          level: 'failing',
          source: 'connector',
          text: 'STOPPED: AlertDesk refuses to send through it. Start it, or send a test e-mail (a passing test starts it).',
          short: `Connector "${c.title}" is STOPPED`,
        });
      const lastResult = newest(stored.connector.get(c.id) ?? null, testResult(c));
      reasons.push(resultReason(lastResult, now, staleBefore));
      reasons.push(...(signals.get(`connector:${c.id}`) ?? []));
      connectors.set(c.id, {
        connectorId: c.id,
        siteId: c.siteId,
        level: worst(reasons.map((r) => r.level)),
        reasons: sorted(reasons),
        lastResult,
        cameras: emptyCounts(),
      });
    }

    const cameras: CameraHealth[] = [];
    for (const c of inv.cameras) {
      const connector = c.connectorId ? inv.connector(c.connectorId) : undefined;
      const record = c.appPasswordId ? inv.appPassword(c.appPasswordId) : undefined;
      const reasons = setupReasons(c, connector, record);
      const lastResult = cameraLastResult(stored.camera.get(c.id) ?? null, record);
      const verifyFailed = lastResult?.source === 'verify' && !lastResult.ok;
      for (const r of findingReasons.get(c.id) ?? [])
        if (!(verifyFailed && r.finding === 'suspected-revoked')) reasons.push(r.reason);
      reasons.push(resultReason(lastResult, now, staleBefore));
      reasons.push(...(signals.get(`camera:${c.id}`) ?? []));
      const health: CameraHealth = {
        cameraId: c.id,
        siteId: c.siteId,
        connectorId: c.connectorId,
        level: worst(reasons.map((r) => r.level)),
        reasons: sorted(reasons),
        lastResult,
      };
      cameras.push(health);
      if (c.connectorId) {
        const ch = connectors.get(c.connectorId);
        if (ch) ch.cameras[health.level]++;
      }
    }

    const bySite = new Map<string, { connectors: ConnectorHealth[]; cameras: CameraHealth[] }>();
    const partsOf = (siteId: string) => {
      let parts = bySite.get(siteId);
      if (!parts) bySite.set(siteId, (parts = { connectors: [], cameras: [] }));
      return parts;
    };
    for (const c of connectors.values()) partsOf(c.siteId).connectors.push(c);
    for (const c of cameras) partsOf(c.siteId).cameras.push(c);
    const sites = inv.sites.map((s): SiteHealth => {
      const { connectors: ownConnectors, cameras: ownCameras } = partsOf(s.id);
      const cameraCounts = countOf(ownCameras);
      const connectorCounts = countOf(ownConnectors);
      const siteSignals = signals.get(`site:${s.id}`) ?? [];
      const parts = ownConnectors.length + ownCameras.length;
      const all: HealthCounts = emptyCounts();
      for (const l of Object.keys(all) as HealthLevel[]) all[l] = cameraCounts[l] + connectorCounts[l];
      const level = parts
        ? worstOf(
            rollUp(all),
            siteSignals.map((r) => r.level),
          )
        : worst(siteSignals.map((r) => r.level));
      const results = [...ownConnectors, ...ownCameras].map((x) => x.lastResult);
      return {
        siteId: s.id,
        name: s.name,
        customer: s.customer,
        handover: s.handover,
        level,
        reasons: parts
          ? siteReasons(ownConnectors, ownCameras, inv, siteSignals)
          : [
              ...siteSignals,
              {
                level: 'unknown',
                source: 'setup',
                text: 'Nothing set up yet: add a connector and the cameras.',
                short: 'Nothing set up yet',
              },
            ],
        cameras: cameraCounts,
        connectors: connectorCounts,
        lastOkAt: latest([
          ...results.map((r) => r?.lastOkAt ?? null),
          ...ownCameras.map((c) => provenAt.get(c.cameraId) ?? null),
        ]),
        lastResultAt: latest(results.map((r) => r?.at ?? null)),
      };
    });
    sites.sort(
      (a, b) =>
        HEALTH_RANK[a.level] - HEALTH_RANK[b.level] ||
        b.cameras.failing + b.connectors.failing - (a.cameras.failing + a.connectors.failing) ||
        NATURAL.compare(a.name, b.name),
    );
    return { cameras, connectors: [...connectors.values()], sites };
  }

  /** The latest time each camera proved itself through any source, by camera ID. */
  private provenAt(): Map<string, string> {
    const out = new Map<string, string>();
    for (const source of this.sources) {
      for (const { cameraId, at } of source.lastOk?.() ?? []) {
        const before = out.get(cameraId);
        if (!before || at > before) out.set(cameraId, at);
      }
    }
    return out;
  }

  /** Every registered source's signals as reasons, by `subject:id`. */
  private signals(): Map<string, HealthReason[]> {
    const out = new Map<string, HealthReason[]>();
    for (const source of this.sources) {
      for (const s of source.signals()) {
        const key = `${s.subject}:${s.id}`;
        const reason: HealthReason = { level: s.level, source: source.name, text: s.text, short: s.text };
        const list = out.get(key);
        if (list) list.push(reason);
        else out.set(key, [reason]);
      }
    }
    return out;
  }
}

const NATURAL = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function finished(item: RunItem) {
  return {
    cameraId: item.cameraId,
    connectorId: item.connectorId,
    status: item.status,
    failureClass: item.failureClass,
    explanation: item.explanation,
    finishedAt: item.finishedAt ? Date.parse(item.finishedAt) : 0,
  };
}

function countOf(list: Array<{ level: HealthLevel }>): HealthCounts {
  const counts = emptyCounts();
  for (const x of list) counts[x.level]++;
  return counts;
}

function sorted(reasons: HealthReason[]): HealthReason[] {
  return [...reasons].sort((a, b) => HEALTH_RANK[a.level] - HEALTH_RANK[b.level]);
}

function worstOf(level: HealthLevel, others: HealthLevel[]): HealthLevel {
  return others.length ? worst([level, ...others]) : level;
}

function latest(times: Array<string | null>): string | null {
  let out: string | null = null;
  for (const t of times) if (t && (!out || t > out)) out = t;
  return out;
}

function newest(a: LastResult | null, b: LastResult | null): LastResult | null {
  if (!a || !b) return a ?? b;
  const [recent, older] = a.at >= b.at ? [a, b] : [b, a];
  return { ...recent, lastOkAt: latest([recent.lastOkAt, older.lastOkAt]) };
}

/** A connector's own test e-mail as a last result. */
function testResult(c: StoredConnector): LastResult | null {
  const t = c.lastTest;
  if (!t) return null;
  return {
    at: t.at,
    ok: t.ok,
    source: 'test',
    ref: t.deliveryId,
    failureClass: t.failureClass,
    summary: t.summary,
    lastOkAt: t.ok ? t.at : null,
  };
}

/**
 * A camera's last result: its last handover run or its app password's last verification, whichever
 * is newer — except that a login accepted later does not clear a run that failed on something a
 * login does not prove (a refused recipient, a server that dropped the message).
 */
function cameraLastResult(run: LastResult | null, record: StoredAppPassword | undefined): LastResult | null {
  const v = record?.lastVerified;
  const verify: LastResult | null = v
    ? {
        at: v.at,
        ok: v.ok,
        source: 'verify',
        ref: record.id,
        failureClass: v.failureClass,
        summary: v.ok ? 'App password verified: login accepted (no e-mail sent)' : v.message,
        lastOkAt: v.ok ? v.at : null,
      }
    : null;
  if (run && !run.ok && verify?.ok && verify.at > run.at && !isLoginFailure(run.failureClass))
    return { ...run, lastOkAt: latest([run.lastOkAt, verify.lastOkAt]) };
  return newest(run, verify);
}

/** `staleBefore`: the ISO time before which a result is too old to count as proof (ISO times compare as text). */
function resultReason(r: LastResult | null, now: number, staleBefore: string): HealthReason {
  if (!r)
    return {
      level: 'unknown',
      source: 'result',
      text: 'Never tested: send a test e-mail or include it in a handover run.',
      short: 'Never tested',
    };
  const what = SOURCE_WORD[r.source];
  if (!r.ok)
    return {
      level: 'failing',
      source: 'result',
      text: `${what} failed: ${r.summary}`,
      short: titleOf(r.failureClass),
    };
  if (r.at < staleBefore)
    return {
      level: 'at-risk',
      source: 'result',
      text: `Last proven ${plural(Math.floor((now - Date.parse(r.at)) / DAY), 'day')} ago (${what.toLowerCase()}): test it again.`,
      short: 'Not proven recently',
    };
  return { level: 'healthy', source: 'result', text: `${what}: ${r.summary}`, short: 'Works' };
}

/** What the inventory alone says about a camera: its connector, its login and its app-password record. */
function setupReasons(
  c: StoredCamera,
  connector: StoredConnector | undefined,
  record: StoredAppPassword | undefined,
): HealthReason[] {
  const out: HealthReason[] = [];
  if (!connector) {
    out.push({
      level: 'at-risk',
      source: 'setup',
      text: 'No connector: choose the connector its alert mail goes through, so it can be tested.',
      short: 'No connector',
    });
    return out;
  }
  if (connector.state === 'STOPPED')
    out.push({
      level: 'failing',
      source: 'connector',
      text: `Its connector "${connector.title}" is STOPPED: its alert mail is refused.`,
      short: `Connector "${connector.title}" is STOPPED`,
    });
  const ownLogin = c.smtpLogin !== '' && c.smtpLogin.toLowerCase() !== connector.username.toLowerCase();
  if (!record && ownLogin)
    out.push({
      level: 'at-risk',
      source: 'app-password',
      text: `It logs in as ${c.smtpLogin}, but that app password is not recorded in AlertDesk: it cannot be tested or re-entered. Record it.`,
      short: 'App password not recorded',
    });
  if (record?.status === 'revoked')
    out.push({
      level: 'failing',
      source: 'app-password',
      text: `Its app password (${record.account}) is revoked: create a new one and rotate the record.`,
      short: 'App password revoked',
    });
  else if (record?.status === 'retired')
    out.push({
      level: 'at-risk',
      source: 'app-password',
      text: `It still uses a retired app-password record (${record.account}): link it to the current one.`,
      short: 'Uses a retired app password',
    });
  else if (record && !record.secretSealed)
    out.push({
      level: 'at-risk',
      source: 'app-password',
      text: `The secret of its app password (${record.account}) was destroyed: record the current one.`,
      short: 'App password destroyed',
    });
  return out;
}

/** Findings that say a camera's alerts do not or may soon not get through, by camera. */
function cameraFindings(findings: Finding[]): Map<string, Array<{ finding: string; reason: HealthReason }>> {
  const out = new Map<string, Array<{ finding: string; reason: HealthReason }>>();
  for (const f of findings) {
    const reason = FINDING_REASON[f.kind];
    if (!reason) continue;
    for (const id of f.cameraIds) {
      const list = out.get(id) ?? [];
      list.push({ finding: f.kind, reason });
      out.set(id, list);
    }
  }
  return out;
}

/**
 * Findings that concern delivery. Never-verified and stale records are covered by the camera's own
 * last result (a passing handover run proves its app password), shared secrets are hygiene, and
 * cameras without a record are judged by their login in setupReasons.
 */
const FINDING_REASON: Partial<Record<Finding['kind'], HealthReason>> = {
  'suspected-revoked': {
    level: 'failing',
    source: 'app-password',
    text: 'Its app password is suspected revoked (the last verification was rejected): create a new one and rotate.',
    short: 'App password suspected revoked',
  },
  'outlook-account': {
    level: 'failing',
    source: 'app-password',
    text: 'Outlook.com no longer accepts app passwords for SMTP (since September 2024): move the camera to another provider or a relay.',
    short: 'Outlook.com blocks SMTP login',
  },
  'office365-account': {
    level: 'at-risk',
    source: 'app-password',
    text: 'Microsoft turns basic SMTP AUTH off for Office 365 tenants at the end of December 2026: check it is enabled, or plan a relay.',
    short: 'Office 365 basic SMTP AUTH ends',
  },
};

/** A site's reasons: its connectors' by name, its cameras' grouped ("9 cameras: Login rejected"). */
function siteReasons(
  connectors: ConnectorHealth[],
  cameras: CameraHealth[],
  inv: Inventory,
  signals: HealthReason[],
): HealthReason[] {
  const out: HealthReason[] = [...signals];
  for (const c of connectors) {
    const top = c.reasons[0];
    if (!top || c.level === 'healthy' || c.level === 'unknown') continue;
    const title = inv.connector(c.connectorId)?.title ?? 'connector';
    out.push({
      ...top,
      short: top.short.startsWith('Connector') ? top.short : `Connector "${title}": ${top.short}`,
    });
  }
  const groups = new Map<string, { reason: HealthReason; n: number }>();
  const healthy = cameras.filter((c) => c.level === 'healthy').length;
  for (const c of cameras) {
    if (c.level === 'healthy' || (c.level === 'unknown' && healthy === 0)) continue;
    const top = c.reasons[0]!;
    // A camera behind a STOPPED connector is already said by the connector's line.
    if (top.source === 'connector' && out.some((r) => r.short === top.short)) continue;
    const level: HealthLevel = c.level === 'unknown' ? 'at-risk' : c.level;
    const key = `${level}|${top.short}`;
    const g = groups.get(key);
    if (g) g.n++;
    else groups.set(key, { reason: { ...top, level }, n: 1 });
  }
  for (const { reason, n } of groups.values())
    out.push({ ...reason, short: `${plural(n, 'camera')}: ${reason.short.toLowerCase()}` });
  return sorted(out);
}
