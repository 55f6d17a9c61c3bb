import type { Handlers } from '../../../shared/contract.ts';
import type { CoreContext } from '../context.ts';
import { fileStamp, spreadsheetCsv } from '../csv.ts';
import { exportAudit, queryAudit } from './audit.ts';

/** The `audit` calls: the audit log, read and exported (the export is itself audited). */
export function auditHandlers(ctx: Pick<CoreContext, 'db' | 'audit' | 'clock'>): Handlers['audit'] {
  const { db, audit, clock } = ctx;
  return {
    query: ({ filter, offset, limit, sort }) => queryAudit(db, filter, offset, limit, sort),
    integrity: () => audit.verify(),
    exportCsv: async ({ filter }) => {
      // Checked as it is exported: each row says whether it is as AlertDesk wrote it.
      const integrity = await audit.verify();
      const bad = new Set(integrity.badSeqs);
      const after = integrity.firstBadSeq ?? Infinity;
      const from = integrity.protectedFrom;
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
          integrity:
            from === null || e.seq < from
              ? 'not protected'
              : bad.has(e.seq)
                ? 'CHANGED OUTSIDE ALERTDESK'
                : e.seq > after && integrity.badSeqs.length >= 1000
                  ? 'not checked (after a break)'
                  : 'ok',
        })),
      );
      audit.record({
        action: 'export',
        recordType: 'audit',
        recordLabel: 'audit log CSV',
        result: integrity.state === 'broken' ? 'failed' : 'ok',
        detail: `${rows.length} events; chain ${integrity.state}${integrity.firstBadSeq !== null ? ` from #${integrity.firstBadSeq}` : ''}`,
      });
      const stamp = fileStamp(clock.now());
      return { filename: `alertdesk-audit-${stamp}.csv`, csv, rows: rows.length, integrity };
    },
  };
}
