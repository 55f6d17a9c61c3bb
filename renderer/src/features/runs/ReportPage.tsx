import { useEffect, useState } from 'react';
import type { HandoverReport } from '../../../../shared/runs.ts';
import { api, call, errorMessage } from '../../api.ts';
import { navigate } from '../../app/router.ts';
import { Notice, formatMs, formatTime, useToast } from '../../components/ui.tsx';
import { download } from '../deliveries/DeliveriesPage.tsx';
import { ReportArrivalCells, ReportArrivalSummary, showsArrival } from '../arrival/ReportArrival.tsx';

const RESULT_LABEL = {
  passed: 'Delivered',
  failed: 'Failed',
  cancelled: 'Not sent (cancelled)',
  skipped: 'Not tested',
  queued: 'Pending',
  sending: 'Sending',
  retrying: 'Retrying',
  arriving: 'Waiting for arrival',
} as const;

/**
 * The handover report of one site: a printable page (and the source of the PDF). No secret is in
 * it: accounts are shown, passwords never.
 */
export function ReportPage({
  runId,
  siteId,
  printMode,
}: {
  runId: string;
  siteId: string;
  printMode: boolean;
}) {
  const toast = useToast();
  const [report, setReport] = useState<HandoverReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void api.runs
      .report({ runId, siteId })
      .then((r) => (r.ok ? setReport(r.value) : setError(r.error.message)));
  }, [runId, siteId]);

  async function pdf() {
    try {
      const out = await call(api.runs.reportPdf({ runId, siteId }));
      const bytes = Uint8Array.from(atob(out.base64), (c) => c.charCodeAt(0));
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/pdf' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = out.filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      toast('ok', `Saved ${out.filename}.`);
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }
  async function csv() {
    try {
      const out = await call(api.runs.reportCsv({ runId, siteId }));
      download(out.filename, out.csv);
      toast('ok', `Saved ${out.filename}.`);
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  if (error)
    return (
      <div className="page">
        <Notice level="error">{error}</Notice>
      </div>
    );
  if (!report)
    return (
      <div className="page">
        <p className="muted">Preparing the report…</p>
      </div>
    );
  const arrival = showsArrival(report);
  return (
    <div className={`report${printMode ? ' print-mode' : ''}`} data-report-ready>
      {!printMode ? (
        <div className="report-actions no-print">
          <button type="button" className="btn" onClick={() => navigate(`runs/${runId}`)}>
            Back to the run
          </button>
          <span className="spacer" />
          <button type="button" className="btn" onClick={() => window.print()}>
            Print…
          </button>
          <button type="button" className="btn" onClick={() => void csv()}>
            Save CSV
          </button>
          <button type="button" className="btn primary" onClick={() => void pdf()}>
            Save PDF
          </button>
        </div>
      ) : null}
      <article className="report-sheet" aria-label="Handover report">
        <header className="report-head">
          <div>
            <div className="report-brand">◉ AlertDesk · Alert e-mail handover report</div>
            <h1>{report.site.name}</h1>
            <p>
              {[report.site.customer, report.site.address, report.site.contact].filter(Boolean).join(' · ')}
            </p>
          </div>
          <dl className="report-meta">
            <dt>Date</dt>
            <dd>{formatTime(report.run.startedAt)}</dd>
            <dt>Integrator</dt>
            <dd>{report.integrator}</dd>
            <dt>Run</dt>
            <dd className="mono small">{report.runId.slice(0, 8)}</dd>
            {report.run.snapshots ? (
              <>
                <dt>Snapshots</dt>
                <dd>{report.run.snapshots} per e-mail</dd>
              </>
            ) : null}
          </dl>
        </header>
        <section className={`report-summary ${report.ready ? 'ready' : 'not-ready'}`}>
          <strong>{report.verdict}</strong>
          <span>
            {report.counts.passed} delivered · {report.counts.failed} failed · {report.counts.skipped} not
            tested
            {report.counts.cancelled ? ` · ${report.counts.cancelled} cancelled` : ''} · {report.counts.total}{' '}
            in all
          </span>
          {report.run.note ? <span>Note: {report.run.note}</span> : null}
          <ReportArrivalSummary report={report} />
        </section>
        <table className="report-table">
          <colgroup>
            <col className="w-camera" />
            <col className="w-connector" />
            <col className="w-account" />
            <col className="w-recipients" />
            <col className="w-result" />
            <col className="w-reply" />
            <col className="w-id" />
            <col className="w-time" />
            {arrival ? (
              <>
                <col className="w-arrival" />
                <col className="w-auth" />
              </>
            ) : null}
          </colgroup>
          <thead>
            <tr>
              <th>Camera</th>
              <th>Connector</th>
              <th>Account</th>
              <th>Recipients</th>
              <th>Result</th>
              <th>Server reply / reason</th>
              <th>Message-ID</th>
              <th>Time</th>
              {arrival ? (
                <>
                  <th>Arrival</th>
                  <th>SPF · DKIM · DMARC</th>
                </>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {report.items.map((i) => (
              <tr key={i.id} className={i.status}>
                <td>{i.cameraName}</td>
                <td>{i.connectorTitle}</td>
                <td>{i.account}</td>
                <td>{i.recipients.join(', ')}</td>
                <td className="result">{RESULT_LABEL[i.status]}</td>
                <td>
                  {i.status === 'passed'
                    ? i.reply
                    : [
                        i.explanation,
                        i.reply && !i.explanation?.includes(i.reply.trim()) ? `(${i.reply})` : '',
                      ]
                        .filter(Boolean)
                        .join(' ')}
                </td>
                <td className="mono">{i.messageId ?? '—'}</td>
                <td>{formatMs(i.durationMs)}</td>
                {arrival ? <ReportArrivalCells item={i} /> : null}
              </tr>
            ))}
          </tbody>
        </table>
        <footer className="report-foot">
          Generated {formatTime(report.generatedAt)} by AlertDesk. Each line is a real e-mail sent with that
          camera's own SMTP login; passwords are never shown in this report.
        </footer>
      </article>
    </div>
  );
}
