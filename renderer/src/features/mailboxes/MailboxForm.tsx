import { useMemo, useState, type Ref } from 'react';
import type { Site } from '../../../../shared/domain.ts';
import { SECURITY_MODES } from '../../../../shared/domain.ts';
import { MAILBOX_AUTH_METHODS } from '../../../../shared/inbound.ts';
import { OAUTH_IMAP_HOSTS, oauthProviderFor } from '../../../../shared/oauth.ts';
import {
  IMAP_PORTS,
  IMAP_SECURITY_LABELS,
  MAILBOX_AUTH_LABELS,
  MAILBOX_PRESETS,
  mailboxPresetById,
  type Mailbox,
  type MailboxFolder,
} from '../../../../shared/mailboxes.ts';
import type { Camera } from '../../../../shared/vault.ts';
import { draftFields, type SetField } from '../../app/draft.ts';
import { CertificateSection } from '../../components/CertificateSection.tsx';
import { PresetGrid } from '../../components/PresetGrid.tsx';
import { OAuthSignIn, type SignInHandle } from '../../components/oauth/OAuthSignIn.tsx';
import {
  CheckboxField,
  listError,
  NumberField,
  SelectField,
  TextArea,
  TextField,
} from '../../components/fields.tsx';
import { plural } from '../../components/format.tsx';
import { Notice } from '../../components/ui.tsx';
import { applyPreset, withSecurity, type MailboxDraft } from './draft.ts';

interface Props {
  draft: MailboxDraft;
  onChange: (draft: MailboxDraft) => void;
  errors: Record<string, string>;
  existing: Mailbox | null;
  sites: Site[];
  cameras: Camera[];
  /** The server's folders, once "Test connection" listed them. */
  folders: MailboxFolder[] | null;
  /** Starts the OAuth2 sign-in from elsewhere (a "Sign in again" beside the watcher's verdict). */
  signIn?: Ref<SignInHandle>;
  onLoadFolders: () => void;
  loadingFolders: boolean;
}

