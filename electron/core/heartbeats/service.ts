import type {
  CameraHeartbeat,
  CameraHeartbeatDetail,
  HeartbeatAlert,
  HeartbeatBeat,
  HeartbeatOverview,
  SiteHeartbeats,
} from '../../../shared/heartbeats.ts';
import { SOURCE_IDENTIFIED } from './matcher.ts';
import { ruleLabel } from '../../../shared/heartbeats.ts';
import { notFound } from '../../../shared/result.ts';
import type { CoreContext } from '../context.ts';
import { HeartbeatAlerts } from './alerts.ts';
import { HeartbeatSettings, type ExpectationFields } from './config.ts';
import { emailEscalation } from './escalation.ts';
import { HeartbeatMonitor } from './monitor.ts';
import { HeartbeatStore } from './store.ts';
import { MailMatching } from './unmatched.ts';

export type HeartbeatDeps = Pick<
  CoreContext,
  'db' | 'inventory' | 'inbound' | 'clock' | 'logger' | 'engine' | 'options' | 'emit'
>;

const TIMELINE = 60;
const TRANSITIONS = 30;
const DAY = 86_400_000;

/**
 * Heartbeats, put together: the settings the integrator edits, the monitor that keeps every
 * camera's state, the alerts, and the matching of mail to cameras. What other features need —
 * the Overview's roll-up (issue 15) above all — is here: `cameraState`, `siteSummaries`.
 */
export class HeartbeatService {
  readonly store: HeartbeatStore;
  readonly settings: HeartbeatSettings;
  readonly alerts: HeartbeatAlerts;
  readonly monitor: HeartbeatMonitor;
  readonly mail: MailMatching;
  private readonly deps: HeartbeatDeps;
  private readonly offCommit: () => void;
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly changeListeners = new Set<() => void>();

  constructor(deps: HeartbeatDeps) {
    this.deps = deps;
    const now = () => deps.clock.now();
    this.store = new HeartbeatStore(deps.db);
    this.settings = new HeartbeatSettings(deps.inventory, now);
    this.alerts = new HeartbeatAlerts({
      store: this.store,
      settings: () => deps.inventory.heartbeats.alerts,
      notifier: deps.options.notifier,
      escalate: emailEscalation(deps),
      clock: deps.clock,
      logger: deps.logger,
      onAlert: (alert) => deps.emit('heartbeats', { cameras: [], removed: [], sites: [], alert }),
    });
    this.monitor = new HeartbeatMonitor({
      inventory: deps.inventory,
      inbound: deps.inbound,
      store: this.store,
      alerts: this.alerts,
      clock: deps.clock,
      logger: deps.logger,
      emit: (event) => {
        deps.emit('heartbeats', event);
        for (const listener of this.changeListeners) listener();
      },
    });
    this.mail = new MailMatching({
      inventory: deps.inventory,
      inbound: deps.inbound,
      store: this.store,
      settings: this.settings,
      monitor: this.monitor,
      now,
    });
    // Settings of a deleted camera or site go with it; done after the commit that deleted it.
    this.offCommit = deps.inventory.onCommit((change) => {
      if (change.cameras || change.sites || change.connectors)
        queueMicrotask(() => {
          try {
            this.settings.dropOrphans();
          } catch (error) {
            deps.logger.error('heartbeats: could not drop the settings of deleted cameras', {
              error: String(error),
            });
          }
        });
    });
    this.settings.dropOrphans();
    this.monitor.start();
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), 6 * 3600_000);
    this.pruneTimer.unref();
  }

  /** Called whenever cameras' heartbeat rows change (the health roll-up follows them). */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  overview(): HeartbeatOverview {
    return {
      cameras: this.monitor.rows(),
      sites: this.monitor.siteSummaries(),
      evaluatedAt: new Date(this.deps.clock.now()).toISOString(),
    };
  }

  /** One camera's heartbeat state and the words for it, for the Overview's roll-up; null if no such camera. */
  cameraState(cameraId: string): CameraHeartbeat | null {
    return this.monitor.row(cameraId);
  }

  siteSummaries(): SiteHeartbeats[] {
    return this.monitor.siteSummaries();
  }

  detail(cameraId: string): CameraHeartbeatDetail {
    const row = this.monitor.row(cameraId);
    if (!row) throw notFound('Camera', cameraId);
    const situation = this.monitor.situation();
    const rules = this.settings.rules({ cameraId });
    const allRules = new Map(this.deps.inventory.heartbeats.rules.map((r) => [r.id, r]));
    const beats: HeartbeatBeat[] = this.store.timeline(cameraId, TIMELINE).map((b) => {
      const message = this.deps.inbound.get(b.messageKey);
      const rule = allRules.get(b.ruleId);
      return {
        messageKey: b.messageKey,
        receivedAt: new Date(b.receivedAt).toISOString(),
        sourceId: b.sourceId,
        mailboxTitle: situation.nameOf(b.sourceId),
        folder: message?.folder ?? '',
        folderRole: b.folderRole,
        from: message?.from ?? '',
        subject: message?.subject ?? '(no longer kept)',
        ruleId: b.ruleId,
        ruleLabel:
          b.ruleId === SOURCE_IDENTIFIED
            ? 'mail the camera sent to the bench inbox with its own login'
            : rule
              ? `mail ${ruleLabel(rule)}`
              : 'a rule that has since been deleted',
      };
    });
    const learned = this.monitor.learnedPeriod(cameraId);
    const suggested =
      learned !== null &&
      (row.periodMinutes === null || Math.abs(learned - row.periodMinutes) > row.periodMinutes * 0.2)
        ? learned
        : null;
    return {
      row,
      beats,
      transitions: this.store.transitions(cameraId, TRANSITIONS),
      rules,
      windows: this.settings.windows({ cameraId }),
      suggestedPeriodMinutes: suggested,
    };
  }

  setExpectation(cameraIds: readonly string[], fields: ExpectationFields, cause: string): void {
    const cameras = cameraIds.map((id) => {
      const c = this.deps.inventory.camera(id);
      if (!c) throw notFound('Camera', id);
      return c;
    });
    this.monitor.because(cause, () => this.settings.setExpectation(cameras, fields));
  }

  alertHistory(limit: number): HeartbeatAlert[] {
    return this.store.alerts(limit);
  }

  prune(): void {
    const before = this.deps.clock.now() - this.deps.inventory.settings.historyRetentionDays * DAY;
    const removed = this.store.prune(before);
    if (removed > 0) this.deps.logger.info('pruned heartbeat history', { removed });
  }

  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    this.offCommit();
    this.monitor.close();
    await this.alerts.close();
  }
}
