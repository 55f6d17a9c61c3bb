import type { Handlers } from '../../../shared/contract.ts';
import type { CoreContext } from '../context.ts';
import { fileStamp, spreadsheetCsv } from '../csv.ts';
import { exportAudit, queryAudit } from './audit.ts';

/** The `audit` calls: the audit log, read and exported (the export is itself audited). */
export function auditHandlers(ctx: Pick<CoreContext, 'db' | 'audit' | 'clock'>): Handlers['audit'] {
  const { db, audit, clock } = ctx;
  return {
    query: ({ filter, offset, limit, sort }) => queryAudit(db, filter, offset, limit, sort),
    exportCsv: ({ filter }) => {
      const rows = exportAudit(db, filter);
      const csv = spreadsheetCsv(
        rows.map((e) => ({
          seq: e.seq,
          time: e.at,
          user: e.osUser,
          action: e.action,
          record_type: e.recordType,
          record_id: e.recordId ?? '',
          record: e.recordLabel,
          site_id: e.siteId ?? '',
          camera_id: e.cameraId ?? '',
          result: e.result,
          detail: e.detail,
        })),
      );
      audit.record({
        action: 'export',
        recordType: 'audit',
        recordLabel: 'audit log CSV',
        detail: `${rows.length} events`,
      });
      const stamp = fileStamp(clock.now());
      return { filename: `alertdesk-audit-${stamp}.csv`, csv, rows: rows.length };
    },
  };
}
