import type { Clock } from '../../electron/core/adapters.ts';

/** A clock whose sleeps return at once and move its time forward; it records every sleep. */
export function fakeClock(): Clock & { sleeps: number[] } {
  let offset = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => Date.now() + offset,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
      sleeps.push(ms);
      offset += ms;
    },
  };
}

/** A clock whose sleeps wait until the test calls `advance`, which moves time and wakes them. */
export function manualClock(): Clock & { advance(ms: number): Promise<void>; pending(): number[] } {
  let offset = 0;
  let waiting: Array<{ until: number; resolve: () => void; ms: number }> = [];
  const now = () => Date.now() + offset;
  return {
    now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        const entry = { until: now() + ms, resolve, ms };
        waiting.push(entry);
        signal?.addEventListener(
          'abort',
          () => {
            waiting = waiting.filter((w) => w !== entry);
            reject(signal.reason ?? new DOMException('Aborted', 'AbortError'));
          },
          { once: true },
        );
      }),
    async advance(ms) {
      offset += ms;
      const due = waiting.filter((w) => w.until <= now());
      waiting = waiting.filter((w) => w.until > now());
      for (const w of due) w.resolve();
      // let the woken continuations run
      for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    },
    pending: () => waiting.map((w) => w.ms),
  };
}
