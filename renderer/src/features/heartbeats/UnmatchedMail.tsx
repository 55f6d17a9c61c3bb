import { createColumnHelper } from '@tanstack/react-table';
import { useEffect, useMemo, useState } from 'react';
import { parsePattern, parseSenderPattern } from '../../../../shared/heartbeat-pattern.ts';
import type { RulePreview, UnmatchedGroup, UnmatchedPage } from '../../../../shared/heartbeats.ts';
import type { Camera } from '../../../../shared/vault.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { useDebounced, useQuery } from '../../app/hooks.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { TextField } from '../../components/fields.tsx';
import { plural, When } from '../../components/format.tsx';
import { Dialog, Notice, useToast } from '../../components/ui.tsx';
import { PreviewBox } from './RulesPanel.tsx';

const col = createColumnHelper<UnmatchedGroup>();

/** Recent mail no rule gave to a camera, grouped by mailbox, sender and subject; each can be assigned. */
export function UnmatchedMail(p: { page: UnmatchedPage | undefined; loading: boolean; reload: () => void }) {
  const [assigning, setAssigning] = useState<UnmatchedGroup | null>(null);
  const cameras = useQuery(() => api.cameras.list(), []);
  const sites = useQuery(() => api.sites.list(), []);
  const columns = useMemo(
    () => [
      col.accessor('lastAt', {
        header: 'Last received',
        meta: { width: '150px' },
        cell: (c) => <When iso={c.getValue()} />,
      }),
      col.accessor('from', {
        header: 'From',
        meta: { width: 'minmax(170px, 1.2fr)' },
        cell: (c) => <span className="mono small">{c.getValue()}</span>,
      }),
      col.accessor('subject', {
        header: 'Subject (newest)',
        meta: { width: 'minmax(220px, 2.2fr)' },
        cell: (c) => <span title={c.getValue()}>{c.getValue()}</span>,
      }),
      col.accessor('count', { header: 'Messages', meta: { width: '120px', align: 'end' } }),
      col.accessor((g) => `${g.mailboxTitle}${g.folderRole === 'junk' ? ' Junk' : ''}`, {
        id: 'mailbox',
        header: 'Mailbox',
        meta: { width: 'minmax(130px, 1fr)' },
      }),
      col.display({
        id: 'assign',
        header: '',
        meta: { width: '170px' },
        cell: (c) => (
          <button
            type="button"
            className="btn small"
            onClick={(e) => {
              e.stopPropagation();
              setAssigning(c.row.original);
            }}
          >
            Assign to camera…
          </button>
        ),
      }),
    ],
    [],
  );
  const page = p.page;
  return (
    <>
      {page && page.messages > 0 ? (
        <p className="muted hb-unmatched-note">
          {plural(page.messages, 'message')} of the last {page.windowDays} days matched no rule
          {page.scanned >= 5000 ? ` (the newest ${page.scanned.toLocaleString()} were looked at)` : ''}.
          Assigning one to a camera saves a rule, and every message like it becomes that camera's heartbeat.
        </p>
      ) : null}
      <DataTable
        label="Unmatched mail"
        data={page?.groups ?? []}
        columns={columns}
        getRowId={(g) => g.messageKey}
        searchPlaceholder="Search sender, subject, mailbox…"
        initialSorting={[{ id: 'lastAt', desc: true }]}
        actions={
          <button type="button" className="btn small" onClick={p.reload}>
            Refresh
          </button>
        }
        empty={
          p.loading ? 'Loading…' : 'Every recent message from the watched mailboxes is matched to a camera.'
        }
      />
      {assigning ? (
        <AssignDialog
          group={assigning}
          cameras={cameras.data ?? []}
          siteName={new Map((sites.data ?? []).map((s) => [s.id, s.name]))}
          onClose={() => setAssigning(null)}
          onAssigned={() => {
            setAssigning(null);
            p.reload();
          }}
        />
      ) : null}
    </>
  );
}

/**
 * Assigns a message to a camera: AlertDesk proposes the rule (its sender, its subject with the
 * camera's name and the changing parts as variables), shows what it would take, and saves it.
 */
