import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { Logger } from '../core/adapters.ts';
import type { Dispatch } from './dispatch.ts';
import { isTrustedUrl } from './origin.ts';

/**
 * The one guarded door: every channel of the contract is registered here and nowhere else. A call
 * is served only when it comes from the top frame of one of the app's own windows (the main window,
 * the hidden report printer) at the app's own origin; its payload then goes through the dispatcher
 * (schema parse → handler → result envelope).
 */
export function registerDoor(options: {
  ipcMain: IpcMain;
  dispatch: Dispatch;
  channels: readonly string[];
  isAppWindow: (contents: WebContents) => boolean;
  allowedOrigins: readonly string[];
  logger: Logger;
}): void {
  const { ipcMain, dispatch, channels, isAppWindow, allowedOrigins, logger } = options;
  for (const channel of channels) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, payload: unknown) => {
      const frame = event.senderFrame;
      const trusted =
        isAppWindow(event.sender) &&
        frame !== null &&
        frame === event.sender.mainFrame &&
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
