import { describe, expect, it } from 'vitest';
import {
  describe as words,
  evaluate,
  learnJitter,
  type LatenessInput,
} from '../../electron/core/heartbeats/lateness.ts';
import { nextOccurrence } from '../../electron/core/heartbeats/schedule.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-12-01T08:00:00Z');
const base: LatenessInput = {
  periodMs: 60 * MIN,
  graceMs: 15 * MIN,
  schedule: null,
  lastBeatAt: T0,
  pause: null,
  resumedAt: null,
  watch: { ok: true },
  now: T0,
};
const at = (minutes: number, over: Partial<LatenessInput> = {}) =>
  evaluate({ ...base, now: T0 + minutes * MIN, ...over });

describe('lateness (period and grace)', () => {
  it('is up until the period has passed, late for the grace, then down — and says when each changes', () => {
    expect(at(59)).toMatchObject({ state: 'up', since: T0, expectedBy: T0 + 60 * MIN, next: T0 + 60 * MIN });
    expect(at(60)).toMatchObject({ state: 'late', since: T0 + 60 * MIN, next: T0 + 75 * MIN });
    expect(words(at(74), T0 + 74 * MIN)).toMatch(
      /No heartbeat for 1 h 14 min: it is 14 min overdue, and down if none comes within 1 min/,
    );
    expect(at(75)).toMatchObject({ state: 'down', since: T0 + 75 * MIN, next: null });
  });

  it('is new before the first heartbeat and not watched at all without a period or schedule', () => {
    expect(at(500, { lastBeatAt: null })).toMatchObject({ state: 'new', next: null });
    expect(at(500, { periodMs: null })).toMatchObject({ state: null });
  });

  it('puts paused before unknown before the rest, and restarts the clock when maintenance ends', () => {
    const pause = { from: T0 + 10 * MIN, until: T0 + 300 * MIN, reason: 'Replacing the switch' };
    const unknown = { ok: false as const, reason: 'Mailbox "Ops" is reconnecting', since: T0 + 5 * MIN };
    expect(at(200, { pause, watch: unknown })).toMatchObject({
      state: 'paused',
      since: pause.from,
      next: pause.until,
    });
    expect(at(200, { watch: unknown })).toMatchObject({
      state: 'unknown',
      since: T0 + 5 * MIN,
      reason: unknown.reason,
    });
    // Silent through the window: up again from its end, late a period after it.
    expect(at(301, { resumedAt: pause.until })).toMatchObject({
      state: 'up',
      expectedBy: pause.until + 60 * MIN,
    });
    expect(at(360, { resumedAt: pause.until })).toMatchObject({ state: 'late' });
  });
});

describe('daily schedules', () => {
  const paris = { times: ['08:00'], timeZone: 'Europe/Paris' };

  it('expects the next scheduled time after a heartbeat, in the camera’s time zone', () => {
    // 08:00 in Paris is 07:00 UTC in winter.
    const beat = Date.parse('2026-12-01T07:01:00Z');
    const v = evaluate({
      ...base,
      periodMs: null,
      schedule: paris,
      graceMs: 30 * MIN,
      lastBeatAt: beat,
      now: beat + MIN,
    });
    expect(new Date(v.expectedBy!).toISOString()).toBe('2026-12-02T07:00:00.000Z');
    // A heartbeat a little early (07:59 local) covers that day's 08:00.
    const early = Date.parse('2026-12-02T06:59:00Z');
    const w = evaluate({
      ...base,
      periodMs: null,
      schedule: paris,
      graceMs: 30 * MIN,
      lastBeatAt: early,
      now: early,
    });
    expect(new Date(w.expectedBy!).toISOString()).toBe('2026-12-03T07:00:00.000Z');
  });

  it('follows daylight saving: 08:00 in Paris is 06:00 UTC in summer', () => {
    const spring = Date.parse('2026-03-28T12:00:00Z'); // the clocks go forward on the 29th
    expect(new Date(nextOccurrence(paris, spring)).toISOString()).toBe('2026-03-29T06:00:00.000Z');
    expect(
      new Date(
        nextOccurrence(
          { times: ['20:00', '08:00'], timeZone: 'America/New_York' },
          Date.parse('2026-07-01T13:00:00Z'),
        ),
      ).toISOString(),
    ).toBe('2026-07-02T00:00:00.000Z');
  });
});

describe('jitter learned from history', () => {
  it('gives the median interval and the 90th percentile of the deviation, leaving bursts out', () => {
    const beats = [0, 60, 121, 180, 242, 242.2, 300].map((m) => T0 - m * MIN);
    const j = learnJitter(beats)!;
    expect(j.medianMinutes).toBe(60);
    expect(j.jitterMinutes).toBeCloseTo(2.2);
    expect(learnJitter(beats.slice(0, 3))).toBeNull();
  });
});
