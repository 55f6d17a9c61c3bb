/**
 * One word per concept on every screen and in every message the core writes: counts through
 * Intl.PluralRules ("1 camera", "3 cameras", never "camera(s)"), and the outcome of a test.
 */
import type { RunItemStatus } from './runs.ts';

const pluralRules = new Intl.PluralRules(undefined);

/** `plural(3, 'camera')` → "3 cameras"; irregular words give their plural: `plural(2, 'reply', 'replies')`. */
export function plural(count: number, one: string, other = `${one}s`): string {
  return `${count.toLocaleString()} ${pluralRules.select(count) === 'one' ? one : other}`;
}

/**
 * A camera's outcome in a handover run, in the words every screen uses: passed, failed, not tested
 * (a skipped camera was not tested), and while unfinished queued or sending.
 */
export const OUTCOME_LABEL: Record<RunItemStatus, string> = {
  queued: 'queued',
  sending: 'sending',
  retrying: 'sending (retry)',
  // accepted by the server; arrival proof is awaited (runs that require it)
  arriving: 'waiting for arrival',
  passed: 'passed',
  failed: 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  skipped: 'not tested',
};
