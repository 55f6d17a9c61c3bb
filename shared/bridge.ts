import { contract, EVENT_CHANNEL, channelName } from './contract.ts';
import type { AlertDeskApi, EventMessage, EventTopic } from './contract.ts';
import type { Result } from './result.ts';

export type Invoke = (channel: string, payload: unknown) => Promise<unknown>;
export type Subscribe = (channel: string, listener: (message: EventMessage) => void) => void;

/**
 * Builds the `window.alertdesk` object from the contract: one named method per call, no generic
 * invoke. Used verbatim by the preload (with ipcRenderer) and by the browser test harness (with a
 * Playwright binding), so both expose exactly the same shape.
 */
export function buildBridge(invoke: Invoke, subscribe: Subscribe): AlertDeskApi {
  const api: Record<string, unknown> = {};
  for (const [group, methods] of Object.entries(contract)) {
    const target: Record<string, (input?: unknown) => Promise<Result<unknown>>> = {};
    for (const method of Object.keys(methods)) {
      const channel = channelName(group, method);
      target[method] = (input?: unknown) => invoke(channel, input) as Promise<Result<unknown>>;
    }
    api[group] = Object.freeze(target);
  }

  const listeners = new Map<EventTopic, Set<(payload: unknown) => void>>();
  subscribe(EVENT_CHANNEL, (message) => {
    for (const listener of listeners.get(message.topic) ?? []) listener(message.payload);
  });
  api.events = Object.freeze({
    on(topic: EventTopic, listener: (payload: never) => void) {
      const set = listeners.get(topic) ?? new Set();
      set.add(listener as (payload: unknown) => void);
      listeners.set(topic, set);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  });
  return Object.freeze(api) as unknown as AlertDeskApi;
}
