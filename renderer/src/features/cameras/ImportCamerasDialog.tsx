import { useRef, useState } from 'react';
import type { CsvImportProgress } from '../../../../shared/csv-import.ts';
import type { Site } from '../../../../shared/domain.ts';
import { CAMERA_CSV_FIELDS, type CameraCsvField } from '../../../../shared/schemas.ts';
import type { CsvImportPreview, CsvImportResult } from '../../../../shared/vault.ts';
import { api, call, errorMessage } from '../../api.ts';
import { plural } from '../../components/format.tsx';
import { useEvent } from '../../app/hooks.ts';
import { Dialog, Notice, useToast } from '../../components/ui.tsx';

const FIELD_LABEL: Record<CameraCsvField, string> = {
  site: 'Site',
  name: 'Camera name',
  vendor: 'Vendor',
  model: 'Model',
  host: 'IP / host',
  serial: 'Serial / MAC',
  location: 'Location',
  connector: 'Connector (title)',
  smtpLogin: 'SMTP login',
  appPasswordAccount: 'App password account',
  recipients: 'Recipients',
  subjectTemplate: 'Subject template',
  heartbeatMinutes: 'Heartbeat minutes',
  notes: 'Notes',
};

/** CSV import in three steps: pick the file, check the column mapping and the rows, import. */
export function ImportCamerasDialog(p: {
  sites: Site[];
  defaultSiteId: string;
  onClose: () => void;
  onImported: () => void;
}) {
  const toast = useToast();
  const [csv, setCsv] = useState<string | null>(null);
  const [fileName, setFileName] = useState('');
  const [siteId, setSiteId] = useState(p.defaultSiteId);
  const [mapping, setMapping] = useState<Record<string, CameraCsvField | null> | undefined>(undefined);
  const [preview, setPreview] = useState<CsvImportPreview | null>(null);
  const [result, setResult] = useState<CsvImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // A big file takes seconds to read and check: the core tells how far it got.
  const [progress, setProgress] = useState<CsvImportProgress | null>(null);
  const progressId = useRef<string | null>(null);
  useEvent('csvImport', (p) => {
    if (p.id === progressId.current) setProgress(p.phase === 'done' ? null : p);
  });

  const request = (text: string, map = mapping) => {
    progressId.current = crypto.randomUUID();
    setProgress(null);
    return {
      csv: text,
      progressId: progressId.current,
      ...(map ? { mapping: map } : {}),
      ...(siteId ? { defaultSiteId: siteId } : {}),
    };
  };

  async function load(file: File) {
    setError(null);
    setResult(null);
    const text = await file.text();
    setCsv(text);
    setFileName(file.name);
    setMapping(undefined);
    setPreview(null);
    setBusy(true);
    try {
      const pv = await call(api.cameras.previewImport(request(text, undefined)));
      setPreview(pv);
      setMapping(pv.mapping as Record<string, CameraCsvField | null>);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  }

  async function remap(next: Record<string, CameraCsvField | null>) {
    setMapping(next);
    if (csv === null) return;
    setBusy(true);
    try {
      setPreview(await call(api.cameras.previewImport(request(csv, next))));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  }

  async function run() {
    if (csv === null) return;
    setBusy(true);
    try {
      const r = await call(api.cameras.importCsv(request(csv)));
      setResult(r);
      toast(
        r.imported ? 'ok' : 'bad',
        `${plural(r.imported, 'camera')} imported${r.errors.length ? `, ${plural(r.errors.length, 'problem')} listed` : ''}.`,
      );
      p.onImported();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      setProgress(null);
    }
  }

  return (
    <Dialog
      wide
      title="Import cameras from CSV"
      onClose={p.onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={p.onClose}>
            {result ? 'Close' : 'Cancel'}
          </button>
          {!result ? (
            <button
              type="button"
              className="btn primary"
              disabled={!preview || preview.good === 0 || busy}
              onClick={() => void run()}
            >
              {preview ? `Import ${preview.good} good row${preview.good === 1 ? '' : 's'}` : 'Import'}
            </button>
          ) : null}
        </>
      }
    >
      {error ? <Notice level="error">{error}</Notice> : null}
      {busy ? <ImportProgress progress={progress} /> : null}
      <div className="row">
        <label className="btn">
          Choose CSV file…
          <input
            type="file"
            accept=".csv,text/csv,text/plain"
            hidden
            aria-label="CSV file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void load(f);
            }}
          />
        </label>
        <span className="muted">
          {fileName || 'Comma, semicolon or tab separated; the first line holds the column names.'}
        </span>
      </div>
      <div className="row" style={{ marginTop: 8 }}>
        <label className="inline-field">
          Site for rows without one
          <select aria-label="Default site" value={siteId} onChange={(e) => setSiteId(e.target.value)}>
            <option value="">(the file names the site)</option>
            {p.sites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {preview && !result ? (
        <>
          <h4 className="section-title">Columns</h4>
          <table className="kv mapping">
            <tbody>
              {preview.headers.map((h, i) => (
                <tr key={`${i}-${h}`}>
                  <th>{h}</th>
                  <td>
                    <select
                      aria-label={`Column ${h}`}
                      value={mapping?.[h] ?? ''}
                      onChange={(e) =>
                        void remap({
                          ...(mapping ?? {}),
                          [h]: (e.target.value || null) as CameraCsvField | null,
                        })
                      }
                    >
                      <option value="">Ignore</option>
                      {CAMERA_CSV_FIELDS.map((f) => (
                        <option key={f} value={f}>
                          {FIELD_LABEL[f]}
                        </option>
                      ))}
                    </select>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {preview.sample.length ? (
            <>
              <h4 className="section-title">First rows as they will be imported</h4>
              <div className="sample-wrap">
                <table className="sample" aria-label="Preview of the rows">
                  <thead>
                    <tr>
                      {Object.keys(preview.sample[0]!).map((f) => (
                        <th key={f}>{FIELD_LABEL[f as CameraCsvField] ?? f}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {preview.sample.slice(0, 5).map((row, i) => (
                      <tr key={i}>
                        {Object.keys(preview.sample[0]!).map((f) => (
                          <td key={f}>{row[f]}</td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          ) : null}
          <Notice level={preview.errors.length ? 'warning' : 'success'}>
            {plural(preview.rows, 'row')}: {preview.good} ready to import, {preview.rows - preview.good} with
            problems. Rows with problems are not imported; nothing is half-written.
          </Notice>
          {preview.errors.length ? (
            <ul className="row-errors" aria-label="Rows with problems">
              {preview.errors.slice(0, 50).map((e, i) => (
                <li key={i}>
                  Line {e.line}
                  {e.field ? ` (${e.field})` : ''}: {e.message}
                </li>
              ))}
            </ul>
          ) : null}
        </>
      ) : null}
      {result ? (
        <>
          <Notice level={result.errors.length ? 'warning' : 'success'}>
            {plural(result.imported, 'camera')} imported.
          </Notice>
          {result.errors.length ? (
            <ul className="row-errors" aria-label="Rows not imported">
              {result.errors.map((e, i) => (
                <li key={i}>
                  Line {e.line}
                  {e.field ? ` (${e.field})` : ''}: {e.message}
                </li>
              ))}
            </ul>
          ) : null}
        </>
      ) : null}
    </Dialog>
  );
}

/** Where a preview or import has got: reading (bytes), checking (rows), saving. */
function ImportProgress({ progress }: { progress: CsvImportProgress | null }) {
  const fmt = (n: number) => n.toLocaleString();
  let label = 'Reading the file…';
  let value: number | undefined;
  let max: number | undefined;
  if (progress?.phase === 'reading' && progress.totalBytes) {
    label = `Reading the file… ${fmt(progress.rows)} rows so far`;
    value = progress.bytes ?? 0;
    max = progress.totalBytes;
  } else if (progress?.phase === 'checking') {
    label = `Checking rows… ${fmt(progress.rows)} of ${fmt(progress.totalRows ?? progress.rows)}`;
    value = progress.rows;
    max = progress.totalRows ?? progress.rows;
  } else if (progress?.phase === 'saving') {
    label = `Saving ${fmt(progress.rows)} cameras…`;
  }
  return (
    <div className="csv-progress" role="status" data-testid="csv-progress">
      <progress aria-label="Import progress" {...(max ? { value, max } : {})} />
      <span>{label}</span>
    </div>
  );
}
