import type { Clock } from '../adapters.ts';

/**
 * One wake-up at a time, through the injected clock (so a fake clock drives it in tests): set it
 * to the earliest moment something can change and it calls back then — never a polling loop.
 * Sleeps are capped (a laptop that slept through the moment, timers past 24 days), and the
 * callback simply works out again what is due.
 */
export class Alarm {
  private readonly clock: Clock;
  private readonly fire: () => void;
  private readonly maxSleepMs: number;
  private controller: AbortController | null = null;
  private target: number | null = null;

  constructor(clock: Clock, fire: () => void, maxSleepMs: number) {
    this.clock = clock;
    this.fire = fire;
    this.maxSleepMs = maxSleepMs;
  }

  /** Wakes at `at` instead of whatever was set before; null: no wake-up. */
  set(at: number | null): void {
    if (at === this.target && this.controller) return;
    this.controller?.abort();
    this.controller = null;
    this.target = at;
    if (at === null) return;
    const controller = new AbortController();
    this.controller = controller;
    const wake = () => {
      if (this.controller !== controller) return;
      this.controller = null;
      this.target = null;
      this.fire();
    };
    const ms = at - this.clock.now();
    if (ms <= 0) {
      setImmediate(wake);
      return;
    }
    this.clock.sleep(Math.min(ms, this.maxSleepMs), controller.signal).then(wake, () => undefined);
  }

  stop(): void {
    this.set(null);
  }
}
