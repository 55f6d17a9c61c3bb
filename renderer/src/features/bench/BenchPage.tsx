import { useEffect, useState } from 'react';
import {
  BENCH_SECURITY_LABELS,
  type BenchLogEntry,
  type BenchMessage,
  type BenchSettings,
  type BenchStatus,
} from '../../../../shared/bench.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { useEvent } from '../../app/hooks.ts';
import { When, plural } from '../../components/format.tsx';
import { Badge, Notice, PageHeader, useToast } from '../../components/ui.tsx';
import { BenchMessageCard, SnapshotViewer } from './BenchMessages.tsx';
import { BenchSettingsForm } from './BenchSettingsForm.tsx';

const PAGE = 100;

/**
 * The bench inbox: cameras on the integrator's bench send their alert mail to this laptop. Start
 * it, type one of the laptop's addresses into the camera, and watch what arrives — with its
 * snapshots — counted as that camera's test result and heartbeat.
 */
export function BenchPage() {
  const toast = useToast();
  const [status, setStatus] = useState<BenchStatus | null>(null);
  const [messages, setMessages] = useState<BenchMessage[]>([]);
  const [total, setTotal] = useState(0);
  const [log, setLog] = useState<BenchLogEntry[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [viewing, setViewing] = useState<{ message: BenchMessage; index: number } | null>(null);

  useEffect(() => {
    void api.bench.status().then((r) => r.ok && setStatus(r.value));
    void api.bench.messages({ limit: PAGE }).then((r) => {
      if (!r.ok) return;
      setMessages(r.value.rows);
      setTotal(r.value.total);
    });
    void api.bench.log().then((r) => r.ok && setLog(r.value));
  }, []);

  useEvent('bench', (e) => {
    if (e.status) setStatus(e.status);
    if (e.log) setLog((l) => [e.log!, ...l].slice(0, 200));
    const removed = new Set(e.removed ?? []);
    if (e.message || removed.size) {
      setMessages((list) => {
        const kept = list.filter((m) => !removed.has(m.id));
        return e.message ? [e.message, ...kept].slice(0, PAGE) : kept;
      });
      setTotal((n) => n + (e.message ? 1 : 0) - removed.size);
      if (e.message) void api.bench.status().then((r) => r.ok && setStatus(r.value));
    }
  });

  async function toggle() {
    if (!status) return;
    setBusy(true);
    setError(null);
    try {
      const next = await call(status.running ? api.bench.stop() : api.bench.start());
      setStatus(next);
      toast(
        'ok',
        next.running
          ? `The bench inbox is listening on port ${next.listening?.port}.`
          : 'The bench inbox stopped.',
      );
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  async function clear() {
    try {
      const out = await call(api.bench.clear());
      setMessages([]);
      setTotal(0);
      toast('ok', `Cleared ${plural(out.removed, 'message')}.`);
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  async function saveSettings(settings: Partial<BenchSettings>): Promise<Record<string, string>> {
    try {
      setStatus(await call(api.bench.configure(settings)));
      toast(
        'ok',
        status?.running ? 'Saved; the bench inbox restarted with the new settings.' : 'Bench settings saved.',
      );
      return {};
    } catch (e) {
      const fields = fieldErrors(e);
      if (Object.keys(fields).length === 0) toast('bad', errorMessage(e));
      return fields;
    }
  }

  async function renew() {
    try {
      setStatus(await call(api.bench.renewCertificate()));
      toast('ok', 'A new certificate was made.');
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  if (!status)
    return (
      <div className="page">
        <p className="muted">Loading the bench inbox…</p>
      </div>
    );
  const s = status.settings;
  return (
    <div className="page bench">
      <PageHeader
        title="Bench inbox"
        description="Cameras on your bench send their alert e-mail to this laptop. What arrives counts as that camera's last result and heartbeat."
        actions={
          <>
            <button type="button" className="btn" onClick={() => void clear()} disabled={total === 0}>
              Clear messages
            </button>
            <button
              type="button"
              className={`btn ${status.running ? '' : 'primary'}`}
              onClick={() => void toggle()}
              disabled={busy}
            >
              {busy
                ? status.running
                  ? 'Stopping…'
                  : 'Starting…'
                : status.running
                  ? 'Stop'
                  : 'Start bench inbox'}
            </button>
          </>
        }
      />
      {(error ?? status.error) ? <Notice level="error">{error ?? status.error}</Notice> : null}
      <div className="bench-top">
        <section className="bench-card bench-setup" aria-label="Camera settings">
          <h3>
            {status.running ? <Badge tone="ok">listening</Badge> : <Badge tone="muted">stopped</Badge>} Set
            the camera to
          </h3>
          <dl className="facts">
            <dt>SMTP server</dt>
            <dd>
              {status.addresses.length === 0 ? (
                <span className="bad-text">
                  This laptop has no network address: connect it to the bench network.
                </span>
              ) : (
                <ul className="bench-addresses">
                  {status.addresses
                    .filter((a) => !s.listenAddress || a.address === s.listenAddress)
                    .map((a) => (
                      <li key={`${a.interface}-${a.address}`}>
                        <code>{a.address}</code> <span className="muted small">{a.interface}</span>
                      </li>
                    ))}
                </ul>
              )}
              {s.listenAddress && !status.addresses.some((a) => a.address === s.listenAddress) ? (
                <code>{s.listenAddress}</code>
              ) : null}
            </dd>
            <dt>Port</dt>
            <dd>
              <code>{status.listening?.port ?? s.port}</code>
            </dd>
            <dt>Security</dt>
            <dd>{BENCH_SECURITY_LABELS[s.security]}</dd>
            <dt>Login</dt>
            <dd>
              {s.authMode === 'any'
                ? 'Any user name and password (or none)'
                : "The camera's own SMTP login and app password, as recorded under Cameras"}
            </dd>
            {s.security !== 'none' ? (
              <>
                <dt>Certificate</dt>
                <dd>
                  {status.certificate ? (
                    <>
                      <code className="fingerprint" title={status.certificate.subject}>
                        SHA-256 {status.certificate.fingerprint256}
                      </code>
                      <div className="small muted">
                        Self-signed, valid until {status.certificate.validTo.slice(0, 10)}.{' '}
                        <button type="button" className="link" onClick={() => void renew()}>
                          Make a new one
                        </button>
                      </div>
                    </>
                  ) : (
                    <span className="muted">Made when the bench inbox first starts.</span>
                  )}
                </dd>
              </>
            ) : null}
          </dl>
          {status.running && !s.listenAddress ? (
            <p className="small muted">
              If the camera cannot connect, allow AlertDesk through this computer's firewall for private
              networks.
            </p>
          ) : null}
        </section>
        <section className="bench-card" aria-label="Cameras heard on the bench">
          <h3>Cameras heard on the bench</h3>
          {status.cameras.length === 0 ? (
            <p className="muted">
              No camera yet. Mail from a camera whose login or address is recorded shows here.
            </p>
          ) : (
            <table className="bench-cameras">
              <thead>
                <tr>
                  <th>Camera</th>
                  <th>Last message</th>
                  <th>Messages</th>
                  <th>Snapshots (last)</th>
                </tr>
              </thead>
              <tbody>
                {status.cameras.map((c) => (
                  <tr key={c.cameraId}>
                    <td>
                      <strong>{c.cameraName}</strong> <span className="muted small">{c.siteName}</span>
                    </td>
                    <td>
                      <When iso={c.lastAt} />
                    </td>
                    <td>{c.messages}</td>
                    <td>{c.lastSnapshots}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
      <BenchSettingsForm status={status} onSave={saveSettings} />
      <div className="bench-main">
        <section className="bench-messages" aria-label="Messages received">
          <h3>
            {plural(total, 'message')} received
            {total > messages.length ? (
              <span className="muted small"> (newest {messages.length} shown)</span>
            ) : null}
          </h3>
          {messages.length === 0 ? (
            <p className="muted">
              {status.running
                ? 'Nothing yet. Send a test from the camera (most have a “Test” button in their e-mail settings).'
                : 'Start the bench inbox, then send a test from the camera.'}
            </p>
          ) : (
            messages.map((m) => (
              <BenchMessageCard
                key={m.id}
                message={m}
                onOpen={(index) => setViewing({ message: m, index })}
              />
            ))
          )}
        </section>
        <aside className="bench-log" aria-label="Bench log">
          <h3>Log</h3>
          {log.length === 0 ? <p className="muted small">Nothing logged yet.</p> : null}
          <ol>
            {log.map((l, i) => (
              <li key={`${l.at}-${i}`} className={l.level}>
                <When iso={l.at} /> {l.text}
              </li>
            ))}
          </ol>
        </aside>
      </div>
      {viewing ? (
        <SnapshotViewer message={viewing.message} index={viewing.index} onClose={() => setViewing(null)} />
      ) : null}
    </div>
  );
}
