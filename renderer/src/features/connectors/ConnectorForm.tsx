import { useState } from 'react';
import { draftFields, type SetField } from '../../app/draft.ts';
import { connectorAdvice, type Advice } from '../../../../shared/connector-advice.ts';
import type { Connector, Site } from '../../../../shared/domain.ts';
import { AUTH_METHODS, SECURITY_MODES } from '../../../../shared/domain.ts';
import {
  AUTH_LABELS,
  DEFAULT_PORTS,
  PRESETS,
  SECURITY_LABELS,
  SES_REGIONS,
  presetById,
} from '../../../../shared/presets.ts';
import { api, call, errorMessage } from '../../api.ts';
import { CertificateSection } from '../../components/CertificateSection.tsx';
import { PresetGrid } from '../../components/PresetGrid.tsx';
import { CheckboxField, NumberField, SelectField, TextArea, TextField } from '../../components/fields.tsx';
import { Dialog, Notice } from '../../components/ui.tsx';
import { OAUTH_SMTP_HOSTS, oauthProviderFor } from '../../../../shared/oauth.ts';
import { POP_PORTS, applyPreset, withSecurity, type ConnectorDraft } from './draft.ts';
import { OAuthSignIn } from '../../components/oauth/OAuthSignIn.tsx';

interface Props {
  draft: ConnectorDraft;
  onChange: (draft: ConnectorDraft) => void;
  errors: Record<string, string>;
  sites: Site[];
  existing: Connector | null;
}

