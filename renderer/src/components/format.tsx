/**
 * The one way counts and times are written across screens: plurals through Intl.PluralRules
 * ("1 camera", "3 cameras", never "camera(s)"), times relative when recent and absolute on hover,
 * in the system locale.
 */

export { plural } from '../../../shared/words.ts';

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['second', 1000],
  ['minute', 60_000],
  ['hour', 3_600_000],
  ['day', 86_400_000],
];

/** The full date and time in the system locale (the hover text of every time shown). */
export function absoluteTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/**
 * "2 min ago", "in 5 min", "yesterday" within a week of `now`; the date (and time today) beyond.
 * Seconds are shown only under a minute.
 */
export function relativeTime(iso: string, now = Date.now()): string {
  const at = new Date(iso).getTime();
  const diff = at - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return diff <= 0 ? 'just now' : 'in a moment';
  if (abs >= 7 * 86_400_000) return new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium' });
  let unit: Intl.RelativeTimeFormatUnit = 'second';
  let size = 1000;
  for (const [u, ms] of UNITS) if (abs >= ms) [unit, size] = [u, ms];
  return relative.format(Math.round(diff / size), unit);
}

/** A time as shown everywhere: relative when recent, the absolute time on hover; "—" for none. */
export function When({ iso, now }: { iso: string | null | undefined; now?: number }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso, now)}
    </time>
  );
}
