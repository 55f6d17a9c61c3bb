import { FAILURE_CATALOG, isFailureClass, type FailureClass } from '../../../shared/failures.ts';
import { plural } from '../../../shared/words.ts';
import type { ResultInput } from './last-results.ts';

/** What a run item says about a camera and its connector (a RunItem, or a row of the history). */
export interface FinishedItem {
  cameraId: string | null;
  connectorId: string | null;
  status: string;
  failureClass: string | null;
  explanation: string | null;
  /** Milliseconds since the epoch. */
  finishedAt: number;
}

/**
 * Failures that belong to one camera's own login, sender or recipients rather than to the server
 * the connector points at: a connector that carried other cameras' mail in the same run is not
 * broken by them.
 */
const CAMERA_OWN: ReadonlySet<FailureClass> = new Set([
  'auth-failed',
  'app-password-required',
  'basic-auth-disabled',
  'sender-rejected',
  'recipient-rejected',
  'message-too-large',
]);

const LOGIN: ReadonlySet<FailureClass> = new Set([
  'auth-failed',
  'app-password-required',
  'basic-auth-disabled',
]);

export const isCameraOwnFailure = (failureClass: string | null): boolean =>
  failureClass !== null && CAMERA_OWN.has(failureClass as FailureClass);

/** Failures of the login itself: a later accepted login (a verification) answers them. */
export const isLoginFailure = (failureClass: string | null): boolean =>
  failureClass !== null && LOGIN.has(failureClass as FailureClass);

export const RUN_PASSED = 'Delivered in a handover run';

export function titleOf(failureClass: string | null): string {
  return failureClass && isFailureClass(failureClass) ? FAILURE_CATALOG[failureClass].title : 'Failed';
}

/** A camera's result from its run item, or null while it is unfinished, skipped or cancelled. */
export function cameraResult(runId: string, item: FinishedItem): ResultInput | null {
  if (!item.cameraId || (item.status !== 'passed' && item.status !== 'failed')) return null;
  const ok = item.status === 'passed';
  return {
    at: item.finishedAt,
    ok,
    source: 'run',
    ref: runId,
    failureClass: item.failureClass,
    summary: ok ? RUN_PASSED : (item.explanation ?? titleOf(item.failureClass)),
  };
}

/**
 * Each connector's result over a whole run: it worked when it delivered at least one message and
 * no failure was the server's or the connection's; "256 of 258 delivered" either way.
 */
export function connectorResults(runId: string, items: FinishedItem[]): Map<string, ResultInput> {
  const byConnector = new Map<string, FinishedItem[]>();
  for (const i of items) {
    if (!i.connectorId || (i.status !== 'passed' && i.status !== 'failed')) continue;
    const list = byConnector.get(i.connectorId);
    if (list) list.push(i);
    else byConnector.set(i.connectorId, [i]);
  }
  const out = new Map<string, ResultInput>();
  for (const [connectorId, list] of byConnector) {
    const passed = list.filter((i) => i.status === 'passed').length;
    const failures = list.filter((i) => i.status === 'failed');
    const own = failures.find((i) => !isCameraOwnFailure(i.failureClass));
    const ok = passed > 0 && !own;
    const first = own ?? failures[0];
    const counted = `${passed} of ${plural(list.length, 'test e-mail')} delivered in a handover run`;
    out.set(connectorId, {
      at: Math.max(...list.map((i) => i.finishedAt)),
      ok,
      source: 'run',
      ref: runId,
      failureClass: ok ? null : (first?.failureClass ?? null),
      summary: ok
        ? failures.length
          ? `${counted} (${plural(failures.length, 'camera')} failed on ${failures.length === 1 ? 'its' : 'their'} own login or addresses)`
          : counted
        : `${counted}: ${first?.explanation ?? titleOf(first?.failureClass ?? null)}`,
    });
  }
  return out;
}
