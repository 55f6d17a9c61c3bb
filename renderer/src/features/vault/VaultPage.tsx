import { createColumnHelper } from '@tanstack/react-table';
import { useEffect, useMemo, useState } from 'react';
import {
  PROVIDER_LABELS,
  PROVIDERS,
  type AppPasswordRecord,
  type Finding,
  type Provider,
  type VerifyProgress,
  type VerifyReport,
} from '../../../../shared/vault.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';
import { navigate, type Route } from '../../app/router.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { NumberField, SelectField, TextArea, TextField } from '../../components/fields.tsx';
import {
  Badge,
  Dialog,
  DialogActions,
  Notice,
  PageHeader,
  SidePanel,
  useToast,
} from '../../components/ui.tsx';
import { When, plural } from '../../components/format.tsx';

const col = createColumnHelper<AppPasswordRecord>();
const STATUS_TONE = { active: 'ok', 'suspected-revoked': 'bad', revoked: 'bad', retired: 'muted' } as const;
const SEVERITY_LEVEL = { critical: 'error', warning: 'warning', info: 'info' } as const;

export function VaultPage({ route }: { route: Route }) {
  const records = useQuery(() => api.vault.list(), []);
  const findings = useQuery(() => api.vault.findings(), []);
  const cameras = useQuery(() => api.cameras.list(), []);
  const [selected, setSelected] = useState<AppPasswordRecord | null>(null);
  // "Record its app password…" from a camera or a run lands here with the account and the camera.
  const recordFor =
    route.params.get('new') === '1'
      ? { account: route.params.get('account') ?? '', cameraId: route.params.get('camera') }
      : null;
  const [creating, setCreating] = useState(recordFor !== null);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [focus, setFocus] = useState<Finding | null>(null);
  const [run, setRun] = useState<{
    runId: string;
    progress: VerifyProgress | null;
    report: VerifyReport | null;
  } | null>(null);
  const toast = useToast();

  const reload = () => {
    records.reload();
    findings.reload();
  };
  useEvent('verify', (p) => {
    if (!run || p.runId !== run.runId) return;
    setRun({ runId: p.runId, progress: p, report: p.report });
    if (p.report) reload();
  });

  const all = records.data ?? [];
  const blocked = useMemo(
    () => new Set((findings.data ?? []).find((f) => f.kind === 'outlook-account')?.recordIds ?? []),
    [findings.data],
  );
  const shown = focus ? all.filter((r) => focus.recordIds.includes(r.id)) : all;
  const columns = useMemo(
    () => [
      col.accessor('status', {
        header: 'Status',
        meta: { width: '188px', pin: true },
        cell: (c) => <RecordStatus record={c.row.original} blocked={blocked.has(c.row.original.id)} />,
      }),
      col.accessor('account', {
        header: 'Account',
        meta: { width: 'minmax(180px, 1.5fr)', pin: true },
        cell: (c) => <strong>{c.getValue()}</strong>,
      }),
      col.accessor('label', {
        header: 'Label at provider',
        meta: { width: 'minmax(150px, 1.2fr)', hideBelow: 1000 },
      }),
      col.accessor('provider', {
        header: 'Provider',
        meta: { width: '110px', hideBelow: 1300 },
        cell: (c) => PROVIDER_LABELS[c.getValue()].split(' ')[0],
      }),
      col.accessor((r) => r.lastVerified?.at ?? '', {
        id: 'verified',
        header: 'Last verified',
        meta: { width: 'minmax(150px, 1fr)' },
        cell: (c) => {
          const v = c.row.original.lastVerified;
          if (!v) return <span className="muted">never</span>;
          return (
            <span className={v.ok ? 'ok-text' : 'bad-text'}>
              <When iso={v.at} /> · {v.ok ? 'accepted' : (v.failureClass ?? 'not checked')}
            </span>
          );
        },
      }),
      col.accessor((r) => r.cameraIds.length, {
        id: 'cameras',
        header: 'Cameras',
        meta: { width: '104px', align: 'end' },
      }),
      col.accessor((r) => (r.reusedWith.length ? 'reused' : ''), {
        id: 'flags',
        header: 'Flags',
        meta: { width: 'minmax(150px, 1fr)' },
        cell: (c) => (
          <>
            {c.row.original.reusedWith.length ? <Badge tone="warn">shared secret</Badge> : null}{' '}
            {c.row.original.formatWarning ? (
              <span title={c.row.original.formatWarning}>
                <Badge tone="warn">not 16 letters</Badge>
              </span>
            ) : null}
            {!c.row.original.hasSecret ? <Badge tone="muted">secret destroyed</Badge> : null}
          </>
        ),
      }),
      col.accessor('createdBy', { header: 'Created by', meta: { width: '120px', hideBelow: 1450 } }),
    ],
    [blocked],
  );

  async function verify(scope: { scope: 'record' | 'all'; id?: string }) {
    try {
      const { runId, total } = await call(api.vault.verify(scope));
      setRun({ runId, progress: { runId, done: 0, total, last: null, report: null }, report: null });
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  const live = all.filter((r) => r.status !== 'retired' && r.status !== 'revoked' && r.hasSecret).length;
  const cameraName = new Map((cameras.data ?? []).map((c) => [c.id, c.name]));

  return (
    <div className="page">
      <PageHeader
        title="App passwords"
        description="One record per app password: who created it, which cameras use it, when it last worked. Verifying logs in without sending an e-mail."
        actions={
          <>
            <button type="button" className="btn" onClick={() => setSettingsOpen(true)}>
              Vault settings
            </button>
            <button
              type="button"
              className="btn"
              disabled={live === 0 || (run !== null && !run.report)}
              onClick={() => void verify({ scope: 'all' })}
            >
              Verify all ({live})
            </button>
            <button type="button" className="btn primary" onClick={() => setCreating(true)}>
              New app password
            </button>
          </>
        }
      />
      {run ? (
        <VerifyRunBanner
          run={run}
          onCancel={() => void api.vault.cancelVerify({ runId: run.runId })}
          onDismiss={() => setRun(null)}
        />
      ) : null}
      {(findings.data ?? []).length > 0 ? (
        <section className="findings" aria-label="Findings">
          {(findings.data ?? []).map((f) => (
            <button
              key={f.kind}
              type="button"
              className={`finding ${f.severity}${focus?.kind === f.kind ? ' active' : ''}`}
              aria-pressed={focus?.kind === f.kind}
              onClick={() =>
                f.kind === 'audit-log-broken'
                  ? navigate('audit')
                  : f.recordIds.length
                    ? setFocus(focus?.kind === f.kind ? null : f)
                    : navigate(f.kind === 'misplaced-secret' ? 'connectors' : 'cameras')
              }
            >
              <strong>{f.title}</strong>
              <span>{f.detail}</span>
            </button>
          ))}
        </section>
      ) : null}
      {focus ? (
        <Notice level={SEVERITY_LEVEL[focus.severity]}>
          Showing the records of “{focus.title}”.{' '}
          <button type="button" className="link" onClick={() => setFocus(null)}>
            Show all
          </button>
        </Notice>
      ) : null}
      <DataTable
        label="App passwords"
        data={shown}
        totalCount={all.length}
        columns={columns}
        getRowId={(r) => r.id}
        searchPlaceholder="Search account, label, provider…"
        initialSorting={[{ id: 'account', desc: false }]}
        selectedId={selected?.id ?? null}
        onRowClick={setSelected}
        empty={
          records.loading
            ? 'Loading…'
            : 'No app passwords recorded yet. Record each camera’s app password so it can be re-entered when the camera is replaced.'
        }
      />
      {selected ? (
        <RecordPanel
          key={selected.id}
          record={all.find((r) => r.id === selected.id) ?? selected}
          all={all}
          cameraName={cameraName}
          onClose={() => setSelected(null)}
          onChanged={reload}
          onVerify={() => void verify({ scope: 'record', id: selected.id })}
          onOpen={(id) => setSelected(all.find((r) => r.id === id) ?? null)}
        />
      ) : null}
      {settingsOpen ? (
        <VaultSettingsDialog
          onClose={() => setSettingsOpen(false)}
          onSaved={() => {
            setSettingsOpen(false);
            reload();
          }}
        />
      ) : null}
      {creating ? (
        <NewRecordDialog
          account={recordFor?.account ?? ''}
          cameraId={recordFor?.cameraId ?? null}
          cameraName={recordFor?.cameraId ? cameraName.get(recordFor.cameraId) : undefined}
          onClose={() => {
            setCreating(false);
            if (recordFor) navigate('vault');
          }}
          onCreated={() => {
            setCreating(false);
            reload();
            if (recordFor) navigate('vault');
          }}
        />
      ) : null}
    </div>
  );
}

/**
 * A record's status; an Outlook.com record that is "active" in the vault is shown as blocked, as
 * the finding above says: Outlook.com no longer accepts app passwords for SMTP.
 */
function RecordStatus({ record, blocked }: { record: AppPasswordRecord; blocked: boolean }) {
  if (blocked && record.status === 'active')
    return (
      <span title="Outlook.com stopped accepting app passwords for SMTP in September 2024: cameras using it cannot send.">
        <Badge tone="bad">blocked by Outlook.com</Badge>
      </span>
    );
  return <Badge tone={STATUS_TONE[record.status]}>{record.status}</Badge>;
}

function VerifyRunBanner({
  run,
  onCancel,
  onDismiss,
}: {
  run: { progress: VerifyProgress | null; report: VerifyReport | null };
  onCancel: () => void;
  onDismiss: () => void;
}) {
  const p = run.progress;
  const r = run.report;
  const failed = r?.outcomes.filter((o) => !o.ok) ?? [];
  return (
    <section className="verify-run" aria-label="Verification">
      {!r ? (
        <div className="row">
          <strong>
            Verifying {p?.done ?? 0} of {p?.total ?? 0}…
          </strong>
          <progress max={p?.total || 1} value={p?.done ?? 0} aria-label="Verification progress" />
          {p?.last ? (
            <span className="muted small">{`${p.last.account}: ${p.last.ok ? 'accepted' : (p.last.failureClass ?? p.last.message)}`}</span>
          ) : null}
          <span className="spacer" />
          <button type="button" className="btn small" onClick={onCancel}>
            Cancel
          </button>
        </div>
      ) : (
        <>
          <div className="row">
            <strong>
              {r.cancelled ? 'Verification cancelled: ' : 'Verification finished: '}
              {r.outcomes.length - failed.length} accepted, {failed.length} rejected or not checked.
            </strong>
            <span className="spacer" />
            <button type="button" className="btn small" onClick={onDismiss}>
              Dismiss
            </button>
          </div>
          {failed.length ? (
            <ul className="row-errors">
              {failed.map((o) => (
                <li key={o.recordId}>
                  {o.account}: {o.message}{' '}
                  {o.statusBefore !== o.statusAfter ? `(${o.statusBefore} → ${o.statusAfter})` : ''}
                </li>
              ))}
            </ul>
          ) : null}
          {r.accountsRevoked.map((b) => (
            <div key={b.account} className="blast" role="alert">
              <h3>All app passwords of {b.account} were rejected</h3>
              <p>{b.message}</p>
              <div className="blast-grid">
                <div>
                  <strong>Sites ({b.sites.length})</strong>
                  <ul>
                    {b.sites.map((s) => (
                      <li key={s.id}>{s.name}</li>
                    ))}
                  </ul>
                </div>
                <div>
                  <strong>Cameras ({b.cameras.length})</strong>
                  <ul>
                    {b.cameras.map((c) => (
                      <li key={c.id}>
                        {c.name} <span className="muted">· {c.siteName}</span>
                      </li>
                    ))}
                  </ul>
                </div>
              </div>
            </div>
          ))}
        </>
      )}
    </section>
  );
}

function RecordPanel(p: {
  record: AppPasswordRecord;
  all: AppPasswordRecord[];
  cameraName: Map<string, string>;
  onClose: () => void;
  onChanged: () => void;
  onVerify: () => void;
  onOpen: (id: string) => void;
}) {
  const toast = useToast();
  const r = p.record;
  const [revealed, setRevealed] = useState<string | null>(null);
  const [left, setLeft] = useState(0);
  const [rotating, setRotating] = useState(false);
  const [edit, setEdit] = useState({
    account: r.account,
    provider: r.provider,
    label: r.label,
    notes: r.notes,
  });
  const [errors, setErrors] = useState<Record<string, string>>({});

  // A revealed secret disappears from the screen by itself after 30 s.
  useEffect(() => {
    if (!revealed) return;
    const tick = setInterval(() => setLeft((s) => Math.max(0, s - 1)), 1000);
    const hide = setTimeout(() => setRevealed(null), 30_000);
    return () => {
      clearInterval(tick);
      clearTimeout(hide);
    };
  }, [revealed]);

  async function reveal() {
    try {
      const { secret } = await call(api.vault.reveal({ id: r.id }));
      setRevealed(secret);
      setLeft(30);
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }
  async function copy() {
    try {
      const { clearsInSeconds } = await call(api.vault.copy({ id: r.id }));
      toast('ok', `Copied. The clipboard is cleared in ${clearsInSeconds} s.`);
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }
  async function save(status?: AppPasswordRecord['status']) {
    try {
      await call(api.vault.update({ id: r.id, ...edit, ...(status ? { status } : {}) }));
      toast('ok', status ? `Record marked ${status}.` : 'Record saved.');
      setErrors({});
      p.onChanged();
    } catch (e) {
      setErrors(fieldErrors(e));
      toast('bad', errorMessage(e));
    }
  }
  async function remove() {
    try {
      await call(api.vault.remove({ id: r.id }));
      toast('ok', 'Record and secret deleted.');
      p.onChanged();
      p.onClose();
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }
  const chain = (id: string | null) => (id ? p.all.find((x) => x.id === id) : undefined);

  return (
    <SidePanel
      wide
      title={`${r.account}`}
      subtitle={
        <span>
          <Badge tone={STATUS_TONE[r.status]}>{r.status}</Badge> {r.label} · created{' '}
          <When iso={r.createdAt} /> by {r.createdBy}
        </span>
      }
      onClose={p.onClose}
      footer={
        <>
          <button type="button" className="btn danger" onClick={() => void remove()}>
            Delete
          </button>
          {r.status !== 'retired' ? (
            <button type="button" className="btn" onClick={() => void save('retired')}>
              Retire
            </button>
          ) : null}
          <span className="spacer" />
          <button type="button" className="btn" onClick={() => void save()}>
            Save details
          </button>
        </>
      }
    >
      <section className="form-section">
        <h3>Secret</h3>
        {r.hasSecret ? (
          <>
            <div className="secret-box" aria-live="polite">
              <code data-testid="secret">{revealed ?? '•'.repeat(r.secretLength ?? 16)}</code>
              {revealed ? <span className="muted small">hidden again in {left} s</span> : null}
            </div>
            <div className="row">
              <button
                type="button"
                className="btn"
                onClick={() => (revealed ? setRevealed(null) : void reveal())}
              >
                {revealed ? 'Hide' : 'Reveal'}
              </button>
              <button type="button" className="btn" onClick={() => void copy()}>
                Copy
              </button>
              <button type="button" className="btn" onClick={p.onVerify} disabled={r.status === 'retired'}>
                Verify (no e-mail)
              </button>
              <button
                type="button"
                className="btn primary"
                onClick={() => setRotating(true)}
                disabled={r.status === 'retired'}
              >
                Rotate…
              </button>
            </div>
            <p className="muted small">
              Revealing and copying are recorded in the audit log. The clipboard is cleared after 30 seconds.
            </p>
          </>
        ) : (
          <Notice level="info">
            The secret was destroyed {r.secretDestroyedAt ? `on ${r.secretDestroyedAt.slice(0, 10)}` : ''};
            the record stays for the history.
          </Notice>
        )}
        {r.formatWarning ? <Notice level="warning">{r.formatWarning}</Notice> : null}
        {r.reusedWith.length ? (
          <Notice level="warning">
            The same secret is stored in {plural(r.reusedWith.length, 'other record')}:{' '}
            {r.reusedWith.map((id) => (
              <button key={id} type="button" className="link" onClick={() => p.onOpen(id)}>
                {chain(id)?.label ?? id}
              </button>
            ))}
          </Notice>
        ) : null}
        {r.lastVerified ? (
          <p className={r.lastVerified.ok ? 'ok-text' : 'bad-text'}>
            Last verified <When iso={r.lastVerified.at} />: {r.lastVerified.message}
          </p>
        ) : (
          <p className="muted">Never verified.</p>
        )}
      </section>
      <section className="form-section form-grid">
        <h3 className="wide">Details</h3>
        <TextField
          label="Account"
          value={edit.account}
          onChange={(v) => setEdit({ ...edit, account: v })}
          error={errors.account}
        />
        <SelectField
          label="Provider"
          value={edit.provider}
          onChange={(v) => setEdit({ ...edit, provider: v as Provider })}
          options={PROVIDERS.map((x) => ({ value: x, label: PROVIDER_LABELS[x] }))}
        />
        <TextField
          label="Label at the provider"
          value={edit.label}
          onChange={(v) => setEdit({ ...edit, label: v })}
          error={errors.label}
          wide
        />
        <TextArea
          label="Notes"
          value={edit.notes}
          onChange={(v) => setEdit({ ...edit, notes: v })}
          wide
          rows={3}
        />
      </section>
      <section className="form-section">
        <h3>Used by {plural(r.cameraIds.length, 'camera')}</h3>
        <p>
          {r.cameraIds.map((id) => p.cameraName.get(id) ?? id).join(', ') || (
            <span className="muted">No camera uses this record.</span>
          )}
        </p>
        {chain(r.replacesId) ? (
          <p>
            Replaces{' '}
            <button type="button" className="link" onClick={() => p.onOpen(r.replacesId!)}>
              {chain(r.replacesId)!.label}
            </button>
          </p>
        ) : null}
        {chain(r.replacedById) ? (
          <p>
            Replaced by{' '}
            <button type="button" className="link" onClick={() => p.onOpen(r.replacedById!)}>
              {chain(r.replacedById)!.label}
            </button>{' '}
            on {r.retiredAt?.slice(0, 10)}
          </p>
        ) : null}
        <button type="button" className="btn small" onClick={() => navigate(`audit?record=${r.id}`)}>
          Audit trail of this record
        </button>
      </section>
      {rotating ? (
        <RotateDialog
          record={r}
          onClose={() => setRotating(false)}
          onRotated={(fresh) => {
            setRotating(false);
            p.onChanged();
            p.onOpen(fresh.id);
          }}
        />
      ) : null}
    </SidePanel>
  );
}

function RotateDialog({
  record,
  onClose,
  onRotated,
}: {
  record: AppPasswordRecord;
  onClose: () => void;
  onRotated: (r: AppPasswordRecord) => void;
}) {
  const toast = useToast();
  const [secret, setSecret] = useState('');
  const [label, setLabel] = useState(record.label);
  const [verify, setVerify] = useState(true);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  async function rotate() {
    setBusy(true);
    try {
      const fresh = await call(api.vault.rotate({ id: record.id, secret, label, verify }));
      toast(
        'ok',
        `Rotated: ${plural(record.cameraIds.length, 'camera')} now ${record.cameraIds.length === 1 ? 'uses' : 'use'} the new app password; the old record is retired.`,
      );
      onRotated(fresh);
    } catch (e) {
      setErrors(fieldErrors(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Dialog
      title={`Rotate the app password of ${record.account}`}
      onClose={onClose}
      footer={
        <DialogActions
          onCancel={onClose}
          onAction={() => void rotate()}
          disabled={busy || secret.trim() === ''}
          action={busy ? (verify ? 'Verifying…' : 'Rotating…') : verify ? 'Verify and rotate' : 'Rotate'}
        />
      }
    >
      <p className="muted">
        Create a new app password at the provider, enter it here, then enter it on the cameras that use it.
        The old record is retired and kept in the history.
      </p>
      <TextField
        label="New app password"
        type="password"
        value={secret}
        onChange={setSecret}
        error={errors.secret}
        hint="Spaces are removed."
      />
      <TextField label="Label at the provider" value={label} onChange={setLabel} error={errors.label} />
      <label className="row small">
        <input type="checkbox" checked={verify} onChange={(e) => setVerify(e.target.checked)} /> Verify the
        new app password first (recommended; no e-mail is sent)
      </label>
    </Dialog>
  );
}

function NewRecordDialog(p: {
  account: string;
  /** The camera the new record is for: it is linked to the record once saved. */
  cameraId: string | null;
  cameraName: string | undefined;
  onClose: () => void;
  onCreated: () => void;
}) {
  const { onClose, onCreated } = p;
  const toast = useToast();
  const [draft, setDraft] = useState({
    account: p.account,
    provider: 'gmail' as Provider,
    label: '',
    secret: '',
    notes: '',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState<string | null>(null);
  const compact = draft.secret.replace(/\s+/g, '');
  const warn =
    draft.provider === 'gmail' && compact && !/^[a-z]{16}$/i.test(compact)
      ? `Google app passwords are 16 letters; this has ${compact.length} characters.`
      : undefined;
  async function create() {
    try {
      const record = await call(api.vault.create(draft));
      if (p.cameraId) {
        const { createdAt: _c, updatedAt: _u, ...camera } = await call(api.cameras.get({ id: p.cameraId }));
        await call(api.cameras.update({ ...camera, appPasswordId: record.id }));
      }
      toast(
        'ok',
        `App password for ${draft.account} recorded${p.cameraName ? ` and linked to ${p.cameraName}` : ''}.`,
      );
      onCreated();
    } catch (e) {
      setErrors(fieldErrors(e));
      setSummary(errorMessage(e));
    }
  }
  return (
    <Dialog
      title={p.cameraName ? `Record the app password of ${p.cameraName}` : 'New app password'}
      onClose={onClose}
      footer={<DialogActions onCancel={onClose} onAction={() => void create()} action="Save record" />}
    >
      {summary ? <Notice level="error">{summary}</Notice> : null}
      <div className="form-grid">
        <TextField
          label="Account"
          value={draft.account}
          onChange={(v) => setDraft({ ...draft, account: v })}
          error={errors.account}
          placeholder="alerts@gmail.com"
          wide
        />
        <SelectField
          label="Provider"
          value={draft.provider}
          onChange={(v) => setDraft({ ...draft, provider: v as Provider })}
          options={PROVIDERS.map((x) => ({ value: x, label: PROVIDER_LABELS[x] }))}
        />
        <TextField
          label="Label at the provider"
          value={draft.label}
          onChange={(v) => setDraft({ ...draft, label: v })}
          error={errors.label}
          placeholder="PTZ Camera Site A"
        />
        <TextField
          label="App password"
          type="password"
          value={draft.secret}
          onChange={(v) => setDraft({ ...draft, secret: v })}
          error={errors.secret}
          warning={warn}
          hint="Stored encrypted. Spaces are removed."
          wide
        />
        <TextArea
          label="Notes"
          value={draft.notes}
          onChange={(v) => setDraft({ ...draft, notes: v })}
          wide
          rows={2}
        />
      </div>
    </Dialog>
  );
}

function VaultSettingsDialog({ onClose, onSaved }: { onClose: () => void; onSaved: () => void }) {
  const toast = useToast();
  const settings = useQuery(() => api.settings.get(), []);
  const [stale, setStale] = useState<number | null>(null);
  const [retention, setRetention] = useState<number | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const staleValue = stale ?? settings.data?.verifyStaleDays ?? null;
  const retentionValue = retention ?? settings.data?.retiredSecretRetentionDays ?? null;
  async function save() {
    try {
      await call(
        api.settings.update({
          verifyStaleDays: staleValue as number,
          retiredSecretRetentionDays: retentionValue as number,
        }),
      );
      toast('ok', 'Vault settings saved.');
      onSaved();
    } catch (e) {
      setErrors(fieldErrors(e));
    }
  }
  return (
    <Dialog
      title="Vault settings"
      onClose={onClose}
      footer={<DialogActions onCancel={onClose} onAction={() => void save()} action="Save" />}
    >
      <NumberField
        label="A record needs verifying again after (days)"
        value={staleValue}
        onChange={setStale}
        error={errors.verifyStaleDays}
        hint="Records not verified for this long appear in the findings. Default 90."
      />
      <NumberField
        label="Destroy the secret of a retired record after (days)"
        value={retentionValue}
        onChange={setRetention}
        error={errors.retiredSecretRetentionDays}
        hint="The retired record stays in the history; only its secret is destroyed. 0 destroys it at once. Default 30."
      />
    </Dialog>
  );
}
