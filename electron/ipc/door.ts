import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { Logger } from '../core/adapters.ts';
import type { Dispatch } from './dispatch.ts';
import { isTrustedUrl } from './origin.ts';

/**
 * The one guarded door: every channel of the contract is registered here and nowhere else. A call
 * is served only when it comes from the main window's top frame at the app's own origin; its
 * payload then goes through the dispatcher (schema parse → handler → result envelope).
 */
export function registerDoor(options: {
  ipcMain: IpcMain;
  dispatch: Dispatch;
  channels: readonly string[];
  window: () => WebContents | null;
  allowedOrigins: readonly string[];
  logger: Logger;
}): void {
  const { ipcMain, dispatch, channels, window, allowedOrigins, logger } = options;
  for (const channel of channels) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, payload: unknown) => {
      const main = window();
      const frame = event.senderFrame;
      const trusted =
        main !== null &&
        event.sender === main &&
        frame !== null &&
        frame === main.mainFrame &&
        isTrustedUrl(frame.url, allowedOrigins);
      if (!trusted) {
        logger.warn('refused an IPC call from an untrusted sender', { channel, url: frame?.url ?? '(none)' });
        return {
          ok: false,
          error: { code: 'forbidden', message: 'This call is only accepted from the AlertDesk window.' },
        };
      }
      return dispatch(channel, payload);
    });
  }
}
