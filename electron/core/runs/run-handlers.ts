import type { Handlers } from '../../../shared/contract.ts';
import { AppError } from '../../../shared/result.ts';
import type { CoreContext } from '../context.ts';
import { arrivalColumns } from '../arrival/arrival-words.ts';
import { OUTCOME_LABEL, plural } from '../../../shared/words.ts';
import { spreadsheetCsv } from '../csv.ts';

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'site';

/** The `runs` calls: handover runs and their reports (page, CSV, PDF). */
export function runHandlers(ctx: Pick<CoreContext, 'runs' | 'audit' | 'options'>): Handlers['runs'] {
  const { runs, audit, options } = ctx;
  const reportName = (siteName: string, startedAt: string, ext: string) =>
    `handover-${slug(siteName)}-${startedAt.slice(0, 10)}.${ext}`;
  return {
    samples: () => runs.samples(),
    plan: ({ probe, ...plan }) => runs.plan(plan, probe),
    start: (input) => runs.start(input),
    cancel: ({ runId }) => runs.cancel(runId),
    rerunFailed: ({ runId }) => runs.rerunFailed(runId),
    list: () => runs.list(),
    get: ({ runId }) => runs.detail(runId),
    report: ({ runId, siteId }) => runs.report(runId, siteId),
    reportCsv: ({ runId, siteId }) => {
      const report = runs.report(runId, siteId);
      const csv = spreadsheetCsv(
        report.items.map((i) => ({
          site: report.site.name,
          date: report.run.startedAt,
          integrator: report.integrator,
          camera: i.cameraName,
          connector: i.connectorTitle,
          account: i.account,
          recipients: i.recipients.join('; '),
          result: OUTCOME_LABEL[i.status],
          failure_class: i.failureClass ?? '',
          explanation: i.explanation ?? '',
          server_reply: i.reply ?? '',
          message_id: i.messageId ?? '',
          time_ms: i.durationMs ?? '',
          ...arrivalColumns(i.arrival ?? null),
        })),
      );
      audit.record({
        action: 'export',
        recordType: 'inventory',
        recordId: runId,
        recordLabel: `handover report CSV: ${report.site.name}`,
        siteId,
        detail: plural(report.items.length, 'row'),
      });
      return { filename: reportName(report.site.name, report.run.startedAt, 'csv'), csv };
    },
    reportPdf: async ({ runId, siteId, paper }) => {
      const report = runs.report(runId, siteId);
      if (!options.printer)
        throw new AppError(
          'unavailable',
          'PDF printing is not available here; use Print on the report page.',
        );
      const pdf = await options.printer.pdf(runId, siteId, paper);
      audit.record({
        action: 'export',
        recordType: 'inventory',
        recordId: runId,
        recordLabel: `handover report PDF: ${report.site.name}`,
        siteId,
        detail: `${pdf.length} bytes, ${paper === 'letter' ? 'Letter' : 'A4'}`,
      });
      return {
        filename: reportName(report.site.name, report.run.startedAt, 'pdf'),
        base64: pdf.toString('base64'),
      };
    },
  };
}
