import { buildBridge } from '../../shared/bridge.ts';
import type { EventMessage } from '../../shared/contract.ts';

/**
 * Runs in the page before the app, in place of the preload: it builds `window.alertdesk` with the
 * same buildBridge the preload uses, over a Playwright binding to the real core in Node.
 */
declare global {
  interface Window {
    __alertdeskInvoke(channel: string, payload: unknown): Promise<unknown>;
    __alertdeskEmit(message: EventMessage): void;
  }
}

const listeners: Array<(message: EventMessage) => void> = [];
window.__alertdeskEmit = (message) => {
  for (const listener of listeners) listener(message);
};
Object.defineProperty(window, 'alertdesk', {
  value: buildBridge(
    (channel, payload) => window.__alertdeskInvoke(channel, payload),
    (_channel, listener) => {
      listeners.push(listener);
    },
  ),
  writable: false,
});
