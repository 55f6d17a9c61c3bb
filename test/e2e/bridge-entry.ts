import { buildBridge } from '../../shared/bridge.ts';
import type { EventMessage } from '../../shared/contract.ts';

/**
 * Runs in the page before the app, in place of the preload: it builds `window.alertdesk` with the
 * same buildBridge the preload uses; calls go to the real core in Node over loopback HTTP, events
 * come back through a Playwright evaluate, as the main process pushes them over IPC.
 */
declare global {
  interface Window {
    __alertdeskToken: string;
    __alertdeskEmit(message: EventMessage): void;
  }
}

const listeners: Array<(message: EventMessage) => void> = [];
window.__alertdeskEmit = (message) => {
  for (const listener of listeners) listener(message);
};
Object.defineProperty(window, 'alertdesk', {
  value: buildBridge(
    async (channel, payload) => {
      const response = await fetch(`/__alertdesk/invoke/${encodeURIComponent(channel)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-AlertDesk-Token': window.__alertdeskToken },
        body: payload === undefined ? '' : JSON.stringify(payload),
      });
      return (await response.json()) as unknown;
    },
    (_channel, listener) => {
      listeners.push(listener);
    },
  ),
  writable: false,
});
