import type { SecurityMode } from '../../../../shared/domain.ts';
import { MAILBOX_DEFAULTS, type MailboxAuthMethod } from '../../../../shared/inbound.ts';
import {
  IMAP_PORTS,
  type Mailbox,
  type MailboxInput,
  type MailboxPreset,
  type MailboxTestInputT,
} from '../../../../shared/mailboxes.ts';

/** What the mailbox form edits. Numbers stay nullable while the user types. */
export interface MailboxDraft {
  title: string;
  host: string;
  port: number | null;
  security: SecurityMode;
  auth: MailboxAuthMethod;
  username: string;
  password: string;
  /** OAuth2: the sign-in the form shows (checked against the user name when saving). */
  oauthAccountId: string | null;
  clearPassword: boolean;
  trustedCertificatePem: string;
  presetId: string | null;
  watchJunk: boolean;
  extraFolders: string[];
  siteIds: string[];
  cameraIds: string[];
  addresses: string;
  enabled: boolean;
  backfillDays: number | null;
  pollSeconds: number | null;
}

export function emptyDraft(): MailboxDraft {
  return {
    title: '',
    host: '',
    port: IMAP_PORTS.tls,
    security: 'tls',
    auth: 'password',
    username: '',
    password: '',
    oauthAccountId: null,
    clearPassword: false,
    trustedCertificatePem: '',
    presetId: null,
    watchJunk: true,
    extraFolders: [],
    siteIds: [],
    cameraIds: [],
    addresses: '',
    enabled: true,
    backfillDays: MAILBOX_DEFAULTS.backfillDays,
    pollSeconds: MAILBOX_DEFAULTS.pollSeconds,
  };
}

export function draftOf(m: Mailbox): MailboxDraft {
  return {
    title: m.title,
    host: m.host,
    port: m.port,
    security: m.security,
    auth: m.auth,
    username: m.username,
    password: '',
    oauthAccountId: m.signIn?.accountId ?? null,
    clearPassword: false,
    trustedCertificatePem: m.trustedCertificatePem ?? '',
    presetId: m.presetId,
    watchJunk: m.watchJunk,
    extraFolders: m.extraFolders,
    siteIds: m.siteIds,
    cameraIds: m.cameraIds,
    addresses: m.addresses.join(', '),
    enabled: m.enabled,
    backfillDays: m.backfillDays,
    pollSeconds: m.pollSeconds,
  };
}

/** Applies a provider preset (its login method too); the user's title and user name stay. */
export function applyPreset(d: MailboxDraft, preset: MailboxPreset): MailboxDraft {
  return {
    ...d,
    presetId: preset.id,
    host: preset.host,
    security: preset.security,
    port: preset.port,
    auth: preset.auth,
    title: d.title || `${preset.label.replace(/ — .*$/, '')} alerts`,
  };
}

/** Mode change: the port follows the mode (993/143) unless the user typed another one. */
export function withSecurity(d: MailboxDraft, security: SecurityMode): MailboxDraft {
  const followed = d.port === null || d.port === IMAP_PORTS[d.security];
  return { ...d, security, port: followed ? IMAP_PORTS[security] : d.port };
}

const addressesOf = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((a) => a.trim())
    .filter(Boolean);

/** The call's input. Numbers left empty are sent as they are, so the schema names the field. */
export function inputOf(d: MailboxDraft): MailboxInput {
  const input: MailboxInput = {
    title: d.title,
    host: d.host,
    port: d.port as number,
    security: d.security,
    auth: d.auth,
    username: d.username,
    clearPassword: d.auth === 'password' && d.clearPassword,
    trustedCertificatePem: d.trustedCertificatePem.trim() === '' ? null : d.trustedCertificatePem,
    presetId: d.presetId,
    watchJunk: d.watchJunk,
    extraFolders: d.extraFolders,
    siteIds: d.siteIds,
    cameraIds: d.cameraIds,
    addresses: addressesOf(d.addresses),
    enabled: d.enabled,
    backfillDays: d.backfillDays as number,
    pollSeconds: d.pollSeconds as number,
  };
  if (d.auth === 'password' && d.password !== '') input.password = d.password;
  if (d.auth === 'oauth2') input.oauthAccountId = d.oauthAccountId;
  return input;
}

/** "Test connection" on the form as typed (the stored password when none is typed, or the sign-in). */
export function testInputOf(d: MailboxDraft, mailboxId: string | null): MailboxTestInputT {
  return {
    ...(mailboxId ? { mailboxId } : {}),
    draft: {
      host: d.host,
      port: d.port as number,
      security: d.security,
      auth: d.auth,
      username: d.username,
      ...(d.auth === 'password' && d.password ? { password: d.password } : {}),
      trustedCertificatePem: d.trustedCertificatePem.trim() === '' ? null : d.trustedCertificatePem,
    },
  };
}
