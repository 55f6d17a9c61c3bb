import { useState } from 'react';
import {
  ALERTED_STATES,
  type AlertSettings,
  type AlertedState,
  type HeartbeatAlert,
} from '../../../../shared/heartbeats.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';
import { navigate } from '../../app/router.ts';
import {
  CheckboxField,
  SelectField,
  TextField,
  listError,
  splitAddresses,
} from '../../components/fields.tsx';
import { When } from '../../components/format.tsx';
import { Notice, useToast } from '../../components/ui.tsx';
import { StateBadge } from './state.tsx';

/** The alerts sent (newest first, live) and how they are sent: OS notifications, e-mail escalation. */
export function AlertsPanel() {
  const history = useQuery(() => api.heartbeats.alerts({ limit: 200 }), []);
  // Alerts pushed while the page is open, newest first, above the ones loaded.
  const [pushed, setPushed] = useState<HeartbeatAlert[]>([]);
  useEvent('heartbeats', (event) => {
    if (event.alert) setPushed((list) => [event.alert!, ...list]);
  });
  const loadedIds = new Set((history.data ?? []).map((a) => a.id));
  const alerts = [...pushed.filter((a) => !loadedIds.has(a.id)), ...(history.data ?? [])];
  const settings = useQuery(() => api.heartbeats.alertSettings(), []);
  return (
    <div className="hb-alerts">
      <section className="card">
        <h2>How alerts are sent</h2>
        {settings.data ? <AlertSettingsForm initial={settings.data} /> : <p className="muted">Loading…</p>}
      </section>
      <section className="card">
        <h2>Alerts sent</h2>
        {alerts.length === 0 ? (
          <p className="muted">
            None yet. An alert goes out when cameras turn late, down or unknown, and when they come back up —
            one per site for cameras that change together.
          </p>
        ) : (
          <ul className="hb-list hb-alert-list">
            {alerts.map((a) => (
              <li key={a.id} className={a.kind}>
                <div className="hb-alert-head">
                  <strong>{a.title}</strong>
                  <When iso={a.at} />
                </div>
                <div>{a.body}</div>
                <div className="muted small">
                  {a.transitions.length > 1 ? `${a.transitions.length} state changes · ` : ''}
                  {a.notified ? 'notified on this computer' : 'not shown as a notification'}
                  {a.deliveryId ? (
                    <>
                      {' · '}
                      <button type="button" className="link" onClick={() => navigate('deliveries')}>
                        e-mailed (see Deliveries)
                      </button>
                    </>
                  ) : null}
                </div>
                {a.emailProblem ? <p className="field-error">{a.emailProblem}</p> : null}
                {a.transitions.length <= 3
                  ? a.transitions.map((t) => (
                      <div key={`${t.cameraId}-${t.at}`} className="small">
                        {t.cameraName}: <StateBadge state={t.from} /> → <StateBadge state={t.to} />
                      </div>
                    ))
                  : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function AlertSettingsForm({ initial }: { initial: AlertSettings }) {
  const toast = useToast();
  const connectors = useQuery(() => api.connectors.list(), []);
  const [notify, setNotify] = useState(initial.notify);
  const [enabled, setEnabled] = useState(initial.email.enabled);
  const [connectorId, setConnectorId] = useState(initial.email.connectorId ?? '');
  const [recipients, setRecipients] = useState(initial.email.recipients.join(', '));
  const [states, setStates] = useState<AlertedState[]>(initial.email.states);
  const [recoveries, setRecoveries] = useState(initial.email.recoveries);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const chosen = connectors.data?.find((c) => c.id === connectorId);

  async function save() {
    try {
      await call(
        api.heartbeats.setAlertSettings({
          notify,
          email: {
            enabled,
            connectorId: connectorId || null,
            recipients: splitAddresses(recipients),
            states,
            recoveries,
          },
        }),
      );
      setErrors({});
      toast('ok', 'Alert settings saved.');
    } catch (e) {
      setErrors(fieldErrors(e));
      if (Object.keys(fieldErrors(e)).length === 0) toast('bad', errorMessage(e));
    }
  }

  return (
    <form
      noValidate
      className="form-grid hb-alert-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <CheckboxField
        label="Show a notification on this computer"
        checked={notify}
        onChange={setNotify}
        hint="One per site when its cameras turn late, down or unknown, and when they come back."
      />
      <CheckboxField
        label="Also send alert e-mails"
        checked={enabled}
        onChange={setEnabled}
        hint="Queued through a connector like a test e-mail; they appear under Deliveries."
      />
      {enabled ? (
        <>
          <SelectField
            label="Send through connector"
            value={connectorId}
            onChange={setConnectorId}
            error={errors['email.connectorId']}
            warning={
              chosen && chosen.state !== 'RUN'
                ? `"${chosen.title}" is STOPPED: alert e-mails will not go out until it is started.`
                : undefined
            }
            options={[
              { value: '', label: 'Choose a connector…' },
              ...(connectors.data ?? []).map((c) => ({ value: c.id, label: `${c.title} (${c.host})` })),
            ]}
          />
          <TextField
            label="Recipients"
            value={recipients}
            onChange={setRecipients}
            error={listError(errors, 'email.recipients')}
            placeholder="oncall@integrator.example"
          />
          <fieldset className="hb-states-choice wide">
            <legend>E-mail when cameras turn</legend>
            {ALERTED_STATES.map((s) => (
              <label key={s}>
                <input
                  type="checkbox"
                  checked={states.includes(s)}
                  onChange={(e) =>
                    setStates((list) => (e.target.checked ? [...list, s] : list.filter((x) => x !== s)))
                  }
                />
                <StateBadge state={s} />
              </label>
            ))}
            <label>
              <input type="checkbox" checked={recoveries} onChange={(e) => setRecoveries(e.target.checked)} />
              and when they come back up
            </label>
            {errors['email.states'] ? <span className="field-error">{errors['email.states']}</span> : null}
          </fieldset>
        </>
      ) : null}
      {Object.keys(errors).length && !Object.keys(errors).some((k) => k.startsWith('email')) ? (
        <Notice level="error">{Object.values(errors)[0]}</Notice>
      ) : null}
      <div className="wide">
        <button type="submit" className="btn primary small">
          Save alert settings
        </button>
      </div>
    </form>
  );
}
