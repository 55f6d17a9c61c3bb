import type { AlertDeskApi, EventMap, EventTopic } from '../../shared/contract.ts';
import type { ApiError, Result } from '../../shared/result.ts';

/**
 * The one module that talks to the main process. `window.alertdesk` is the contract object the
 * preload exposes (or, in browser tests, the harness); nothing else in the renderer touches it.
 */
declare global {
  interface Window {
    alertdesk: AlertDeskApi;
  }
}

export const api: AlertDeskApi = window.alertdesk;

export class CallError extends Error {
  readonly error: ApiError;
  constructor(error: ApiError) {
    super(error.message);
    this.name = 'CallError';
    this.error = error;
  }
}

/** Resolves with the value of a call, or throws a CallError carrying the field errors. */
export async function call<T>(pending: Promise<Result<T>>): Promise<T> {
  const result = await pending;
  if (!result.ok) throw new CallError(result.error);
  return result.value;
}

export function onEvent<K extends EventTopic>(
  topic: K,
  listener: (payload: EventMap[K]) => void,
): () => void {
  return api.events.on(topic, listener);
}

/** Field errors of a failed call, keyed by dotted path. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof CallError)) return {};
  const out: Record<string, string> = { ...(error.error.fields ?? {}) };
  if (error.error.field && !out[error.error.field]) out[error.error.field] = error.error.message;
  return out;
}

export function errorMessage(error: unknown): string {
  if (error instanceof CallError) return error.error.message;
  return error instanceof Error ? error.message : String(error);
}
