import { durationLabel, type HeartbeatSchedule, type HeartbeatState } from '../../../shared/heartbeats.ts';
import { nextOccurrence } from './schedule.ts';

/** What one camera's state depends on, at one instant. */
export interface LatenessInput {
  periodMs: number | null;
  graceMs: number;
  schedule: HeartbeatSchedule | null;
  /** The newest heartbeat (the earlier of when the mailbox received it and when AlertDesk read it). */
  lastBeatAt: number | null;
  /** A maintenance window covers now: paused until its end. */
  pause: { from: number; until: number; reason: string } | null;
  /** The end of the latest maintenance window that has ended: lateness counts from there. */
  resumedAt: number | null;
  /** Whether the mailboxes that would show the heartbeat are being read; why not, since when. */
  watch: { ok: true } | { ok: false; reason: string; since: number };
  now: number;
}

export interface Verdict {
  /** null: nothing is expected from this camera. */
  state: HeartbeatState | null;
  /** When the state became true, when that is known from the inputs (a grace that ran out…). */
  since: number | null;
  expectedBy: number | null;
  downAt: number | null;
  /** When time alone would change the verdict; null when only an event can. */
  next: number | null;
  lastBeatAt: number | null;
  graceMs: number;
  /** Why paused or unknown (the maintenance window's reason, the mailbox's trouble). */
  reason: string;
}

/**
 * Healthchecks.io's model: `up` until the period has passed since the last heartbeat (or the next
 * scheduled time, for a schedule), `late` for the grace after that, then `down`. Paused and unknown
 * come first: a maintenance window says the silence is expected; a mailbox that is not being read
 * cannot say whether mail came, so the camera is neither up nor down. No words are built here
 * (thousands of cameras are evaluated at a time): `describe` says it when it is shown.
 */
export function evaluate(input: LatenessInput): Verdict {
  const { periodMs, graceMs, schedule, lastBeatAt, now } = input;
  const v: Verdict = {
    state: null,
    since: null,
    expectedBy: null,
    downAt: null,
    next: null,
    lastBeatAt,
    graceMs,
    reason: '',
  };
  if (periodMs === null && schedule === null) return v;
  if (input.pause) {
    v.state = 'paused';
    v.since = input.pause.from;
    v.next = input.pause.until;
    v.reason = input.pause.reason;
    return v;
  }
  if (!input.watch.ok) {
    v.state = 'unknown';
    v.since = input.watch.since;
    v.reason = input.watch.reason;
    return v;
  }
  if (lastBeatAt === null) {
    v.state = 'new';
    return v;
  }
  // Silence during a maintenance window is not lateness: the clock restarts at its end.
  const base = input.resumedAt !== null && input.resumedAt > lastBeatAt ? input.resumedAt : lastBeatAt;
  // A scheduled time that falls within the grace after a heartbeat is covered by it (a camera that
  // sends at 07:59 for 08:00 is on time).
  const expectedBy = schedule ? nextOccurrence(schedule, base + graceMs) : base + periodMs!;
  const downAt = expectedBy + graceMs;
  v.expectedBy = expectedBy;
  v.downAt = downAt;
  if (now < expectedBy) {
    v.state = 'up';
    v.since = lastBeatAt;
    v.next = expectedBy;
  } else if (now < downAt) {
    v.state = 'late';
    v.since = expectedBy;
    v.next = downAt;
  } else {
    v.state = 'down';
    v.since = downAt;
  }
  return v;
}

/**
 * The verdict in plain words: why the state is what it is and, where it helps, what to do. With
 * `now`, how long ago and how overdue (a state change's cause, an alert); without, words that stay
 * true while the state lasts (a table row, which shows the times beside them).
 */
export function describe(v: Verdict, now?: number): string {
  const grace = durationLabel(v.graceMs);
  const silent = now === undefined || v.lastBeatAt === null ? null : durationLabel(now - v.lastBeatAt);
  switch (v.state) {
    case null:
      return 'No heartbeat is expected: set a period or a daily schedule to watch this camera.';
    case 'paused':
      return `Paused for maintenance${v.reason ? `: ${v.reason}` : ''}; silence is not counted until the window ends.`;
    case 'unknown':
      return v.reason;
    case 'new':
      return 'Waiting for the first heartbeat: none has been matched to this camera yet.';
    case 'up':
      return silent === null
        ? 'On time: the last heartbeat came within the period.'
        : `Last heartbeat ${silent} ago; the next is due in ${durationLabel(v.expectedBy! - now!)}.`;
    case 'late':
      return silent === null
        ? `Overdue: no heartbeat since the period ended; down if none comes within the grace of ${grace}.`
        : `No heartbeat for ${silent}: it is ${durationLabel(now! - v.expectedBy!)} overdue, and down if none comes within ${durationLabel(v.downAt! - now!)}.`;
    case 'down':
      return silent === null
        ? `No heartbeat through the period and the grace of ${grace}. Check the camera's power, network and mail settings.`
        : `No heartbeat for ${silent}: it is ${durationLabel(now! - v.expectedBy!)} overdue and the grace of ${grace} has run out. Check the camera's power, network and mail settings.`;
  }
}

/**
 * The period learned from the last heartbeats (median interval) and how far they stray from it
 * (the 90th percentile of the deviation), both in minutes. Bursts (mail seconds apart: an alert
 * and a heartbeat together) are left out. Null with fewer than three intervals.
 */
export function learnJitter(
  beatsNewestFirst: readonly number[],
): { medianMinutes: number; jitterMinutes: number } | null {
  const intervals: number[] = [];
  for (let i = 0; i + 1 < beatsNewestFirst.length; i++) {
    const d = beatsNewestFirst[i]! - beatsNewestFirst[i + 1]!;
    if (d >= 30_000) intervals.push(d);
  }
  if (intervals.length < 3) return null;
  const sorted = [...intervals].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const deviations = intervals.map((d) => Math.abs(d - median)).sort((a, b) => a - b);
  const p90 = deviations[Math.min(deviations.length - 1, Math.floor(deviations.length * 0.9))]!;
  return { medianMinutes: median / 60_000, jitterMinutes: p90 / 60_000 };
}
