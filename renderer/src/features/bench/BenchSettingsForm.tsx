import { useState } from 'react';
import {
  BENCH_SECURITY_LABELS,
  BENCH_SECURITY_MODES,
  type BenchSettings,
  type BenchStatus,
} from '../../../../shared/bench.ts';
import { NumberField, SelectField } from '../../components/fields.tsx';

/** The bench's settings; what was typed stays when a save is refused, with the error at its field. */
export function BenchSettingsForm({
  status,
  onSave,
}: {
  status: BenchStatus;
  onSave: (settings: Partial<BenchSettings>) => Promise<Record<string, string>>;
}) {
  const [draft, setDraft] = useState<Partial<BenchSettings>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const value = { ...status.settings, ...draft };
  const dirty = Object.keys(draft).length > 0;
  const number = (key: keyof BenchSettings) => ({
    value: (value[key] as number | null) ?? null,
    error: errors[key],
    onChange: (v: number | null) => {
      setDraft((d) => ({ ...d, [key]: v }));
      setErrors((e) => ({ ...e, [key]: '' }));
    },
  });
  async function save() {
    setSaving(true);
    const problems = await onSave(draft);
    setSaving(false);
    setErrors(problems);
    if (Object.keys(problems).length === 0) setDraft({});
  }
  return (
    <details className="bench-card bench-settings" open={!status.running && status.messageCount === 0}>
      <summary>Settings</summary>
      <div className="form-grid">
        <NumberField
          label="Port"
          min={1}
          max={65535}
          {...number('port')}
          hint="2525 needs no administrator rights; set the same port in the camera."
        />
        <SelectField
          label="Security"
          value={value.security}
          onChange={(v) => setDraft((d) => ({ ...d, security: v }))}
          options={BENCH_SECURITY_MODES.map((m) => ({ value: m, label: BENCH_SECURITY_LABELS[m] }))}
          hint="STARTTLS and SSL/TLS use a self-signed certificate made for this laptop."
        />
        <SelectField
          label="Logins"
          value={value.authMode}
          onChange={(v) => setDraft((d) => ({ ...d, authMode: v }))}
          options={[
            { value: 'cameras', label: "Cameras' own logins and app passwords" },
            { value: 'any', label: 'Accept any login (quick checks)' },
          ]}
        />
        <SelectField
          label="Listen on"
          value={value.listenAddress}
          error={errors.listenAddress}
          onChange={(v) => setDraft((d) => ({ ...d, listenAddress: v }))}
          options={[
            { value: '', label: 'Every address of this laptop' },
            ...status.addresses.map((a) => ({ value: a.address, label: `${a.address} (${a.interface})` })),
            { value: '127.0.0.1', label: '127.0.0.1 (this laptop only)' },
          ]}
        />
        <NumberField label="Largest message (MB)" min={1} max={100} {...number('maxMessageMb')} />
        <NumberField
          label="Messages kept"
          min={10}
          max={5000}
          {...number('keepMessages')}
          hint="The oldest are dropped."
        />
        <NumberField label="Connections per address" min={1} max={50} {...number('connectionsPerSource')} />
        <NumberField
          label="Messages a minute per address"
          min={1}
          max={6000}
          {...number('messagesPerMinute')}
          hint="Beyond it a camera is told to retry later; other cameras are not affected."
        />
      </div>
      <div className="row">
        <button type="button" className="btn primary" disabled={!dirty || saving} onClick={() => void save()}>
          {status.running ? 'Save and restart' : 'Save'}
        </button>
        {dirty ? (
          <button type="button" className="btn" onClick={() => (setDraft({}), setErrors({}))}>
            Undo changes
          </button>
        ) : null}
      </div>
    </details>
  );
}
