import type { Handlers } from '../../../shared/contract.ts';
import {
  READINESS_OPTIONS,
  READINESS_PROVIDER_LABELS,
  READINESS_VERDICT_LABELS,
} from '../../../shared/readiness.ts';
import type { CoreContext } from '../context.ts';
import { fileStamp, spreadsheetCsv } from '../csv.ts';
import { readinessReport } from './readiness.ts';

/** The `readiness` calls: the basic-auth readiness report and its export for the customer. */
export function readinessHandlers(
  ctx: Pick<CoreContext, 'inventory' | 'audit' | 'now'>,
): Handlers['readiness'] {
  const { inventory, audit, now } = ctx;
  return {
    report: (input) => readinessReport(inventory, now(), input ?? {}),
    exportCsv: (input) => {
      const report = readinessReport(inventory, now(), input ?? {});
      const csv = spreadsheetCsv(
        report.items.map((i) => ({
          site: i.siteName,
          customer: i.customer,
          account: i.account,
          provider: READINESS_PROVIDER_LABELS[i.provider],
          kind: i.kind,
          name: i.name,
          connector: i.connectorTitle,
          login: i.login,
          detected_by: i.detectedBy,
          verdict: READINESS_VERDICT_LABELS[i.verdict],
          what_stops: i.whatStops,
          options: i.options.map((o) => READINESS_OPTIONS[o].title).join('; '),
          last_result: i.lastResult ?? '',
        })),
      );
      const scope = input?.siteId
        ? (inventory.site(input.siteId)?.name ?? 'site')
        : input?.customer
          ? input.customer
          : 'all-sites';
      const slug =
        scope
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, '') || 'sites';
      audit.record({
        action: 'export',
        recordType: 'inventory',
        recordLabel: `basic-auth readiness CSV: ${scope}`,
        siteId: input?.siteId ?? null,
        detail: `${report.items.length} row(s)`,
      });
      return {
        filename: `basic-auth-readiness-${slug}-${fileStamp(report.generatedAt)}.csv`,
        csv,
        rows: report.items.length,
      };
    },
  };
}