/** A watched mailbox's settings: the IMAP account, its folders, and the sites and cameras it covers. */
export function MailboxForm(p: Props) {
  const { draft, onChange, errors } = p;
  const set: SetField<MailboxDraft> = (key, value) => onChange({ ...draft, [key]: value });
  const field = draftFields(draft, set, errors);
  const preset = mailboxPresetById(draft.presetId);

  return (
    <div className="mailbox-form">
      <section className="form-section">
        <h3>Start from a preset</h3>
        <PresetGrid
          label="Mailbox presets"
          presets={MAILBOX_PRESETS}
          selected={draft.presetId}
          onPick={(m) => onChange(applyPreset(draft, m))}
          onCustom={() => set('presetId', null)}
          customHint="any IMAP server"
        />
        {preset?.notices.map((n, i) => (
          <Notice key={i} level={n.level}>
            {n.text}
          </Notice>
        ))}
      </section>

      <section className="form-section form-grid">
        <h3 className="wide">Mailbox</h3>
        <TextField label="Title" {...field('title')} placeholder="e.g. Control room alerts" />
        <TextField label="IMAP host" {...field('host')} placeholder="imap.gmail.com" />
        <SelectField
          label="Security"
          name="security"
          value={draft.security}
          onChange={(v) => onChange(withSecurity(draft, v))}
          options={SECURITY_MODES.map((m) => ({ value: m, label: IMAP_SECURITY_LABELS[m] }))}
          error={errors.security}
          warning={
            draft.security === 'none'
              ? `The ${draft.auth === 'oauth2' ? 'access token' : 'password'} crosses the network unencrypted: only for a server on this computer or its LAN.`
              : undefined
          }
        />
        <NumberField
          label="Port"
          {...field('port')}
          min={1}
          max={65535}
          hint={`${IMAP_PORTS.tls} for SSL/TLS, ${IMAP_PORTS.starttls} for STARTTLS.`}
        />
        <SelectField
          label="Login method"
          name="auth"
          value={draft.auth}
          onChange={(v) => set('auth', v)}
          options={MAILBOX_AUTH_METHODS.map((m) => ({ value: m, label: MAILBOX_AUTH_LABELS[m] }))}
          error={errors.auth}
          hint={
            draft.auth === 'oauth2' && p.existing?.hasPassword
              ? 'The stored password is destroyed when you save: an OAuth2 mailbox keeps none.'
              : undefined
          }
        />
        <TextField
          label={draft.auth === 'oauth2' ? 'User name (the mailbox)' : 'User name'}
          {...field('username')}
          placeholder="alerts@example.com"
          hint={
            draft.auth === 'oauth2'
              ? 'Filled in by the sign-in; it must be the signed-in mailbox.'
              : undefined
          }
        />
        {draft.auth === 'oauth2' ? (
          <OAuthSignIn
            provider={oauthProviderFor(preset?.provider, draft.host, OAUTH_IMAP_HOSTS)}
            accountId={draft.oauthAccountId}
            username={draft.username}
            purpose="mailbox"
            error={errors.oauthAccountId}
            handle={p.signIn}
            onSignedIn={(account) =>
              onChange({
                ...draft,
                oauthAccountId: account.id,
                username: draft.username.trim() === '' ? account.account : draft.username,
              })
            }
            onSignedOut={() => onChange({ ...draft, oauthAccountId: null })}
          />
        ) : (
          <>
            <TextField
              label={p.existing?.hasPassword ? 'App password (stored — type to replace)' : 'App password'}
              name="password"
              type="password"
              value={draft.password}
              onChange={(v) => onChange({ ...draft, password: v, clearPassword: false })}
              error={errors.password}
              hint={
                preset?.passwordHint ??
                (p.existing?.hasPassword
                  ? 'Leave empty to keep the stored password.'
                  : 'Stored encrypted; never shown again.')
              }
            />
            {p.existing?.hasPassword ? (
              <CheckboxField
                label="Clear the stored password"
                checked={draft.clearPassword}
                onChange={(v) => onChange({ ...draft, clearPassword: v, password: v ? '' : draft.password })}
              />
            ) : null}
          </>
        )}
      </section>

      <FolderSection {...p} set={set} />

      <CoverageSection {...p} set={set} />

      <CertificateSection
        summary="Trusted certificate (self-signed IMAP servers)"
        description="For a site's own IMAP server with a self-signed certificate, paste its certificate here. Only that certificate is trusted for this mailbox; certificate checks are never turned off."
        pem={draft.trustedCertificatePem}
        onChange={(v) => set('trustedCertificatePem', v)}
        error={errors.trustedCertificatePem}
      />

      <details className="form-section" open={Boolean(errors.backfillDays || errors.pollSeconds)}>
        <summary>Reading</summary>
        <div className="form-grid">
          <NumberField
            label="First start reads (days)"
            {...field('backfillDays')}
            min={0}
            max={365}
            hint="Older mail is never downloaded, however big the mailbox (default 7)."
          />
          <NumberField
            label="Check other folders every (seconds)"
            {...field('pollSeconds')}
            min={15}
            max={3600}
            hint="The Inbox is pushed by the server (IDLE); Junk and other folders are checked this often."
          />
        </div>
      </details>
    </div>
  );
}

type SectionProps = Props & { set: SetField<MailboxDraft> };

/** The list with `item` in it (checked) or without it. */
const toggled = (list: string[], item: string, on: boolean) =>
  on ? [...list.filter((x) => x !== item), item] : list.filter((x) => x !== item);

/** Inbox always; Junk/Spam by its special-use flag; others picked from the server's own list. */
function FolderSection({ draft, set, errors, folders, onLoadFolders, loadingFolders }: SectionProps) {
  const junk = folders?.find((f) => f.role === 'junk');
  const others = (folders ?? []).filter((f) => f.role === 'other');
  const unknown = draft.extraFolders.filter((x) => folders && !folders.some((f) => f.path === x));
  const toggle = (path: string, on: boolean) => set('extraFolders', toggled(draft.extraFolders, path, on));
  return (
    <section className="form-section">
      <h3>Folders</h3>
      <fieldset className="choice" aria-label="Watched folders">
        <label>
          <input type="checkbox" checked disabled /> <span>Inbox (always)</span>
        </label>
        <label>
          <input
            type="checkbox"
            checked={draft.watchJunk}
            onChange={(e) => set('watchJunk', e.target.checked)}
          />
          <span>
            Junk / Spam
            {junk ? (
              <span className="muted">
                {' '}
                ({junk.path}
                {junk.foundBy === 'name' ? ', found by its name' : ''})
              </span>
            ) : null}
          </span>
        </label>
        <p className="field-hint">
          Found by the server&apos;s \Junk flag: alert mail filed as spam still counts, and shows as in Junk.
        </p>
      </fieldset>
      {listError(errors, 'extraFolders') ? (
        <p className="field-error">{listError(errors, 'extraFolders')}</p>
      ) : null}
      {folders ? (
        <fieldset className="choice sites-choice">
          <legend>Other folders to watch</legend>
          <div className="site-checks">
            {others.map((f) => (
              <label key={f.path}>
                <input
                  type="checkbox"
                  checked={draft.extraFolders.includes(f.path)}
                  onChange={(e) => toggle(f.path, e.target.checked)}
                />
                <span>
                  {f.path}
                  {f.specialUse ? <span className="muted"> ({f.specialUse.replace('\\', '')})</span> : null}
                </span>
              </label>
            ))}
            {unknown.map((path) => (
              <label key={path}>
                <input type="checkbox" checked onChange={() => toggle(path, false)} />
                <span className="bad-text">{path} (not on the server)</span>
              </label>
            ))}
            {others.length === 0 && unknown.length === 0 ? (
              <span className="muted">No other folders.</span>
            ) : null}
          </div>
        </fieldset>
      ) : (
        <div className="row">
          <span className="muted">
            {draft.extraFolders.length > 0
              ? `Also watched: ${draft.extraFolders.join(', ')}.`
              : 'Other folders (where a rule files alarms) can be picked from the server\u2019s list.'}
          </span>
          <button type="button" className="btn small" disabled={loadingFolders} onClick={onLoadFolders}>
            {loadingFolders ? 'Loading…' : 'Load folders from the server'}
          </button>
        </div>
      )}
    </section>
  );
}

