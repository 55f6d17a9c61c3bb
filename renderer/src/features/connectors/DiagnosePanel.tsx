import { useState } from 'react';
import type {
  DiagnosisEvent,
  DiagnosisReport,
  DiagnosisStep,
  SettingsDiscovery,
} from '../../../../shared/delivery.ts';
import type { Connector, SecurityMode } from '../../../../shared/domain.ts';
import { api, call, errorMessage } from '../../api.ts';
import { useEvent } from '../../app/hooks.ts';
import { Badge, Notice, formatMs } from '../../components/ui.tsx';
import type { ConnectorDraft } from './draft.ts';

const STEP_LABEL: Record<DiagnosisStep['step'], string> = {
  pop3: 'POP-before-SMTP',
  dns: 'DNS',
  connect: 'TCP connect',
  tls: 'TLS',
  greeting: 'Banner',
  ehlo: 'EHLO',
  starttls: 'STARTTLS',
  auth: 'AUTH',
};
const STATUS_TONE = { passed: 'ok', failed: 'bad', warning: 'warn', skipped: 'muted' } as const;
const MODE = { tls: 'SSL/TLS', starttls: 'STARTTLS', none: 'plain' } as const;

/**
 * Diagnose the settings in the form without sending anything, step by step; or search the usual
 * ports and modes for a combination that works.
 */
export function DiagnosePanel(p: {
  connector: Connector;
  draft: ConnectorDraft;
  onApply: (port: number, security: SecurityMode) => void;
}) {
  const [report, setReport] = useState<DiagnosisReport | null>(null);
  const [discovery, setDiscovery] = useState<SettingsDiscovery | null>(null);
  const [progress, setProgress] = useState<DiagnosisEvent[]>([]);
  const [running, setRunning] = useState<'diagnosis' | 'discovery' | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEvent('diagnosis', (e) => {
    if (!running || e.kind !== running) return;
    setProgress((list) => {
      const i = list.findIndex((x) => x.label === e.label && x.status === 'running');
      if (i >= 0 && e.status !== 'running') return list.map((x, j) => (j === i ? e : x));
      return [...list, e];
    });
  });

  const settings = () => ({
    connectorId: p.connector.id,
    draft: {
      host: p.draft.host,
      port: p.draft.port ?? 0,
      security: p.draft.security,
      auth: p.draft.auth,
      username: p.draft.username,
      ...(p.draft.password ? { password: p.draft.password } : {}),
      trustedCertificatePem: p.draft.trustedCertificatePem.trim() || null,
      allowPlainLogin: p.draft.allowPlainLogin,
      connectionTimeoutSec: Math.min(p.draft.connectionTimeoutSec ?? 15, 30),
    },
  });

  async function run(kind: 'diagnosis' | 'discovery') {
    setRunning(kind);
    setProgress([]);
    setError(null);
    try {
      if (kind === 'diagnosis') {
        setReport(await call(api.connectors.diagnose(settings())));
      } else {
        setDiscovery(await call(api.connectors.findSettings(settings())));
      }
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setRunning(null);
    }
  }

  return (
    <div className="diagnose">
      <p className="muted">
        Checks the settings in the form — DNS, connection, TLS, banner, capabilities and login — without
        sending an e-mail. Unsaved changes are used. The stored password goes only to the saved server: after
        changing the host, port, security, user name or certificate, type the password again to test the
        login.
      </p>
      <div className="row">
        <button
          type="button"
          className="btn primary"
          disabled={running !== null}
          onClick={() => void run('diagnosis')}
        >
          {running === 'diagnosis' ? 'Diagnosing…' : 'Diagnose'}
        </button>
        <button
          type="button"
          className="btn"
          disabled={running !== null}
          onClick={() => void run('discovery')}
        >
          {running === 'discovery' ? 'Searching…' : 'Find working settings'}
        </button>
      </div>
      {error ? <Notice level="error">{error}</Notice> : null}
      {running ? (
        <ul className="progress-list" aria-label="Progress">
          {progress.map((e, i) => (
            <li key={i}>
              {e.status === 'running' ? (
                <span className="spinner" aria-hidden />
              ) : (
                <Badge tone={e.status === 'passed' ? 'ok' : 'bad'}>{e.status}</Badge>
              )}
              <span>{e.label}</span>
              {e.durationMs !== null ? <span className="muted">{formatMs(e.durationMs)}</span> : null}
            </li>
          ))}
        </ul>
      ) : null}

      {report && running !== 'diagnosis' ? (
        <section className="diagnosis" aria-label="Diagnosis">
          <h3>
            {report.host}:{report.port} · {MODE[report.security]} · AUTH {report.auth.toUpperCase()}{' '}
            <Badge tone={report.ok ? 'ok' : 'bad'}>{report.ok ? 'all steps passed' : 'failed'}</Badge>
          </h3>
          <ol className="steps">
            {report.steps.map((s, i) => (
              <li key={i} className={`step ${s.status}`} data-step={s.step} data-status={s.status}>
                <span className="step-name">{STEP_LABEL[s.step]}</span>
                <Badge tone={STATUS_TONE[s.status]}>{s.status}</Badge>
                <span className="step-ms">{s.durationMs !== null ? formatMs(s.durationMs) : ''}</span>
                <span className="step-summary">{s.summary}</span>
                {s.hint ? <span className="step-hint">{s.hint}</span> : null}
              </li>
            ))}
          </ol>
          {report.capabilities ? (
            <p className="muted small">
              Offered: AUTH {report.capabilities.authMechanisms.join(' ') || 'none'} · SIZE{' '}
              {report.capabilities.size
                ? `${Math.round(report.capabilities.size / 1024 / 1024)} MB`
                : 'not stated'}{' '}
              · PIPELINING {report.capabilities.pipelining ? 'yes' : 'no'}
            </p>
          ) : null}
          <details>
            <summary>Transcript</summary>
            <pre className="transcript">
              {report.transcript
                .map(
                  (l) =>
                    `${String(l.t).padStart(5)} ms  ${l.dir === 'c' ? 'C:' : l.dir === 's' ? 'S:' : '  '} ${l.text}`,
                )
                .join('\n')}
            </pre>
          </details>
        </section>
      ) : null}

      {discovery && running !== 'discovery' ? (
        <section className="discovery" aria-label="Working settings">
          <Notice level={discovery.recommended ? 'success' : 'warning'}>{discovery.verdict}</Notice>
          <table className="candidates">
            <thead>
              <tr>
                <th>Port</th>
                <th>Security</th>
                <th>Result</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {discovery.candidates.map((c) => (
                <tr
                  key={`${c.port}-${c.security}`}
                  className={
                    discovery.recommended?.port === c.port && discovery.recommended.security === c.security
                      ? 'recommended'
                      : ''
                  }
                >
                  <td>{c.port}</td>
                  <td>{MODE[c.security]}</td>
                  <td>
                    <Badge
                      tone={
                        c.outcome === 'authenticated'
                          ? 'ok'
                          : c.outcome === 'connected'
                            ? 'info'
                            : c.outcome === 'not-tried'
                              ? 'muted'
                              : 'bad'
                      }
                    >
                      {c.outcome}
                    </Badge>
                  </td>
                  <td className="small">{c.summary}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {discovery.recommended ? (
            <button
              type="button"
              className="btn primary"
              onClick={() => p.onApply(discovery.recommended!.port, discovery.recommended!.security)}
            >
              Use port {discovery.recommended.port} with {MODE[discovery.recommended.security]}
            </button>
          ) : null}
        </section>
      ) : null}
    </div>
  );
}
