import { createColumnHelper } from '@tanstack/react-table';
import { useEffect, useMemo, useState } from 'react';
import { parsePattern, parseSenderPattern } from '../../../../shared/heartbeat-pattern.ts';
import type {
  CameraHeartbeat,
  HeartbeatRule,
  RuleFieldsInput,
  RulePreview,
  SiteHeartbeats,
} from '../../../../shared/heartbeats.ts';
import { ruleLabel } from '../../../../shared/heartbeats.ts';
import { SUBJECT_VARIABLES } from '../../../../shared/subject.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { useDebounced, useQuery } from '../../app/hooks.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { SelectField, TextField } from '../../components/fields.tsx';
import { plural, When } from '../../components/format.tsx';
import { Dialog, Notice, useToast } from '../../components/ui.tsx';

interface Named {
  id: string;
  name: string;
  siteId?: string;
}

type Row = HeartbeatRule & { siteName: string; cameraName: string };
const col = createColumnHelper<Row>();

export function RulesPanel({ sites, cameras }: { sites: SiteHeartbeats[]; cameras: CameraHeartbeat[] }) {
  const rules = useQuery(() => api.heartbeats.rules(), []);
  const [editing, setEditing] = useState<HeartbeatRule | 'new' | null>(null);
  const siteName = useMemo(() => new Map(sites.map((s) => [s.siteId, s.siteName])), [sites]);
  const cameraName = useMemo(() => new Map(cameras.map((c) => [c.cameraId, c.cameraName])), [cameras]);
  const rows = useMemo<Row[]>(
    () =>
      (rules.data ?? []).map((r) => ({
        ...r,
        siteName: siteName.get(r.siteId) ?? '—',
        cameraName: r.cameraId ? (cameraName.get(r.cameraId) ?? '—') : 'all cameras',
      })),
    [rules.data, siteName, cameraName],
  );
  const columns = useMemo(
    () => [
      col.accessor('siteName', { header: 'Site', meta: { width: 'minmax(130px, 1fr)' } }),
      col.accessor('cameraName', {
        header: 'Camera',
        meta: { width: 'minmax(130px, 1fr)' },
        cell: (c) =>
          c.row.original.scope === 'site' ? <span className="muted">{c.getValue()}</span> : c.getValue(),
      }),
      col.accessor(ruleLabel, {
        id: 'conditions',
        header: 'Mail that',
        meta: { width: 'minmax(260px, 3fr)' },
      }),
      col.accessor((r) => (r.origin === 'assigned' ? 'from a message' : 'written'), {
        id: 'origin',
        header: 'Made',
        meta: { width: '140px' },
      }),
      col.accessor('updatedAt', {
        header: 'Changed',
        meta: { width: '120px' },
        cell: (c) => <When iso={c.getValue()} />,
      }),
    ],
    [],
  );
  return (
    <>
      {rules.error ? <Notice level="error">{rules.error.message}</Notice> : null}
      <DataTable
        label="Heartbeat rules"
        data={rows}
        columns={columns}
        getRowId={(r) => r.id}
        searchPlaceholder="Search rules…"
        initialSorting={[{ id: 'siteName', desc: false }]}
        onRowClick={(r) => setEditing(r)}
        actions={
          <button
            type="button"
            className="btn primary small"
            onClick={() => setEditing('new')}
            disabled={sites.length === 0}
          >
            New rule
          </button>
        }
        empty={
          rules.loading ? (
            'Loading…'
          ) : (
            <span>
              No rules yet. A rule recognises a camera's heartbeat mail by its sender, subject or a header —
              write one for a whole site from the cameras' subject template, or assign a message under
              Unmatched mail.
            </span>
          )
        }
      />
      {editing ? (
        <RuleDialog
          initial={editing === 'new' ? { scope: 'site', siteId: sites[0]?.siteId ?? '' } : editing}
          sites={sites.map((s) => ({ id: s.siteId, name: s.siteName }))}
          cameras={cameras.map((c) => ({ id: c.cameraId, name: c.cameraName, siteId: c.siteId }))}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            rules.reload();
          }}
        />
      ) : null}
    </>
  );
}

/** The field error a pattern would get from the core, shown while typing. */
function patternError(text: string, sender = false): string | undefined {
  if (text.trim() === '') return undefined;
  const result = sender ? parseSenderPattern(text) : parsePattern(text);
  return result.ok ? undefined : result.message;
}

