import {
  ALERTED_STATES,
  type AlertSettings,
  type AlertTransition,
  type AlertedState,
  type HeartbeatAlert,
  type HeartbeatState,
} from '../../../shared/heartbeats.ts';
import type { Clock, Logger, Notifier } from '../adapters.ts';
import { Alarm } from './alarm.ts';
import type { HeartbeatStore } from './store.ts';

/** A camera's state change, as the monitor hands it over. */
export interface TransitionNotice extends AlertTransition {
  siteId: string;
  siteName: string;
  /** The new state in plain words (the unknown's reason: which mailbox, what is wrong with it). */
  detail: string;
}

/** Transitions of one site this close together make one alert. */
export const GATHER_MS = 20_000;
/**
 * After an alert, the same site's next alert of the same kind waits this long and carries every
 * transition since: cameras of a dead site go late one by one over a period (each at its own last
 * heartbeat + period), and that is one problem, not forty notifications.
 */
export const COOLDOWN_MS = 10 * 60_000;

export type AlertKind = HeartbeatAlert['kind'];

/** Which alert a transition belongs to, if any. */
export function alertKindOf(from: HeartbeatState | null, to: HeartbeatState | null): AlertKind | null {
  const bad = (s: HeartbeatState | null): s is AlertedState =>
    (ALERTED_STATES as readonly (string | null)[]).includes(s);
  if (bad(to) && to !== from) return 'problem';
  if (to === 'up' && bad(from)) return 'recovery';
  return null;
}

/** Sends an alert by e-mail when the settings ask for it: the delivery's id, or why not. */
export type Escalate = (
  alert: HeartbeatAlert,
  settings: AlertSettings['email'],
) => Promise<{ deliveryId: string | null; problem: string | null }>;

interface Bucket {
  siteId: string;
  siteName: string;
  kind: AlertKind;
  notices: TransitionNotice[];
  flushAt: number;
}

export interface AlertDeps {
  store: HeartbeatStore;
  settings: () => AlertSettings;
  notifier: Notifier | undefined;
  escalate: Escalate;
  clock: Clock;
  logger: Logger;
  /** Told of every alert once it is recorded (pushed to the renderer). */
  onAlert: (alert: HeartbeatAlert) => void;
}

const count = (n: number, word: string) => `${n} ${n === 1 ? word : `${word}s`}`;

function names(notices: readonly TransitionNotice[], max = 5): string {
  const all = [...new Set(notices.map((n) => n.cameraName))];
  if (all.length <= max)
    return all.length > 1 ? `${all.slice(0, -1).join(', ')} and ${all.at(-1)}` : (all[0] ?? '');
  return `${all.slice(0, max).join(', ')} and ${all.length - max} more`;
}

/** Title and body of an alert: one site named, the cameras counted by the state they ended in. */
export function describeAlert(
  siteName: string,
  kind: AlertKind,
  notices: readonly TransitionNotice[],
): { title: string; body: string } {
  const final = new Map<string, TransitionNotice>();
  for (const n of notices) final.set(n.cameraId, n);
  const cameras = [...final.values()];
  if (kind === 'recovery') {
    if (cameras.length === 1)
      return { title: `${siteName}: ${cameras[0]!.cameraName} is back up`, body: `Heartbeats arrive again.` };
    return {
      title: `${siteName}: ${count(cameras.length, 'camera')} back up`,
      body: `${names(cameras)}: heartbeats arrive again.`,
    };
  }
  if (cameras.length === 1) {
    const only = cameras[0]!;
    return { title: `${siteName}: ${only.cameraName} is ${only.to}`, body: only.detail };
  }
  const byState = new Map<HeartbeatState, TransitionNotice[]>();
  for (const c of cameras) byState.set(c.to, [...(byState.get(c.to) ?? []), c]);
  const order: HeartbeatState[] = ['down', 'late', 'unknown'];
  const parts = order.filter((s) => byState.has(s)).map((s) => `${byState.get(s)!.length} ${s}`);
  const title = `${siteName}: ${count(cameras.length, 'camera')} ${parts.length === 1 ? order.find((s) => byState.has(s)) : `(${parts.join(', ')})`}`;
  const unknown = byState.get('unknown');
  const body = `${names(cameras)}.${unknown ? ` ${unknown[0]!.detail}` : ''}`;
  return { title, body };
}

/**
 * Turns state changes into alerts: gathered per site and kind (GATHER_MS, COOLDOWN_MS), shown as
 * one OS notification naming the site, optionally e-mailed through a chosen connector, and recorded
 * — every transition in exactly one alert. Pending transitions are sent when the core closes, so
 * none is lost.
 */