/** The sites (all their cameras) and single cameras whose mail lands here, and its addresses. */
function CoverageSection({ draft, set, errors, sites, cameras }: SectionProps) {
  const [search, setSearch] = useState('');
  const siteName = useMemo(() => new Map(sites.map((s) => [s.id, s.name])), [sites]);
  const needle = search.trim().toLowerCase();
  const candidates = cameras.filter(
    (c) =>
      !draft.siteIds.includes(c.siteId) &&
      (draft.cameraIds.includes(c.id) ||
        (needle !== '' &&
          `${c.name} ${siteName.get(c.siteId) ?? ''} ${c.host}`.toLowerCase().includes(needle))),
  );
  const shown = candidates.slice(0, 60);
  const covered = cameras.filter(
    (c) => draft.siteIds.includes(c.siteId) || draft.cameraIds.includes(c.id),
  ).length;
  return (
    <section className="form-section">
      <h3>Covers</h3>
      <p className="muted small">
        The heartbeats of these cameras are read from this mailbox: {plural(covered, 'camera')} now.
      </p>
      <fieldset className="choice sites-choice">
        <legend>Sites (every camera of the site)</legend>
        {errors.siteIds ? <p className="field-error">{errors.siteIds}</p> : null}
        <div className="site-checks">
          {sites.map((s) => (
            <label key={s.id}>
              <input
                type="checkbox"
                checked={draft.siteIds.includes(s.id)}
                onChange={(e) => set('siteIds', toggled(draft.siteIds, s.id, e.target.checked))}
              />
              <span>
                {s.name} <span className="muted">({plural(s.cameraCount, 'camera')})</span>
              </span>
            </label>
          ))}
          {sites.length === 0 ? <span className="muted">No sites yet.</span> : null}
        </div>
      </fieldset>
      <fieldset className="choice sites-choice">
        <legend>Single cameras (of other sites)</legend>
        {errors.cameraIds ? <p className="field-error">{errors.cameraIds}</p> : null}
        <input
          className="filter-input"
          type="search"
          aria-label="Find cameras"
          placeholder="Find cameras by name, site or address…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <div className="site-checks">
          {shown.map((c) => (
            <label key={c.id}>
              <input
                type="checkbox"
                checked={draft.cameraIds.includes(c.id)}
                onChange={(e) => set('cameraIds', toggled(draft.cameraIds, c.id, e.target.checked))}
              />
              <span>
                {c.name} <span className="muted">({siteName.get(c.siteId) ?? '—'})</span>
              </span>
            </label>
          ))}
          {candidates.length > shown.length ? (
            <span className="muted">{candidates.length - shown.length} more: narrow the search.</span>
          ) : null}
        </div>
      </fieldset>
      <TextArea
        label="Addresses delivered here"
        name="addresses"
        rows={2}
        value={draft.addresses}
        onChange={(v) => set('addresses', v)}
        error={errors.addresses ?? listError(errors, 'addresses')}
        hint="Recipient addresses whose mail lands in this mailbox (the login's address when empty): test e-mails to them are looked for here."
        wide
      />
    </section>
  );
}
