/** The median of some timings (the benchmarks report medians: one slow run does not move them). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Milliseconds to two decimals, for printing. */
export const round2 = (n: number): number => Math.round(n * 100) / 100;