function AssignDialog(p: {
  group: UnmatchedGroup;
  cameras: Camera[];
  siteName: Map<string, string>;
  onClose: () => void;
  onAssigned: () => void;
}) {
  const toast = useToast();
  const [cameraId, setCameraId] = useState(p.group.suggestedCameraId ?? '');
  const [filter, setFilter] = useState('');
  const [from, setFrom] = useState(p.group.from);
  const [subject, setSubject] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<RulePreview | null>(null);
  const [saving, setSaving] = useState(false);
  const camera = p.cameras.find((c) => c.id === cameraId);
  const needle = filter.trim().toLowerCase();
  const choices = useMemo(
    () =>
      p.cameras
        .filter(
          (c) => !needle || `${c.name} ${p.siteName.get(c.siteId) ?? ''}`.toLowerCase().includes(needle),
        )
        .slice(0, 200),
    [p.cameras, p.siteName, needle],
  );

  // A new camera: AlertDesk proposes the rule again (the camera's own name becomes %Camera_Name%).
  useEffect(() => {
    if (!cameraId) return;
    let live = true;
    void api.heartbeats.proposeRule({ messageKey: p.group.messageKey, cameraId }).then((r) => {
      if (!live || !r.ok) return;
      setFrom(r.value.from);
      setSubject(r.value.subject);
      setPreview(r.value.preview);
    });
    return () => {
      live = false;
    };
  }, [cameraId, p.group.messageKey]);

  const draft = useDebounced({ from, subject }, 300);
  useEffect(() => {
    if (!camera) return;
    let live = true;
    void api.heartbeats
      .previewRule({ scope: 'camera', siteId: camera.siteId, cameraId: camera.id, ...draft })
      .then((r) => live && setPreview(r.ok ? r.value : null));
    return () => {
      live = false;
    };
  }, [draft, camera]);

  const fromProblem = from.trim()
    ? parseSenderPattern(from).ok
      ? undefined
      : 'Not an address or *@domain.'
    : undefined;
  const subjectResult = parsePattern(subject);

  async function assign() {
    setSaving(true);
    try {
      const result = await call(
        api.heartbeats.assign({ messageKey: p.group.messageKey, cameraId, from, subject }),
      );
      toast(
        'ok',
        `Rule saved: ${plural(result.matched, 'message')} of ${camera?.name ?? 'the camera'} matched.`,
      );
      p.onAssigned();
    } catch (e) {
      setErrors(fieldErrors(e));
      if (Object.keys(fieldErrors(e)).length === 0) toast('bad', errorMessage(e));
    } finally {
      setSaving(false);
    }
  }

  return (
    <Dialog
      wide
      title="Assign to a camera"
      onClose={p.onClose}
      footer={
        <>
          <span className="spacer" />
          <button type="button" className="btn" onClick={p.onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn primary"
            disabled={!cameraId || saving}
            onClick={() => void assign()}
          >
            {saving ? 'Saving…' : 'Assign and save rule'}
          </button>
        </>
      }
    >
      <Notice level="info" title={p.group.subject}>
        From {p.group.from} · {plural(p.group.count, 'message')} in {p.group.mailboxTitle}
        {p.group.folderRole === 'junk' ? ' (Junk)' : ''}
      </Notice>
      <div className="form-grid">
        <div className="field wide">
          <span className="hb-label">Camera</span>
          <input
            type="search"
            placeholder="Filter cameras by name or site…"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            aria-label="Filter cameras"
          />
          <select
            size={6}
            value={cameraId}
            onChange={(e) => setCameraId(e.target.value)}
            aria-label="Camera"
            aria-invalid={Boolean(errors.cameraId)}
          >
            {choices.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} — {p.siteName.get(c.siteId) ?? ''}
                {c.id === p.group.suggestedCameraId ? ' (named in the subject)' : ''}
              </option>
            ))}
          </select>
          {errors.cameraId ? <span className="field-error">{errors.cameraId}</span> : null}
        </div>
        <TextField
          label="Sender"
          value={from}
          onChange={setFrom}
          error={errors.from || fromProblem}
          hint="Empty: any sender."
        />
        <TextField
          label="Subject pattern"
          value={subject}
          onChange={setSubject}
          error={errors.subject || (subjectResult.ok ? undefined : subjectResult.message)}
          hint="%Camera_Name% stands for the camera's name; * for text that changes (dates, times)."
        />
      </div>
      {camera ? (
        <PreviewBox preview={preview} error={null} />
      ) : (
        <p className="muted">Choose the camera that sent it.</p>
      )}
    </Dialog>
  );
}
