import { useState } from 'react';
import { draftFields, useDraft } from '../../app/draft.ts';
import type { Connector, Site } from '../../../../shared/domain.ts';
import { renderSubject, sampleValues, SUBJECT_VARIABLES } from '../../../../shared/subject.ts';
import type { CameraHealth } from '../../../../shared/health.ts';
import type { AppPasswordRecord, Camera } from '../../../../shared/vault.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import {
  NumberField,
  SelectField,
  TextArea,
  TextField,
  listError,
  splitAddresses,
} from '../../components/fields.tsx';
import { When, plural } from '../../components/format.tsx';
import { HealthSection } from '../../components/health.tsx';
import { navigate } from '../../app/router.ts';
import { Badge, Notice, SidePanel, useToast } from '../../components/ui.tsx';

interface Draft {
  siteId: string;
  name: string;
  vendor: string;
  model: string;
  host: string;
  serial: string;
  location: string;
  connectorId: string;
  smtpLogin: string;
  appPasswordId: string;
  recipients: string;
  subjectTemplate: string;
  heartbeatMinutes: number | null;
  notes: string;
}

const draftOf = (c: Camera | null, siteId: string): Draft =>
  c
    ? {
        siteId: c.siteId,
        name: c.name,
        vendor: c.vendor,
        model: c.model,
        host: c.host,
        serial: c.serial,
        location: c.location,
        connectorId: c.connectorId ?? '',
        smtpLogin: c.smtpLogin,
        appPasswordId: c.appPasswordId ?? '',
        recipients: c.recipients.join(', '),
        subjectTemplate: c.subjectTemplate,
        heartbeatMinutes: c.heartbeatMinutes,
        notes: c.notes,
      }
    : {
        siteId,
        name: '',
        vendor: '',
        model: '',
        host: '',
        serial: '',
        location: '',
        connectorId: '',
        smtpLogin: '',
        appPasswordId: '',
        recipients: '',
        subjectTemplate: '%Site_Name% – %Camera_Name% – %Event_Type%',
        heartbeatMinutes: null,
        notes: '',
      };

/**
 * A camera that logs in with its own account but whose app password is not recorded: it cannot be
 * tested, and the panel, the run and the report offer to record it.
 */
export function needsRecord(camera: Camera, connectors: Connector[]): boolean {
  if (camera.appPasswordId || !camera.smtpLogin || !camera.connectorId) return false;
  const connector = connectors.find((c) => c.id === camera.connectorId);
  return connector !== undefined && connector.username.toLowerCase() !== camera.smtpLogin.toLowerCase();
}

const STATUS_TONE = { active: 'ok', 'suspected-revoked': 'bad', revoked: 'bad', retired: 'muted' } as const;