export class HeartbeatAlerts {
  private readonly deps: AlertDeps;
  private readonly buckets = new Map<string, Bucket>();
  private readonly lastSent = new Map<string, number>();
  private readonly alarm: Alarm;
  private readonly sending = new Set<Promise<void>>();
  private readonly addedAt = new WeakMap<TransitionNotice, number>();

  constructor(deps: AlertDeps) {
    this.deps = deps;
    this.alarm = new Alarm(deps.clock, () => this.flush(false), 3_600_000);
  }

  add(notices: readonly TransitionNotice[]): void {
    const now = this.deps.clock.now();
    for (const notice of notices) {
      const kind = alertKindOf(notice.from, notice.to);
      if (!kind) continue;
      if (this.undoes(notice, now)) continue;
      const key = `${notice.siteId}|${kind}`;
      let bucket = this.buckets.get(key);
      if (!bucket) {
        const last = this.lastSent.get(key);
        bucket = {
          siteId: notice.siteId,
          siteName: notice.siteName,
          kind,
          notices: [],
          flushAt: Math.max(now + GATHER_MS, last === undefined ? 0 : last + COOLDOWN_MS),
        };
        this.buckets.set(key, bucket);
      }
      bucket.notices.push(notice);
      this.addedAt.set(notice, now);
    }
    this.arm();
  }

  /**
   * A change that undoes one still gathering (added less than GATHER_MS ago) — a watcher
   * restarted after an edit, a camera that flapped — takes that one back: nothing happened that
   * needs saying. Both changes stay in the camera's history.
   */
  private undoes(notice: TransitionNotice, now: number): boolean {
    for (const [key, bucket] of this.buckets) {
      const i = bucket.notices.findIndex(
        (n) =>
          n.cameraId === notice.cameraId &&
          n.to === notice.from &&
          n.from === notice.to &&
          now - (this.addedAt.get(n) ?? -Infinity) < GATHER_MS,
      );
      if (i < 0) continue;
      bucket.notices.splice(i, 1);
      if (bucket.notices.length === 0) this.buckets.delete(key);
      return true;
    }
    return false;
  }

  /** Sends every pending alert now (the core is closing) and waits for their e-mails to be queued. */
  async close(): Promise<void> {
    this.alarm.stop();
    this.flush(true);
    await Promise.all(this.sending);
  }

  private arm(): void {
    let next: number | null = null;
    for (const b of this.buckets.values()) if (next === null || b.flushAt < next) next = b.flushAt;
    this.alarm.set(next);
  }

  private flush(all: boolean): void {
    const now = this.deps.clock.now();
    for (const [key, bucket] of this.buckets) {
      if (!all && bucket.flushAt > now) continue;
      this.buckets.delete(key);
      this.lastSent.set(key, now);
      const job = this.send(bucket, now).catch((error: unknown) =>
        this.deps.logger.error('heartbeats: an alert could not be recorded', { error: String(error) }),
      );
      this.sending.add(job);
      void job.finally(() => this.sending.delete(job));
    }
    if (!all) this.arm();
  }

  private async send(bucket: Bucket, now: number): Promise<void> {
    const settings = this.deps.settings();
    const { title, body } = describeAlert(bucket.siteName, bucket.kind, bucket.notices);
    const alert: HeartbeatAlert = {
      id: crypto.randomUUID(),
      at: new Date(now).toISOString(),
      siteId: bucket.siteId,
      siteName: bucket.siteName,
      kind: bucket.kind,
      title,
      body,
      transitions: bucket.notices.map(({ cameraId, cameraName, from, to, at }) => ({
        cameraId,
        cameraName,
        from,
        to,
        at,
      })),
      notified: false,
      deliveryId: null,
      emailProblem: null,
    };
    if (settings.notify && this.deps.notifier) {
      try {
        this.deps.notifier.notify({ title, body, urgent: bucket.kind === 'problem' });
        alert.notified = true;
      } catch (error) {
        this.deps.logger.warn('heartbeats: the OS notification failed', { error: String(error) });
      }
    }
    if (wantsEmail(settings.email, bucket)) {
      try {
        const sent = await this.deps.escalate(alert, settings.email);
        alert.deliveryId = sent.deliveryId;
        alert.emailProblem = sent.problem;
      } catch (error) {
        alert.emailProblem = `The alert e-mail could not be queued: ${String(error)}`;
      }
    }
    this.deps.store.saveAlert(alert);
    this.deps.onAlert(alert);
  }
}

function wantsEmail(email: AlertSettings['email'], bucket: Bucket): boolean {
  if (!email.enabled) return false;
  const states = email.states as readonly HeartbeatState[];
  if (bucket.kind === 'problem') return bucket.notices.some((n) => states.includes(n.to));
  return email.recoveries && bucket.notices.some((n) => n.from !== null && states.includes(n.from));
}
