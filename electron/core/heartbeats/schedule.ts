import type { HeartbeatSchedule } from '../../../shared/heartbeats.ts';

/**
 * Daily schedules ("at 08:00 and 20:00, Europe/Paris") turned into instants. The camera's wall
 * clock, not the laptop's: an integrator in one time zone watches sites in others. Daylight-saving
 * gaps and repeats resolve the way the zone's own clocks do (Intl's offsets), checked at the result.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Offsets change only at hour boundaries in practice; cached per zone and hour. */
const offsets = new Map<string, number>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's wall clock at `ms` as if it were UTC, minus `ms`: the zone's offset in ms. */
export function zoneOffset(ms: number, zone: string): number {
  const key = `${zone}|${Math.floor(ms / HOUR)}`;
  const cached = offsets.get(key);
  if (cached !== undefined) return cached;
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(ms)))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  const offset = wall - Math.floor(ms / 1000) * 1000;
  if (offsets.size > 10_000) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

/** The instant at which the zone's clocks show the given date and time. */
function instantOf(year: number, month: number, day: number, minutes: number, zone: string): number {
  const guess = Date.UTC(year, month, day, 0, minutes);
  const first = guess - zoneOffset(guess, zone);
  const second = guess - zoneOffset(first, zone);
  return second;
}

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** The first scheduled instant strictly after `after`. */
export function nextOccurrence(schedule: HeartbeatSchedule, after: number): number {
  const local = new Date(after + zoneOffset(after, schedule.timeZone));
  const times = schedule.times.map(minutesOf).sort((a, b) => a - b);
  for (let d = -1; d <= 2; d++) {
    for (const minutes of times) {
      const at = instantOf(
        local.getUTCFullYear(),
        local.getUTCMonth(),
        local.getUTCDate() + d,
        minutes,
        schedule.timeZone,
      );
      if (at > after) return at;
    }
  }
  // Unreachable with at least one time a day; a day later keeps callers finite regardless.
  return after + DAY;
}
