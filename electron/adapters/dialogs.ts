import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { dialog, type BrowserWindow } from 'electron';
import type { FilePicker, PickedFileRef } from '../core/adapters.ts';

/** The native open-file dialog; the renderer only ever sees a token, a name and a size. */
export function nativeFilePicker(window: () => BrowserWindow | null): FilePicker {
  return {
    async pickAttachments(): Promise<PickedFileRef[]> {
      const owner = window();
      const options = {
        title: 'Attach files to the test e-mail',
        properties: ['openFile', 'multiSelections'] as Array<'openFile' | 'multiSelections'>,
        filters: [
          { name: 'Snapshots and documents', extensions: ['jpg', 'jpeg', 'png', 'pdf', 'txt', 'csv', 'zip'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const result = owner
        ? await dialog.showOpenDialog(owner, options)
        : await dialog.showOpenDialog(options);
      if (result.canceled) return [];
      return result.filePaths.map((path) => ({ path, filename: basename(path), size: statSync(path).size }));
    },
  };
}
