import { useEffect, useState, type ReactNode } from 'react';
import type { HandoverReport, RunItem } from '../../../../shared/runs.ts';
import { api, call, errorMessage } from '../../api.ts';
import { navigate } from '../../app/router.ts';
import { paperFor } from '../../../../shared/report.ts';
import { OUTCOME_LABEL, plural } from '../../../../shared/words.ts';
import { absoluteTime } from '../../components/format.tsx';
import { Notice, formatMs, useToast } from '../../components/ui.tsx';
import { download } from '../deliveries/DeliveriesPage.tsx';
import { ARRIVAL_COLUMNS, ReportArrivalSummary, showsArrival } from '../arrival/ReportArrival.tsx';

/**
 * An e-mail address that wraps only between its parts (after a dot, before the @), never inside a
 * word: each part is kept whole. A Message-ID may also wrap after the hyphens of its random part.
 */
export function Address({ text, id = false }: { text: string; id?: boolean }) {
  const parts = text.split(id ? /(?<=[.-])|(?=@)/ : /(?<=[.])|(?=@)/);
  return (
    <span className="address">
      {parts.map((part, i) => (
        <span key={i}>
          {i > 0 ? <wbr /> : null}
          <span className="nobr">{part}</span>
        </span>
      ))}
    </span>
  );
}

/** Recipients one to a line, so a long address needs at most one more. */
const Addresses = ({ list }: { list: string[] }) => (
  <>
    {list.map((a, i) => (
      <span key={a} className="address-line">
        <Address text={a} />
        {i < list.length - 1 ? ',' : null}
      </span>
    ))}
  </>
);

interface ReportColumn {
  head: string;
  /** The <col> class that sets the column's share of the page width. */
  width: string;
  className?: string;
  cell: (i: RunItem) => ReactNode;
}
const CAMERA: Omit<ReportColumn, 'width'> = { head: 'Camera', cell: (i) => i.cameraName };
const ACCOUNT: Omit<ReportColumn, 'width'> = {
  head: 'Account',
  cell: (i) => (i.account ? <Address text={i.account} /> : '—'),
};
const RECIPIENTS: Omit<ReportColumn, 'width'> = {
  head: 'Recipients',
  cell: (i) => <Addresses list={i.recipients} />,
};
const REPLY: Omit<ReportColumn, 'width'> = {
  head: 'Server reply',
  className: 'reply',
  cell: (i) => i.reply ?? '—',
};
/** The cameras of one cause: the cause is said once above them. */
const GROUP_COLUMNS: ReportColumn[] = [
  { ...CAMERA, width: 'w-g-camera' },
  { ...ACCOUNT, width: 'w-g-account' },
  { ...RECIPIENTS, width: 'w-g-recipients' },
  { ...REPLY, width: 'w-g-reply' },
];
const DELIVERED_COLUMNS: ReportColumn[] = [
  { ...CAMERA, width: 'w-camera' },
  { head: 'Connector', width: 'w-connector', cell: (i) => i.connectorTitle },
  { ...ACCOUNT, width: 'w-account' },
  { ...RECIPIENTS, width: 'w-recipients' },
  { head: 'Result', width: 'w-result', className: 'result', cell: (i) => OUTCOME_LABEL[i.status] },
  { ...REPLY, width: 'w-reply' },
  {
    head: 'Message-ID',
    width: 'w-id',
    className: 'mono',
    cell: (i) => (i.messageId ? <Address text={i.messageId} id /> : '—'),
  },
  { head: 'Time', width: 'w-time', className: 'nowrap', cell: (i) => formatMs(i.durationMs) },
];

function ReportTable(p: { items: RunItem[]; columns: ReportColumn[]; compact?: boolean }) {
  return (
    <table className={`report-table${p.compact ? ' compact' : ''}`}>
      <colgroup>
        {p.columns.map((c) => (
          <col key={c.head} className={c.width} />
        ))}
      </colgroup>
      <thead>
        <tr>
          {p.columns.map((c) => (
            <th key={c.head}>{c.head}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {p.items.map((i) => (
          <tr key={i.id} className={i.status}>
            {p.columns.map((c) => (
              <td key={c.head} className={c.className}>
                {c.cell(i)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The absolute date and time, as a printed document needs it. */
const printed = (iso: string) => absoluteTime(iso);

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
      const out = await call(api.runs.reportPdf({ runId, siteId, paper: paperFor(navigator.language) }));
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
  const byId = new Map(report.items.map((i) => [i.id, i]));
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
            <dd>{printed(report.run.startedAt)}</dd>
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
            {report.counts.passed} passed · {report.counts.failed} failed · {report.counts.skipped} not tested
            {report.counts.cancelled ? ` · ${report.counts.cancelled} cancelled` : ''} · {report.counts.total}{' '}
            in all
          </span>
          {report.run.note ? <span>Note: {report.run.note}</span> : null}
          <ReportArrivalSummary report={report} />
        </section>
        {report.groups.length ? (
          <section className="report-groups" aria-label="What did not deliver">
            <h2>What did not deliver, and what to do</h2>
            {report.groups.map((g, n) => {
              const items = g.itemIds.map((id) => byId.get(id)!);
              return (
                <article key={n} className={`report-group ${g.status}`}>
                  <h3>
                    {g.title} — {plural(items.length, 'camera')}
                    {g.status === 'failed' ? (
                      <span className="muted"> · through {g.connectorTitle}</span>
                    ) : null}
                  </h3>
                  <p>{g.explanation}</p>
                  {g.fix && !g.explanation.includes(g.fix) ? (
                    <p>
                      <strong>What to do:</strong> {g.fix}
                    </p>
                  ) : null}
                  <ReportTable
                    items={items}
                    columns={arrival ? [...GROUP_COLUMNS, ...ARRIVAL_COLUMNS] : GROUP_COLUMNS}
                    compact
                  />
                </article>
              );
            })}
          </section>
        ) : null}
        {report.counts.passed ? (
          <section aria-label="Delivered">
            <h2>Delivered ({report.counts.passed})</h2>
            <ReportTable
              items={report.items.filter((i) => i.status === 'passed')}
              columns={arrival ? [...DELIVERED_COLUMNS, ...ARRIVAL_COLUMNS] : DELIVERED_COLUMNS}
            />
          </section>
        ) : null}
        <footer className="report-foot">
          Generated {printed(report.generatedAt)} by AlertDesk. Each line is a real e-mail sent with that
          camera's own SMTP login; passwords are never shown in this report.
        </footer>
      </article>
    </div>
  );
}
