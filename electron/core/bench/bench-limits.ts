/**
 * Per-address limits of the bench inbox: connections open at once, and messages a minute (a token
 * bucket, so a camera's burst of a few alerts passes and a flood is held to the rate). A source that
 * is refused is reported once per minute, not once per refusal, so a flood cannot flood the log.
 */
export class SourceLimits {
  private readonly open = new Map<string, number>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly refusals = new Map<string, { count: number; reportedAt: number }>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** Counts a new connection from `source`; false (and nothing counted) when it is over `max`. */
  connect(source: string, max: number): boolean {
    const n = this.open.get(source) ?? 0;
    if (n >= max) return false;
    this.open.set(source, n + 1);
    return true;
  }

  disconnect(source: string): void {
    const n = (this.open.get(source) ?? 1) - 1;
    if (n <= 0) this.open.delete(source);
    else this.open.set(source, n);
  }

  /** Takes one message from `source`'s allowance of `perMinute` (bursts up to a fifth of it, at least 5). */
  takeMessage(source: string, perMinute: number): boolean {
    const now = this.now();
    const burst = Math.max(5, Math.ceil(perMinute / 5));
    const bucket = this.buckets.get(source) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 60_000) * perMinute);
    bucket.at = now;
    this.buckets.set(source, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /**
   * Records a refusal; returns how many refusals to report now (with this one), or 0 while the
   * last report of this source and kind is less than a minute old.
   */
  refused(source: string, kind: string): number {
    const key = `${kind}\u0000${source}`;
    const now = this.now();
    const entry = this.refusals.get(key) ?? { count: 0, reportedAt: 0 };
    entry.count++;
    this.refusals.set(key, entry);
    if (now - entry.reportedAt < 60_000) return 0;
    const count = entry.count;
    entry.count = 0;
    entry.reportedAt = now;
    return count;
  }

  reset(): void {
    this.open.clear();
    this.buckets.clear();
    this.refusals.clear();
  }
}
