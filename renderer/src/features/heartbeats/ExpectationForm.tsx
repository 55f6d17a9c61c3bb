import { useState } from 'react';
import { defaultGraceMinutes, type MaintenanceWindow } from '../../../../shared/heartbeats.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { NumberField, SelectField, TextField } from '../../components/fields.tsx';
import { When } from '../../components/format.tsx';
import { Notice, useToast } from '../../components/ui.tsx';

export interface ExpectationFields {
  periodMinutes: number | null;
  graceMinutes: number | null;
  schedule: { times: string[]; timeZone: string } | null;
}

const LOCAL_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * Period and grace (Healthchecks.io's model) or a daily schedule; the same form for one camera
 * and for every camera of a site. What was typed stays when a save is refused.
 */
export function ExpectationForm(p: {
  initial: ExpectationFields;
  save: (fields: ExpectationFields) => Promise<unknown>;
  saveLabel?: string;
  onSaved?: () => void;
}) {
  const toast = useToast();
  const [mode, setMode] = useState<'period' | 'schedule' | 'none'>(
    p.initial.schedule ? 'schedule' : p.initial.periodMinutes !== null ? 'period' : 'none',
  );
  const [period, setPeriod] = useState<number | null>(p.initial.periodMinutes ?? 60);
  const [grace, setGrace] = useState<number | null>(p.initial.graceMinutes);
  const [times, setTimes] = useState((p.initial.schedule?.times ?? ['08:00']).join(', '));
  const [zone, setZone] = useState(p.initial.schedule?.timeZone ?? LOCAL_ZONE);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const defaultGrace = defaultGraceMinutes({
    periodMinutes: mode === 'period' ? period : null,
    schedule: mode === 'schedule' ? { times: [], timeZone: zone } : null,
  });

  async function save() {
    setSaving(true);
    try {
      await p.save({
        periodMinutes: mode === 'period' ? period : null,
        graceMinutes: mode === 'none' ? null : grace,
        schedule:
          mode === 'schedule'
            ? {
                times: times
                  .split(/[\s,;]+/)
                  .map((t) => t.trim())
                  .filter(Boolean)
                  .map((t) => (/^\d:\d\d$/.test(t) ? `0${t}` : t)),
                timeZone: zone.trim(),
              }
            : null,
      });
      setErrors({});
      toast('ok', 'Heartbeat expectation saved.');
      p.onSaved?.();
    } catch (e) {
      setErrors(fieldErrors(e));
      if (Object.keys(fieldErrors(e)).length === 0) toast('bad', errorMessage(e));
    } finally {
      setSaving(false);
    }
  }

  const timesError =
    errors['schedule.times'] ?? Object.entries(errors).find(([k]) => k.startsWith('schedule.times.'))?.[1];
  return (
    <form
      noValidate
      className="form-grid"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <SelectField
        label="Heartbeat expected"
        value={mode}
        onChange={setMode}
        options={[
          { value: 'period', label: 'Every … minutes' },
          { value: 'schedule', label: 'Daily at set times' },
          { value: 'none', label: 'Not expected (not watched)' },
        ]}
      />
      {mode === 'period' ? (
        <NumberField
          label="Period (minutes)"
          value={period}
          onChange={setPeriod}
          min={1}
          max={10080}
          error={errors.periodMinutes}
          hint="How often the camera sends its heartbeat (its Health Mail interval)."
        />
      ) : mode === 'schedule' ? (
        <>
          <TextField
            label="Times of day"
            value={times}
            onChange={setTimes}
            error={timesError}
            placeholder="08:00, 20:00"
            hint="24-hour HH:MM, separated by commas."
          />
          <TextField
            label="Time zone of the camera"
            value={zone}
            onChange={setZone}
            error={errors['schedule.timeZone']}
            hint="e.g. Europe/Paris; the camera's clock, not this computer's."
          />
        </>
      ) : (
        <span />
      )}
      {mode !== 'none' ? (
        <NumberField
          label="Grace (minutes)"
          value={grace}
          onChange={setGrace}
          min={1}
          max={10080}
          placeholder={`${defaultGrace} (default)`}
          error={errors.graceMinutes}
          hint="Late after the period; down when the grace has passed too."
        />
      ) : null}
      <div className="wide">
        <button type="submit" className="btn primary small" disabled={saving}>
          {saving ? 'Saving…' : (p.saveLabel ?? 'Save expectation')}
        </button>
      </div>
    </form>
  );
}

const inHours = (h: number) => {
  const d = new Date(Date.now() + h * 3_600_000);
  d.setSeconds(0, 0);
  // datetime-local wants local time without a zone
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

/** Maintenance windows: the ones that apply, "End now", and a new one (this camera or the whole site). */
export function PauseForm(p: {
  siteId: string;
  cameraId: string | null;
  windows: MaintenanceWindow[];
  onChanged: () => void;
  now: number;
}) {
  const toast = useToast();
  const [until, setUntil] = useState(() => inHours(4));
  const [reason, setReason] = useState('');
  const [scope, setScope] = useState<'camera' | 'site'>(p.cameraId ? 'camera' : 'site');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const current = p.windows.filter((w) => Date.parse(w.endsAt) > p.now);

  async function pause() {
    try {
      await call(
        api.heartbeats.pause({
          scope,
          siteId: p.siteId,
          cameraId: scope === 'camera' ? p.cameraId : null,
          endsAt: until ? new Date(until).toISOString() : '',
          reason,
        }),
      );
      setErrors({});
      toast('ok', scope === 'site' ? 'Every camera of the site is paused.' : 'Camera paused.');
      p.onChanged();
    } catch (e) {
      setErrors(fieldErrors(e));
      if (Object.keys(fieldErrors(e)).length === 0) toast('bad', errorMessage(e));
    }
  }
  async function resume(id: string) {
    try {
      await call(api.heartbeats.resume({ id }));
      toast('ok', 'Maintenance window ended.');
      p.onChanged();
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  return (
    <div className="hb-pause">
      {current.map((w) => (
        <Notice key={w.id} level="info" title={w.scope === 'site' ? 'The whole site is paused' : 'Paused'}>
          {Date.parse(w.startsAt) > p.now + 60_000 ? (
            <>
              From <When iso={w.startsAt} now={p.now} />{' '}
            </>
          ) : null}
          until <When iso={w.endsAt} now={p.now} />
          {w.reason ? `: ${w.reason}` : ''}.{' '}
          <button type="button" className="link" onClick={() => void resume(w.id)}>
            End now
          </button>
        </Notice>
      ))}
      <form
        noValidate
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void pause();
        }}
      >
        <label className="field">
          <span className="hb-label">Pause until</span>
          <input
            type="datetime-local"
            value={until}
            onChange={(e) => setUntil(e.target.value)}
            aria-invalid={Boolean(errors.endsAt)}
            aria-label="Pause until"
          />
          {errors.endsAt ? <span className="field-error">{errors.endsAt}</span> : null}
        </label>
        <TextField
          label="Reason"
          value={reason}
          onChange={setReason}
          placeholder="Replacing the switch"
          error={errors.reason}
        />
        {p.cameraId ? (
          <SelectField
            label="Pause"
            value={scope}
            onChange={setScope}
            options={[
              { value: 'camera', label: 'This camera' },
              { value: 'site', label: 'Every camera of the site' },
            ]}
          />
        ) : null}
        <div className="wide">
          <button type="submit" className="btn small">
            Pause for maintenance
          </button>
        </div>
      </form>
    </div>
  );
}
