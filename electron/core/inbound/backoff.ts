import {
  IMAP_LOGIN_REJECTED,
  IMAP_WAITS_FOR_SIGN_IN,
  type ImapFailureClass,
} from '../../../shared/failures.ts';

/**
 * How long a watcher waits before trying a mailbox again. Ordinary failures (network, server)
 * back off exponentially from a second to five minutes; a rejected login waits half an hour,
 * doubling to six hours, because trying a wrong password again changes nothing and providers lock
 * accounts that keep trying: a new password (or "Test connection" passing) ends the wait at once. A
 * revoked or missing OAuth2 sign-in is not retried on a timer at all: only a new sign-in mends it.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** A provider refusing more connections is given at least this long. */
  busyMinMs: number;
  loginBaseMs: number;
  loginMaxMs: number;
}

export const BACKOFF: BackoffPolicy = {
  baseMs: 1000,
  maxMs: 5 * 60_000,
  busyMinMs: 60_000,
  loginBaseMs: 30 * 60_000,
  loginMaxMs: 6 * 3600_000,
};

const ceilingOf = (base: number, max: number, attempt: number) =>
  Math.min(max, base * 2 ** Math.min(Math.max(attempt - 1, 0), 30));

/**
 * The wait before the next attempt after `attempt` failures in a row (1 = the first failure), with
 * "equal jitter": half the exponential ceiling, plus a random part of the other half, so that 30
 * watchers cut off by the same network drop do not all come back in the same second.
 */
export function retryDelay(attempt: number, random: () => number, policy: BackoffPolicy = BACKOFF): number {
  const ceiling = ceilingOf(policy.baseMs, policy.maxMs, attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The wait after `rejections` rejected logins in a row: the ceiling, ±10 %. */
export function loginRetryDelay(
  rejections: number,
  random: () => number,
  policy: BackoffPolicy = BACKOFF,
): number {
  const ceiling = ceilingOf(policy.loginBaseMs, policy.loginMaxMs, rejections);
  return Math.round(ceiling * (0.9 + random() * 0.2));
}

export interface RetryCounts {
  /** Failures in a row since the watcher was last caught up. */
  failures: number;
  /** Rejected logins in a row. */
  rejections: number;
}

/**
 * The state a failure puts the watcher in, and how long it waits (null: until someone signs in
 * again); counts the failure.
 */
export function afterFailure(
  cls: ImapFailureClass,
  counts: RetryCounts,
  random: () => number,
  policy: BackoffPolicy = BACKOFF,
): { state: 'reconnecting' | 'login-rejected'; delayMs: number | null } {
  if (IMAP_WAITS_FOR_SIGN_IN.includes(cls)) {
    counts.rejections++;
    return { state: 'login-rejected', delayMs: null };
  }
  if (IMAP_LOGIN_REJECTED.includes(cls)) {
    counts.rejections++;
    return { state: 'login-rejected', delayMs: loginRetryDelay(counts.rejections, random, policy) };
  }
  counts.rejections = 0;
  counts.failures++;
  const delay = retryDelay(counts.failures, random, policy);
  return {
    state: 'reconnecting',
    delayMs: cls === 'too-many-connections' ? Math.max(delay, policy.busyMinMs) : delay,
  };
}