/** The connector's settings, as the seeds describe them; every error is shown at its field. */
export function ConnectorForm({ draft, onChange, errors, sites, existing }: Props) {
  const [importing, setImporting] = useState(false);
  const [importWarnings, setImportWarnings] = useState<string[]>([]);
  const [sesRegion, setSesRegion] = useState(
    () => /email-smtp\.([a-z0-9-]+)\.amazonaws\.com/.exec(draft.host)?.[1] ?? 'us-east-1',
  );
  const set: SetField<ConnectorDraft> = (key, value) => onChange({ ...draft, [key]: value });
  const field = draftFields(draft, set, errors);
  const setPop = <K extends keyof ConnectorDraft['pop']>(key: K, value: ConnectorDraft['pop'][K]) =>
    onChange({ ...draft, pop: { ...draft.pop, [key]: value } });
  const preset = presetById(draft.presetId);
  const advice = connectorAdvice({
    host: draft.host,
    port: draft.port ?? 0,
    security: draft.security,
    auth: draft.auth,
    username: draft.username,
    sender: draft.sender,
    presetId: draft.presetId,
    mailDebug: draft.mailDebug,
    allowPlainLogin: draft.allowPlainLogin,
    newPassword: draft.password,
  });
  const at = (field: string) => advice.find((a) => a.field === field && a.level !== 'info')?.text;
  const general = advice.filter((a) => !a.field || a.level === 'info');
  const usesLogin = draft.auth === 'plain' || draft.auth === 'login' || draft.auth === 'cram-md5';

  return (
    <div className="connector-form">
      <section className="form-section">
        <h3>Start from a preset</h3>
        <PresetGrid
          label="Provider presets"
          presets={PRESETS}
          selected={draft.presetId}
          onPick={(p) => onChange(applyPreset(draft, p, sesRegion))}
          onCustom={() => set('presetId', null)}
          customHint="any SMTP server"
          noHost="your relay"
        />
        {preset?.provider === 'ses' ? (
          <SelectField
            label="SES region"
            value={sesRegion}
            options={SES_REGIONS.map((r) => ({ value: r, label: r }))}
            onChange={(r) => {
              setSesRegion(r);
              onChange(applyPreset(draft, preset, r));
            }}
          />
        ) : null}
        {general.map((a: Advice, i) => (
          <Notice key={i} level={a.level}>
            {a.text}
          </Notice>
        ))}
      </section>

      <section className="form-section form-grid">
        <h3 className="wide">Connector</h3>
        <TextField label="Title (its purpose)" {...field('title')} placeholder="e.g. Security alerts" />
        <SelectField
          label="Site"
          {...field('siteId')}
          options={[
            { value: '', label: 'Choose a site…' },
            ...sites.map((s) => ({ value: s.id, label: s.name })),
          ]}
        />
        <TextField label="SMTP host" {...field('host')} placeholder="smtp.gmail.com" />
        <SelectField
          label="Security"
          name="security"
          value={draft.security}
          onChange={(v) => onChange(withSecurity(draft, v))}
          options={SECURITY_MODES.map((m) => ({ value: m, label: SECURITY_LABELS[m] }))}
          error={errors.security}
          warning={at('security')}
        />
        <NumberField
          label="Port"
          name="port"
          value={draft.port}
          min={1}
          max={65535}
          onChange={(v) => onChange({ ...draft, port: v, portIsManual: v !== DEFAULT_PORTS[draft.security] })}
          error={errors.port}
          warning={at('port')}
          hint={
            draft.portIsManual ? (
              <button
                type="button"
                className="link"
                onClick={() =>
                  onChange({ ...draft, port: DEFAULT_PORTS[draft.security], portIsManual: false })
                }
              >
                Use the default for this mode ({DEFAULT_PORTS[draft.security]})
              </button>
            ) : (
              'Follows the security mode until you type a port.'
            )
          }
        />
        <SelectField
          label="Authentication"
          {...field('auth')}
          options={AUTH_METHODS.map((m) => ({ value: m, label: AUTH_LABELS[m] }))}
        />
        {usesLogin ? (
          <>
            <TextField label="User name" {...field('username')} placeholder="alerts@example.com" />
            <TextField
              label={existing?.hasPassword ? 'Password (stored — type to replace)' : 'Password'}
              name="password"
              type="password"
              value={draft.password}
              onChange={(v) => onChange({ ...draft, password: v, clearPassword: false })}
              error={errors.password}
              warning={at('password')}
              hint={
                preset?.passwordHint ??
                (existing?.hasPassword
                  ? 'Leave empty to keep the stored password.'
                  : 'Stored encrypted; never shown again.')
              }
            />
            {existing?.hasPassword ? (
              <CheckboxField
                label="Clear the stored password"
                checked={draft.clearPassword}
                onChange={(v) => onChange({ ...draft, clearPassword: v, password: v ? '' : draft.password })}
              />
            ) : null}
            {draft.security === 'none' ? (
              <div className={`plain-login wide${draft.allowPlainLogin ? ' on' : ''}`}>
                <CheckboxField
                  label="Allow login without encryption"
                  checked={draft.allowPlainLogin}
                  onChange={(v) => set('allowPlainLogin', v)}
                  hint={
                    draft.allowPlainLogin
                      ? 'On: where the server offers no STARTTLS, the user name and password cross the network in clear text — anyone on the path can read them. Only for a relay inside a trusted network.'
                      : 'Off (recommended): AlertDesk logs in only after upgrading with STARTTLS, and refuses to send the password when the server does not offer it.'
                  }
                />
              </div>
            ) : null}
          </>
        ) : null}
        {draft.auth === 'xoauth2' ? (
          <>
            <TextField
              label="User name (the mailbox)"
              {...field('username')}
              placeholder="alerts@contoso.com"
              hint="Filled in by the sign-in; it must be the signed-in mailbox."
            />
            <OAuthSignIn
              provider={oauthProviderFor(preset?.provider, draft.host, OAUTH_SMTP_HOSTS)}
              accountId={draft.oauthAccountId}
              username={draft.username}
              purpose="connector"
              error={errors.oauthAccountId}
              onSignedIn={(account) =>
                onChange({
                  ...draft,
                  oauthAccountId: account.id,
                  username: draft.username.trim() === '' ? account.account : draft.username,
                  sender: draft.sender.trim() === '' ? account.account : draft.sender,
                })
              }
              onSignedOut={() => onChange({ ...draft, oauthAccountId: null })}
            />
          </>
        ) : null}
        <TextField
          label="Sender address"
          {...field('sender')}
          warning={at('sender')}
          placeholder="alerts@example.com"
        />
        <TextField label="Sender name" {...field('senderName')} placeholder="Site A cameras" />
        <TextField label="Reply-to" {...field('replyTo')} placeholder="noc@example.com (optional)" />
        <NumberField
          label="Timeout (seconds)"
          {...field('connectionTimeoutSec')}
          min={1}
          max={600}
          hint="Gives up when the server stops answering (default 60)."
        />
      </section>

      {draft.auth === 'pop-before-smtp' ? (
        <section className="form-section form-grid">
          <h3 className="wide">POP-before-SMTP</h3>
          {errors.pop ? <Notice level="error">{errors.pop}</Notice> : null}
          <TextField
            label="POP3 host"
            value={draft.pop.host}
            onChange={(v) => setPop('host', v)}
            error={errors['pop.host']}
          />
          <SelectField
            label="POP3 security"
            value={draft.pop.security}
            onChange={(v) => onChange({ ...draft, pop: { ...draft.pop, security: v, port: POP_PORTS[v] } })}
            options={SECURITY_MODES.map((m) => ({
              value: m,
              label: m === 'tls' ? 'SSL/TLS (995)' : m === 'starttls' ? 'STLS (110)' : 'None (110)',
            }))}
          />
          <NumberField
            label="POP3 port"
            value={draft.pop.port}
            onChange={(v) => setPop('port', v)}
            error={errors['pop.port']}
          />
          <TextField
            label="POP3 user"
            value={draft.pop.username}
            onChange={(v) => setPop('username', v)}
            error={errors['pop.username']}
          />
          <TextField
            label={existing?.pop?.hasPassword ? 'POP3 password (stored — type to replace)' : 'POP3 password'}
            type="password"
            value={draft.pop.password}
            onChange={(v) => setPop('password', v)}
            error={errors['pop.password']}
          />
          <NumberField
            label="Wait after POP3 login (ms)"
            value={draft.pop.delayMs}
            onChange={(v) => setPop('delayMs', v)}
            error={errors['pop.delayMs']}
          />
          <CheckboxField label="Use APOP" checked={draft.pop.apop} onChange={(v) => setPop('apop', v)} />
        </section>
      ) : null}

      <CertificateSection
        summary="Trusted certificate (self-signed relays)"
        description="For a relay with a self-signed certificate, paste its certificate here. Only that certificate is trusted for this connector; certificate checks are never turned off."
        pem={draft.trustedCertificatePem}
        onChange={(v) => set('trustedCertificatePem', v)}
        error={errors.trustedCertificatePem}
      />

      <details className="form-section">
        <summary>Delivery limits and retries</summary>
        <div className="form-grid">
          <NumberField
            label="Sessions at once"
            {...field('maxSessions')}
            min={1}
            max={16}
            hint="Default 4."
          />
          <NumberField
            label="Messages per minute"
            {...field('rateLimitPerMinute')}
            placeholder="no limit"
            hint="Office 365 allows 30."
          />
          <NumberField
            label="Messages per day"
            {...field('dailyLimit')}
            placeholder="no limit"
            hint="Gmail: 500 (2,000 for Workspace)."
          />
          <TextField
            label="Retry after (seconds)"
            {...field('retryDelays')}
            error={
              errors.retryDelaysSec ??
              Object.entries(errors).find(([k]) => k.startsWith('retryDelaysSec.'))?.[1]
            }
            hint="Transient failures are retried after each wait; default 10, 30 (three tries)."
          />
          <CheckboxField
            label="Mail debug (mail.debug)"
            checked={draft.mailDebug}
            onChange={(v) => set('mailDebug', v)}
            hint="Keeps full server dialogue in transcripts; turn off in production."
          />
        </div>
      </details>

      <section className="form-section">
        <h3>JavaMail properties</h3>
        <p className="muted">
          Import the <code>mail.smtp.*</code> properties of a video platform's connector; keys AlertDesk does
          not use are kept and exported again.
        </p>
        <div className="row">
          <button type="button" className="btn" onClick={() => setImporting(true)}>
            Import properties…
          </button>
          {draft.extraProperties.length > 0 ? (
            <span className="muted">
              {draft.extraProperties.length} extra propert{draft.extraProperties.length === 1 ? 'y' : 'ies'}{' '}
              kept
            </span>
          ) : null}
        </div>
        {importWarnings.map((w, i) => (
          <Notice key={i} level="warning">
            {w}
          </Notice>
        ))}
        {draft.extraProperties.length > 0 ? (
          <table className="kv">
            <tbody>
              {draft.extraProperties.map(([k, v]) => (
                <tr key={k}>
                  <th>{k}</th>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      {importing ? (
        <ImportPropertiesDialog
          onClose={() => setImporting(false)}
          onImported={(fields, extra, warnings) => {
            onChange({
              ...draft,
              ...fields,
              extraProperties: extra,
              port: fields.port ?? draft.port,
              presetId: null,
            });
            setImportWarnings(warnings);
            setImporting(false);
          }}
        />
      ) : null}
    </div>
  );
}

function ImportPropertiesDialog(p: {
  onClose: () => void;
  onImported: (fields: Partial<ConnectorDraft>, extra: Array<[string, string]>, warnings: string[]) => void;
}) {
  const [text, setText] = useState(
    'mail.smtp.host=smtp.gmail.com\nmail.smtp.port=465\nmail.smtp.auth=true\nmail.smtp.ssl.enable=true\nmail.smtp.starttls.enable=false\nmail.debug=false\n',
  );
  const [error, setError] = useState<string | null>(null);
  async function run() {
    try {
      const result = await call(api.connectors.importProperties({ text }));
      const f = result.fields;
      const fields: Partial<ConnectorDraft> = {};
      if (f.host !== undefined) fields.host = f.host;
      if (f.port !== undefined) fields.port = f.port;
      if (f.portIsManual !== undefined) fields.portIsManual = f.portIsManual;
      if (f.security !== undefined) fields.security = f.security;
      if (f.auth !== undefined) fields.auth = f.auth;
      if (f.username !== undefined) fields.username = f.username;
      if (f.sender !== undefined) fields.sender = f.sender;
      if (f.connectionTimeoutSec !== undefined) fields.connectionTimeoutSec = f.connectionTimeoutSec;
      if (f.mailDebug !== undefined) fields.mailDebug = f.mailDebug;
      p.onImported(fields, result.extraProperties, result.warnings);
    } catch (e) {
      setError(errorMessage(e));
    }
  }
  return (
    <Dialog
      title="Import JavaMail properties"
      onClose={p.onClose}
      wide
      footer={
        <>
          <button type="button" className="btn" onClick={p.onClose}>
            Cancel
          </button>
          <button type="button" className="btn primary" onClick={() => void run()}>
            Import
          </button>
        </>
      }
    >
      {error ? <Notice level="error">{error}</Notice> : null}
      <TextArea
        label="Properties (key=value, one per line)"
        value={text}
        onChange={setText}
        rows={12}
        mono
        wide
      />
    </Dialog>
  );
}
