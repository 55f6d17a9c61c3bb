import { useEffect, useMemo, useState } from 'react';
import type { PickedFile, Site } from '../../../../shared/domain.ts';
import type { RunPlan, SampleSnapshot } from '../../../../shared/runs.ts';
import type { RunOptionsInput } from '../../../../shared/schemas.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { useQuery } from '../../app/hooks.ts';
import { navigate } from '../../app/router.ts';
import { CheckboxField, TextField, listError, splitAddresses } from '../../components/fields.tsx';
import { plural } from '../../components/format.tsx';
import { Badge, Dialog, DialogActions, Notice, useToast } from '../../components/ui.tsx';

const kb = (n: number) =>
  n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;

/** Choose what to test, see the plan (cameras, connectors, SIZE limits, warnings), start the run. */
export function NewRunDialog(p: {
  sites: Site[];
  presetSiteIds?: string[];
  cameraIds?: string[];
  connectorIds?: string[];
  onClose: () => void;
}) {
  const toast = useToast();
  const samples = useQuery(() => api.runs.samples(), []);
  const [siteIds, setSiteIds] = useState<string[]>(p.presetSiteIds ?? []);
  const [snapshots, setSnapshots] = useState(0);
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [fallback, setFallback] = useState('');
  const [note, setNote] = useState('');
  const [requireArrival, setRequireArrival] = useState(false);
  const [plan, setPlan] = useState<RunPlan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [starting, setStarting] = useState(false);

  const options = useMemo<RunOptionsInput>(
    () => ({
      scope: { siteIds, cameraIds: p.cameraIds ?? [], connectorIds: p.connectorIds ?? [] },
      snapshots: files.length ? 0 : snapshots,
      snapshotFiles: files.map((f) => f.token),
      fallbackRecipients: splitAddresses(fallback),
      note,
      requireArrival,
    }),
    [siteIds, p.cameraIds, p.connectorIds, snapshots, files, fallback, note, requireArrival],
  );
  const empty =
    siteIds.length === 0 && (p.cameraIds ?? []).length === 0 && (p.connectorIds ?? []).length === 0;

  // The plan follows the choices: items, skipped cameras, SIZE limits (asked from the servers).
  useEffect(() => {
    if (empty) return;
    let live = true;
    const timer = setTimeout(() => {
      void api.runs.plan({ ...options, probe: true }).then((r) => {
        if (!live) return;
        if (r.ok) {
          setPlan(r.value);
          setPlanError(null);
        } else {
          setPlan(null);
          setPlanError(r.error.message);
        }
      });
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [options, empty]);

  async function start() {
    setStarting(true);
    try {
      const run = await call(api.runs.start(options));
      toast('ok', `Handover run started: ${plural(run.counts.total, 'test e-mail')}.`);
      p.onClose();
      navigate(`runs/${run.id}`);
    } catch (e) {
      setErrors(fieldErrors(e));
      toast('bad', errorMessage(e));
    } finally {
      setStarting(false);
    }
  }

  async function pick() {
    try {
      const picked = await call(api.files.pickAttachments());
      setFiles((f) => [...f, ...picked].slice(0, 5));
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  const sampleList: SampleSnapshot[] = samples.data ?? [];
  return (
    <Dialog
      wide
      title="New handover run"
      onClose={p.onClose}
      footer={
        <DialogActions
          onCancel={p.onClose}
          onAction={() => void start()}
          disabled={empty || starting || !plan || plan.items === 0}
          action={
            <>
              {starting
                ? 'Starting…'
                : plan
                  ? `Send ${plan.items} test e-mail${plan.items === 1 ? '' : 's'}`
                  : 'Start'}
            </>
          }
        />
      }
    >
      {p.connectorIds?.length ? (
        <Notice level="info">
          {plural(p.connectorIds.length, 'selected connector')} will be tested: every camera that uses{' '}
          {p.connectorIds.length === 1 ? 'it' : 'them'}, or the connector itself when no camera does.
        </Notice>
      ) : null}
      {p.cameraIds?.length ? (
        <Notice level="info">
          {plural(p.cameraIds.length, 'selected camera')} will be tested
          {siteIds.length ? ', plus every camera of the sites below' : ''}.
        </Notice>
      ) : null}
      <fieldset className="choice sites-choice">
        <legend>Sites to test (every camera, and connectors without cameras)</legend>
        <div className="row small">
          <button type="button" className="link" onClick={() => setSiteIds(p.sites.map((s) => s.id))}>
            Select all {plural(p.sites.length, 'site')}
          </button>
          {siteIds.length ? (
            <button type="button" className="link" onClick={() => setSiteIds([])}>
              Clear ({siteIds.length} selected)
            </button>
          ) : null}
        </div>
        {errors['scope.siteIds'] ? <p className="field-error">{errors['scope.siteIds']}</p> : null}
        <div className="site-checks">
          {p.sites.map((s) => (
            <label key={s.id} title={`${s.name} (${plural(s.cameraCount, 'camera')})`}>
              <input
                type="checkbox"
                checked={siteIds.includes(s.id)}
                onChange={(e) =>
                  setSiteIds((ids) => (e.target.checked ? [...ids, s.id] : ids.filter((x) => x !== s.id)))
                }
              />
              <span>
                {s.name} <span className="muted">({plural(s.cameraCount, 'camera')})</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <section className="form-section">
        <h3>Burst snapshots</h3>
        <div className="row">
          <label className="inline-field">
            Attach
            <select
              aria-label="Sample snapshots"
              value={files.length ? 0 : snapshots}
              disabled={files.length > 0}
              onChange={(e) => setSnapshots(Number(e.target.value))}
            >
              {[0, 1, 2, 3, 4, 5].slice(0, sampleList.length + 1).map((n) => (
                <option key={n} value={n}>
                  {n === 0 ? 'no snapshot' : `${n} sample snapshot${n > 1 ? 's' : ''}`}
                </option>
              ))}
            </select>
          </label>
          <span className="muted">or</span>
          <button type="button" className="btn small" onClick={() => void pick()}>
            Your own JPEGs…
          </button>
          {files.length ? (
            <span>
              {files.map((f) => f.filename).join(', ')}{' '}
              <button type="button" className="link" onClick={() => setFiles([])}>
                clear
              </button>
            </span>
          ) : null}
        </div>
        {plan ? (
          <p className="muted small">
            Each test e-mail is about <strong>{kb(plan.messageBytes)}</strong> ({kb(plan.attachmentBytes)} of
            snapshots before encoding).
          </p>
        ) : null}
      </section>
      <div className="form-grid">
        <TextField
          label="Fallback recipients"
          value={fallback}
          onChange={setFallback}
          error={listError(errors, 'fallbackRecipients')}
          hint="For cameras without recipients and connectors without cameras."
        />
        <TextField
          label="Note for the report"
          value={note}
          onChange={setNote}
          error={errors.note}
          placeholder="e.g. Handover to Portside Ltd, visit 3"
        />
        <CheckboxField
          label="Require arrival proof"
          checked={requireArrival}
          onChange={setRequireArrival}
          hint="A camera passes only when its mail arrived in the Inbox of a watched mailbox (in Junk or not arrived = failed). The run waits for each verdict."
        />
      </div>
      {planError ? <Notice level="error">{planError}</Notice> : null}
      {plan && !empty ? (
        <section className="plan" aria-label="Plan">
          <h3>
            {plural(plan.items, 'test e-mail')} through {plural(plan.connectors.length, 'connector')}
            {plan.minimumSeconds
              ? ` · at least ${Math.ceil(plan.minimumSeconds / 60)} min at the rate limits`
              : ''}
          </h3>
          {plan.warnings.map((w, i) => (
            <Notice key={i} level="warning">
              {w}
            </Notice>
          ))}
          <div className="plan-connectors">
            <table className="candidates">
              <thead>
                <tr>
                  <th>Connector</th>
                  <th>Site</th>
                  <th>Cameras</th>
                  <th>Server SIZE limit</th>
                  <th>State</th>
                </tr>
              </thead>
              <tbody>
                {plan.connectors.map((c) => (
                  <tr key={c.connectorId}>
                    <td>
                      {c.title}{' '}
                      <span className="muted small">
                        {c.host}:{c.port}
                      </span>
                    </td>
                    <td>{c.siteName}</td>
                    <td>{c.cameras}</td>
                    <td className={c.sizeLimit && plan.messageBytes > c.sizeLimit ? 'bad-text' : ''}>
                      {c.sizeLimit ? kb(c.sizeLimit) : c.sizeKnown ? 'not stated' : 'unknown (unreachable)'}
                    </td>
                    <td>
                      <Badge tone={c.state === 'RUN' ? 'ok' : 'warn'}>{c.state}</Badge>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {plan.skipped.length ? (
            <>
              <p className="muted">Not tested ({plural(plan.skipped.length, 'camera')}):</p>
              <ul className="row-errors">
                {plan.skipped.map((s, i) => (
                  <li key={i}>
                    {s.siteName} · {s.cameraName}: {s.reason}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
      ) : null}
    </Dialog>
  );
}