/** Writes or edits a rule, showing what it would take among recent mail before it is saved. */
export function RuleDialog(p: {
  initial: Partial<HeartbeatRule> & Pick<HeartbeatRule, 'scope' | 'siteId'>;
  sites: Named[];
  cameras: Named[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const toast = useToast();
  const existing = p.initial.id ? (p.initial as HeartbeatRule) : null;
  const [draft, setDraft] = useState<RuleFieldsInput>({
    scope: p.initial.scope,
    siteId: p.initial.siteId,
    cameraId: p.initial.cameraId ?? null,
    from: p.initial.from ?? '',
    subject: p.initial.subject ?? '',
    headerName: p.initial.headerName ?? '',
    headerValue: p.initial.headerValue ?? '',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = <K extends keyof RuleFieldsInput>(key: K, value: RuleFieldsInput[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setErrors((e) => ({ ...e, [key]: '' }));
  };
  const siteCameras = p.cameras.filter((c) => c.siteId === draft.siteId);
  const live = {
    from: patternError(draft.from ?? '', true),
    subject: patternError(draft.subject ?? ''),
    headerValue: patternError(draft.headerValue ?? ''),
  };
  const debounced = useDebounced(draft, 300);
  const [preview, setPreview] = useState<RulePreview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void api.heartbeats.previewRule(debounced).then((r) => {
      if (!live) return;
      setPreview(r.ok ? r.value : null);
      // A field's mistake is said at the field; the preview only waits for it.
      setPreviewError(
        r.ok
          ? null
          : r.error.code === 'invalid-input'
            ? 'complete the rule above to see what it would take.'
            : r.error.message,
      );
    });
    return () => {
      live = false;
    };
  }, [debounced]);

  async function fillFromTemplate() {
    if (!draft.cameraId && siteCameras.length === 0) return;
    try {
      const camera = await call(api.cameras.get({ id: draft.cameraId ?? siteCameras[0]!.id }));
      set('subject', camera.subjectTemplate);
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  async function save() {
    try {
      if (existing) await call(api.heartbeats.updateRule({ ...draft, id: existing.id }));
      else await call(api.heartbeats.createRule(draft));
      toast(
        'ok',
        existing ? 'Rule saved; recent mail matched again.' : 'Rule added; recent mail matched with it.',
      );
      p.onSaved();
    } catch (e) {
      setErrors(fieldErrors(e));
      if (Object.keys(fieldErrors(e)).length === 0) toast('bad', errorMessage(e));
    }
  }
  async function remove() {
    if (!existing) return;
    try {
      await call(api.heartbeats.removeRule({ id: existing.id }));
      toast('ok', 'Rule deleted; mail it matched is unmatched again.');
      p.onSaved();
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  return (
    <Dialog
      wide
      title={existing ? 'Edit heartbeat rule' : 'New heartbeat rule'}
      onClose={p.onClose}
      footer={
        <>
          {existing ? (
            <button type="button" className="btn danger" onClick={() => void remove()}>
              Delete rule
            </button>
          ) : null}
          <span className="spacer" />
          <button type="button" className="btn" onClick={p.onClose}>
            Cancel
          </button>
          <button type="button" className="btn primary" onClick={() => void save()}>
            {existing ? 'Save rule' : 'Add rule'}
          </button>
        </>
      }
    >
      <form
        noValidate
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <SelectField
          label="For"
          value={draft.scope}
          onChange={(v) => set('scope', v)}
          options={[
            { value: 'site', label: 'Every camera of a site (the subject names the camera)' },
            { value: 'camera', label: 'One camera' },
          ]}
        />
        <SelectField
          label="Site"
          value={draft.siteId}
          onChange={(v) => setDraft((d) => ({ ...d, siteId: v, cameraId: null }))}
          error={errors.siteId}
          options={p.sites.map((s) => ({ value: s.id, label: s.name }))}
        />
        {draft.scope === 'camera' ? (
          <SelectField
            label="Camera"
            value={draft.cameraId ?? ''}
            onChange={(v) => set('cameraId', v || null)}
            error={errors.cameraId}
            options={[
              { value: '', label: 'Choose a camera…' },
              ...siteCameras.map((c) => ({ value: c.id, label: c.name })),
            ]}
          />
        ) : null}
        <TextField
          label="Sender"
          value={draft.from ?? ''}
          onChange={(v) => set('from', v)}
          error={errors.from || live.from}
          placeholder="cam-north@site.example or *@site.example"
          hint="Leave empty for any sender."
        />
        <TextField
          wide
          label="Subject pattern"
          value={draft.subject ?? ''}
          onChange={(v) => set('subject', v)}
          error={errors.subject || live.subject}
          placeholder="%Site_Name% – %Camera_Name% – %Event_Type%"
          hint={
            <span>
              The subject as the camera writes it: variables such as{' '}
              {SUBJECT_VARIABLES.slice(0, 4)
                .map((v) => `%${v}%`)
                .join(', ')}
              , * for any text. Case and spacing do not matter.{' '}
              {siteCameras.length ? (
                <button type="button" className="link" onClick={() => void fillFromTemplate()}>
                  Use the camera's subject template
                </button>
              ) : null}
            </span>
          }
        />
        <TextField
          label="Header name"
          value={draft.headerName ?? ''}
          onChange={(v) => set('headerName', v)}
          error={errors.headerName}
          placeholder="X-Camera-Serial"
        />
        <TextField
          label="Header value"
          value={draft.headerValue ?? ''}
          onChange={(v) => set('headerValue', v)}
          error={errors.headerValue || live.headerValue}
          placeholder="%Serial%"
        />
      </form>
      <PreviewBox preview={preview} error={previewError} />
    </Dialog>
  );
}

/** What a rule would take among recent mail: counts, the first matches, and conflicts. */
export function PreviewBox({ preview, error }: { preview: RulePreview | null; error: string | null }) {
  if (error) return <p className="hb-preview muted">Preview: {error}</p>;
  if (!preview) return <p className="hb-preview muted">Preview: …</p>;
  return (
    <div className="hb-preview" aria-label="Rule preview">
      <strong>
        Matches {plural(preview.matched, 'message')} of the {preview.scanned.toLocaleString()} received in the
        last 7 days.
      </strong>
      {preview.unknownCameras.length ? (
        <p className="field-warning">
          Names in the subject that are not cameras of the site: {preview.unknownCameras.join(', ')}.
        </p>
      ) : null}
      {preview.samples.length ? (
        <ul className="hb-list">
          {preview.samples.slice(0, 8).map((s) => (
            <li key={s.messageKey}>
              <When iso={s.receivedAt} /> · <span className="hb-beat-subject">{s.subject}</span> →{' '}
              <strong>{s.cameraName}</strong>
              {s.currentCameraName ? (
                <span className="field-warning"> (now given to {s.currentCameraName})</span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
