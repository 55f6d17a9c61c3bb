import type { Handlers } from '../../../shared/contract.ts';
import type { DeliveryDetail } from '../../../shared/delivery.ts';
import { notFound } from '../../../shared/result.ts';
import type { CoreContext } from '../context.ts';
import { fileStamp, spreadsheetCsv } from '../csv.ts';
import { exportDeliveries, queryDeliveries } from './deliveries.ts';

/** The `deliveries` calls: the delivery history, with what is in flight merged in from the engine. */
export function deliveryHandlers(
  ctx: Pick<CoreContext, 'db' | 'deliveries' | 'engine' | 'audit' | 'clock' | 'arrival'>,
): Handlers['deliveries'] {
  const { db, deliveries, engine, audit, clock, arrival } = ctx;
  return {
    get: ({ id }): DeliveryDetail => {
      const detail = deliveries.detail(id);
      if (!detail) throw notFound('Delivery', id);
      // A delivery in flight is ahead of its row (the "sending" state is not written).
      const live = engine.liveState(id);
      const arrivalProof = arrival.forDelivery(id);
      return live
        ? { ...detail, ...live, attempts: detail.attempts, arrivalProof }
        : { ...detail, arrivalProof };
    },
    query: (q) => {
      const page = queryDeliveries(db, q);
      return {
        ...page,
        rows: page.rows.map((row) => {
          const live = engine.liveState(row.id);
          return live
            ? {
                ...row,
                status: live.status,
                attemptCount: live.attemptCount,
                nextAttemptAt: live.nextAttemptAt,
              }
            : row;
        }),
      };
    },
    exportCsv: ({ filter }) => {
      const rows = exportDeliveries(db, filter);
      const csv = spreadsheetCsv(
        rows.map((d) => ({
          time: d.createdAt,
          status: d.status,
          failure_class: d.failureClass ?? '',
          site: d.siteName,
          connector: d.connectorTitle,
          camera: d.cameraName ?? '',
          kind: d.kind,
          subject: d.subject,
          from: d.from,
          to: d.to.join('; '),
          attempts: d.attemptCount,
          duration_ms: d.durationMs ?? '',
          server_reply: d.reply ?? '',
          message_id: d.messageId ?? '',
          run_id: d.runId ?? '',
          arrival: d.arrival ?? '',
        })),
      );
      audit.record({
        action: 'export',
        recordType: 'delivery',
        recordLabel: 'delivery history CSV',
        detail: `${rows.length} rows`,
      });
      const stamp = fileStamp(clock.now());
      return { filename: `alertdesk-deliveries-${stamp}.csv`, csv, rows: rows.length };
    },
  };
}
