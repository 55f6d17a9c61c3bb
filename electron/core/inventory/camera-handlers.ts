import type { Handlers } from '../../../shared/contract.ts';
import type { CsvImportProgress } from '../../../shared/csv-import.ts';
import type { CoreContext } from '../context.ts';
import { exportCameraCsv, importCameraCsv, previewCameraCsv } from './camera-csv.ts';

/** The `cameras` calls: the inventory of cameras and its CSV import and export. */
export function cameraHandlers(
  ctx: Pick<CoreContext, 'inventory' | 'cameras' | 'audit' | 'now' | 'emit' | 'csvThread'>,
): Handlers['cameras'] {
  const { cameras } = ctx;
  const csv = {
    inventory: ctx.inventory,
    cameras,
    audit: ctx.audit,
    now: ctx.now,
    progress: (p: CsvImportProgress) => ctx.emit('csvImport', p),
    csvThread: ctx.csvThread,
  };
  return {
    list: (input) => cameras.list(input?.siteId),
    get: ({ id }) => cameras.get(id),
    create: (input) => cameras.create(input),
    update: (input) => cameras.update(input),
    remove: ({ id }) => cameras.remove(id),
    bulkUpdate: (input) => cameras.bulkUpdate(input),
    previewImport: (input) => previewCameraCsv(csv, input),
    importCsv: (input) => importCameraCsv(csv, input),
    exportCsv: (input) => exportCameraCsv(csv, input?.siteId),
  };
}