export function CameraPanel(p: {
  camera: Camera | null;
  sites: Site[];
  connectors: Connector[];
  records: AppPasswordRecord[];
  defaultSiteId: string;
  health?: CameraHealth | undefined;
  onClose: () => void;
  onSaved: () => void;
}) {
  const toast = useToast();
  const [draft, setDraft, set] = useDraft<Draft>(() => draftOf(p.camera, p.defaultSiteId));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const field = draftFields(draft, set, errors);
  const site = p.sites.find((s) => s.id === draft.siteId);
  const siteConnectors = p.connectors.filter((c) => c.siteId === draft.siteId);
  const record = p.records.find((r) => r.id === draft.appPasswordId);
  const preview = renderSubject(draft.subjectTemplate, {
    Camera_Name: draft.name || 'Camera',
    Site_Name: site?.name ?? '',
    Customer: site?.customer ?? '',
    Camera_Location: draft.location,
    Camera_IP: draft.host,
    Camera_Model: draft.model,
    Vendor: draft.vendor,
    Serial: draft.serial,
    ...sampleValues(),
  });

  async function save() {
    setSaving(true);
    const input = {
      siteId: draft.siteId,
      name: draft.name,
      vendor: draft.vendor,
      model: draft.model,
      host: draft.host,
      serial: draft.serial,
      location: draft.location,
      connectorId: draft.connectorId || null,
      smtpLogin: draft.smtpLogin,
      appPasswordId: draft.appPasswordId || null,
      recipients: splitAddresses(draft.recipients),
      subjectTemplate: draft.subjectTemplate,
      heartbeatMinutes: draft.heartbeatMinutes,
      notes: draft.notes,
    };
    try {
      const saved = p.camera
        ? await call(api.cameras.update({ ...input, id: p.camera.id }))
        : await call(api.cameras.create(input));
      toast('ok', `Camera "${saved.name}" saved.`);
      p.onSaved();
    } catch (e) {
      setErrors(fieldErrors(e));
      setSummary(errorMessage(e));
    } finally {
      setSaving(false);
    }
  }

  async function verify() {
    try {
      const { total } = await call(api.vault.verify({ scope: 'camera', id: p.camera!.id }));
      toast(
        'info',
        `Verifying ${plural(total, 'app password')} without sending; the result appears under App passwords.`,
      );
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  async function remove() {
    try {
      await call(api.cameras.remove({ id: p.camera!.id }));
      toast('ok', `Camera "${p.camera!.name}" deleted.`);
      p.onSaved();
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  return (
    <SidePanel
      wide
      title={p.camera ? p.camera.name : 'New camera'}
      subtitle={
        p.camera ? (
          <span>
            {site?.name ?? ''} · updated <When iso={p.camera.updatedAt} />
          </span>
        ) : (
          'A device that sends alert e-mail'
        )
      }
      onClose={p.onClose}
      footer={
        <>
          {p.camera ? (
            <button type="button" className="btn danger" onClick={() => void remove()}>
              Delete
            </button>
          ) : null}
          {p.camera ? (
            <button type="button" className="btn" onClick={() => navigate(`heartbeats/${p.camera!.id}`)}>
              Heartbeat…
            </button>
          ) : null}
          {p.camera?.appPasswordId ? (
            <button type="button" className="btn" onClick={() => void verify()}>
              Verify app password
            </button>
          ) : null}
          <span className="spacer" />
          <button type="button" className="btn" onClick={p.onClose}>
            Cancel
          </button>
          <button type="button" className="btn primary" disabled={saving} onClick={() => void save()}>
            {saving ? 'Saving…' : p.camera ? 'Save camera' : 'Create camera'}
          </button>
        </>
      }
    >
      {p.health && p.camera ? (
        <HealthSection level={p.health.level} reasons={p.health.reasons} lastResult={p.health.lastResult}>
          {needsRecord(p.camera, p.connectors) ? (
            <button
              type="button"
              className="btn small"
              onClick={() =>
                navigate(
                  `vault?new=1&account=${encodeURIComponent(p.camera!.smtpLogin)}&camera=${p.camera!.id}`,
                )
              }
            >
              Record its app password…
            </button>
          ) : null}
        </HealthSection>
      ) : null}
      {summary ? <Notice level="error">{summary}</Notice> : null}
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <TextField label="Camera name" {...field('name')} placeholder="North Gate PTZ" />
        <SelectField
          label="Site"
          name="siteId"
          value={draft.siteId}
          onChange={(v) => setDraft((d) => ({ ...d, siteId: v, connectorId: '' }))}
          options={[
            { value: '', label: 'Choose a site…' },
            ...p.sites.map((s) => ({ value: s.id, label: s.name })),
          ]}
          error={errors.siteId}
        />
        <TextField label="Vendor" {...field('vendor')} />
        <TextField label="Model" {...field('model')} />
        <TextField label="IP address or host" {...field('host')} placeholder="192.168.1.64" />
        <TextField label="Serial / MAC" {...field('serial')} />
        <TextField label="Location" {...field('location')} wide />
        <SelectField
          label="Connector"
          {...field('connectorId')}
          options={[
            { value: '', label: siteConnectors.length ? 'None' : 'No connector at this site' },
            ...siteConnectors.map((c) => ({ value: c.id, label: `${c.title} (${c.host})` })),
          ]}
        />
        <TextField
          label="SMTP login the camera uses"
          {...field('smtpLogin')}
          placeholder="alerts@example.com"
        />
        <SelectField
          label="App password record"
          {...field('appPasswordId')}
          options={[
            { value: '', label: 'None recorded' },
            ...p.records
              .filter((r) => r.status !== 'retired' || r.id === draft.appPasswordId)
              .map((r) => ({ value: r.id, label: `${r.account} · ${r.label} (${r.status})` })),
          ]}
          hint={
            record ? (
              <span>
                <Badge tone={STATUS_TONE[record.status]}>{record.status}</Badge>{' '}
                {record.lastVerified ? (
                  <>
                    verified <When iso={record.lastVerified.at} /> —{' '}
                    {record.lastVerified.ok ? 'accepted' : record.lastVerified.failureClass}
                  </>
                ) : (
                  'never verified'
                )}
              </span>
            ) : (
              'Record the app password this camera uses, so it can be re-entered when the camera is replaced.'
            )
          }
          warning={
            record && record.account.toLowerCase() !== draft.smtpLogin.toLowerCase() && draft.smtpLogin
              ? `The record is for ${record.account}, the camera logs in as ${draft.smtpLogin}.`
              : undefined
          }
        />
        <NumberField
          label="Heartbeat every (minutes)"
          {...field('heartbeatMinutes')}
          placeholder="none"
          hint="60, 360 or 1440 for hourly, 6-hourly or daily heartbeats."
        />
        <TextField
          label="Recipients"
          {...field('recipients')}
          error={listError(errors, 'recipients')}
          wide
          placeholder="ops@example.com, guard@example.com"
        />
        <TextField
          label="Subject template"
          {...field('subjectTemplate')}
          warning={
            preview.unknown.length
              ? `Unknown variable${preview.unknown.length > 1 ? 's' : ''}: ${preview.unknown.join(', ')}`
              : undefined
          }
          wide
          hint={`Variables: ${SUBJECT_VARIABLES.map((v) => `%${v}%`).join(' ')}`}
        />
        <div className="wide subject-preview" aria-live="polite">
          <span className="muted">Preview:</span>{' '}
          <strong data-testid="subject-preview">{preview.text || '(empty subject)'}</strong>
        </div>
        <TextArea label="Notes" {...field('notes')} wide rows={3} />
        <button type="submit" hidden />
      </form>
    </SidePanel>
  );
}
