import type { CsvImportProgress } from '../../../shared/csv-import.ts';
import { AppError, notFound } from '../../../shared/result.ts';
import { CAMERA_CSV_FIELDS, type CameraCsvField } from '../../../shared/schemas.ts';
import type { CsvImportPreview, CsvImportResult } from '../../../shared/vault.ts';
import { plural } from '../../../shared/words.ts';
import { fileStamp, spreadsheetCsv } from '../csv.ts';
import type { AuditLog } from '../history/audit.ts';
import { CSV_FIELD_LABELS, type CameraCsvInput, type CsvInventory } from './camera-csv-check.ts';
import type { CsvCheckMode, CsvCheckOutcome, CsvThread } from './camera-csv-thread.ts';
import type { CameraService } from './cameras.ts';
import type { Inventory, StoredCamera } from './inventory.ts';

export interface CameraCsvDeps {
  inventory: Inventory;
  cameras: CameraService;
  audit: AuditLog;
  now: () => number;
  /** Tells how far a preview or import has got (`csvImport` events). */
  progress: (p: CsvImportProgress) => void;
  /** Where files are checked (off the main thread when it has a script). */
  csvThread: CsvThread;
}

export type CsvCall = CameraCsvInput & { progressId?: string | undefined };

/**
 * The header each field gets on export (the names messages use, the host's plainer); every one of
 * them is recognised again on import.
 */
const EXPORT_HEADERS: Record<CameraCsvField, string> = { ...CSV_FIELD_LABELS, host: 'IP address' };

/** What the check needs of the inventory, without secrets, and the lists it was taken from. */
function snapshot(inventory: Inventory): { view: CsvInventory; lists: readonly unknown[] } {
  const lists = [inventory.sites, inventory.connectors, inventory.cameras, inventory.appPasswords];
  return {
    lists,
    view: {
      sites: inventory.sites.map(({ id, name }) => ({ id, name })),
      connectors: inventory.connectors.map(({ id, siteId, title }) => ({ id, siteId, title })),
      cameras: inventory.cameras.map(({ id, siteId, name, serial }) => ({ id, siteId, name, serial })),
      appPasswords: inventory.appPasswords.map(({ id, account, status }) => ({ id, account, status })),
    },
  };
}

async function check(deps: CameraCsvDeps, input: CsvCall, mode: CsvCheckMode): Promise<CsvCheckOutcome> {
  const id = input.progressId ?? null;
  const { progressId: _id, ...csv } = input;
  // At most ten progress events a second reach the window.
  let last = 0;
  const outcome = await deps.csvThread.check(
    { mode, input: csv, inventory: snapshot(deps.inventory).view },
    (p) => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      deps.progress({ id, ...p });
    },
  );
  return outcome;
}

export async function previewCameraCsv(deps: CameraCsvDeps, input: CsvCall): Promise<CsvImportPreview> {
  const outcome = await check(deps, input, 'preview');
  deps.progress({ id: input.progressId ?? null, phase: 'done', rows: outcome.preview.rows });
  return outcome.preview;
}

export async function importCameraCsv(deps: CameraCsvDeps, input: CsvCall): Promise<CsvImportResult> {
  const id = input.progressId ?? null;
  const before = snapshot(deps.inventory).lists;
  const outcome = await check(deps, input, 'import');
  if (outcome.good.length === 0) {
    deps.progress({ id, phase: 'done', rows: 0 });
    return { imported: 0, errors: outcome.errors };
  }
  // Lists are replaced on every change: the same lists mean nothing changed while it was checked.
  if (snapshot(deps.inventory).lists.some((list, i) => list !== before[i])) {
    throw new AppError(
      'inventory-changed',
      'Sites, connectors, cameras or app passwords changed while the file was being checked. Import it again.',
    );
  }
  deps.progress({ id, phase: 'saving', rows: outcome.good.length });
  const at = new Date(deps.now()).toISOString();
  const created: StoredCamera[] = outcome.good.map((r) => ({
    id: crypto.randomUUID(),
    ...r.camera,
    createdAt: at,
    updatedAt: at,
  }));
  const badLines = outcome.refusedLines;
  const total = outcome.preview.rows;
  // One write for the whole file, its audit events with it: a failure leaves the store as it was.
  deps.inventory.commit({ cameras: [...deps.inventory.cameras, ...created] }, [
    {
      action: 'import',
      recordType: 'camera',
      recordLabel: 'camera CSV',
      detail: `${created.length} of ${plural(total, 'row')} imported${
        badLines.length > 0
          ? `; ${badLines.length} refused (line${badLines.length > 1 ? 's' : ''} ${badLines.slice(0, 50).join(', ')}${badLines.length > 50 ? ', …' : ''})`
          : ''
      }`,
    },
    ...created.map((c) => ({
      action: 'create' as const,
      recordType: 'camera' as const,
      recordId: c.id,
      recordLabel: c.name,
      siteId: c.siteId,
      cameraId: c.id,
      detail: 'CSV import',
    })),
  ]);
  deps.progress({ id, phase: 'done', rows: created.length });
  return { imported: created.length, errors: outcome.errors };
}

export function exportCameraCsv(
  deps: CameraCsvDeps,
  siteId: string | undefined,
): { filename: string; csv: string; rows: number } {
  const { inventory } = deps;
  const site = siteId ? inventory.site(siteId) : undefined;
  if (siteId && !site) throw notFound('Site', siteId);
  const siteName = (id: string) => inventory.site(id)?.name ?? '';
  const cameras = deps.cameras
    .list(siteId)
    .slice()
    .sort(
      (a, b) =>
        siteName(a.siteId).localeCompare(siteName(b.siteId)) ||
        a.name.localeCompare(b.name, undefined, { numeric: true }),
    );
  const data = cameras.map((c) => {
    const row: Record<CameraCsvField, string> = {
      site: siteName(c.siteId),
      name: c.name,
      vendor: c.vendor,
      model: c.model,
      host: c.host,
      serial: c.serial,
      location: c.location,
      connector: c.connectorId ? (inventory.connector(c.connectorId)?.title ?? '') : '',
      smtpLogin: c.smtpLogin,
      // The account names the record; the secret stays in the vault.
      appPasswordAccount: c.appPasswordId ? (inventory.appPassword(c.appPasswordId)?.account ?? '') : '',
      recipients: c.recipients.join('; '),
      subjectTemplate: c.subjectTemplate,
      heartbeatMinutes: c.heartbeatMinutes === null ? '' : String(c.heartbeatMinutes),
      notes: c.notes,
    };
    return CAMERA_CSV_FIELDS.map((f) => row[f]);
  });
  const csv = spreadsheetCsv({ fields: CAMERA_CSV_FIELDS.map((f) => EXPORT_HEADERS[f]), data });
  deps.audit.record({
    action: 'export',
    recordType: 'camera',
    recordLabel: 'camera CSV',
    siteId: site?.id ?? null,
    detail: `${plural(cameras.length, 'camera')}${site ? ` of "${site.name}"` : ''}`,
  });
  return { filename: `alertdesk-cameras-${fileStamp(deps.now())}.csv`, csv, rows: cameras.length };
}
