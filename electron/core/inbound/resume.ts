import type { PowerMonitor } from '../adapters.ts';

export interface WakeCheck {
  /** How often the timer checks the wall clock. */
  everyMs: number;
  /** How much later than planned a check may fire before it counts as a wake from sleep. */
  slackMs: number;
}

export const WAKE_CHECK: WakeCheck = { everyMs: 15_000, slackMs: 30_000 };

/**
 * Calls `onWake` when the computer has woken from sleep: on the power monitor's resume event, or
 * when a timer fires far later than planned by the wall clock (timers stand still while a laptop
 * sleeps, the wall clock does not) — for the platforms and virtual machines that send no resume
 * event. Connections that were open before the sleep are usually dead without knowing it.
 * Returns the function that stops watching.
 */
export function watchForWake(
  power: PowerMonitor | undefined,
  onWake: (why: string) => void,
  check: WakeCheck = WAKE_CHECK,
): () => void {
  const off = power?.onResume(() => onWake('the computer woke from sleep'));
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const late = now - last - check.everyMs;
    last = now;
    if (late > check.slackMs) onWake(`timers stood still for ${Math.round(late / 1000)} s (sleep)`);
  }, check.everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    off?.();
  };
}
