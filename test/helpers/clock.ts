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
