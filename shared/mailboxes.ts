import { z } from 'zod';
import { SECURITY_MODES, type SecurityMode } from './domain.ts';
import { IMAP_FAILURE_CATALOG, type ImapFailureClass } from './failures.ts';
import {
  MAILBOX_AUTH_METHODS,
  MAILBOX_DEFAULTS,
  type FolderRole,
  type MailboxAuthMethod,
  type InboundMessage,
  type WatchedMailbox,
  type WatcherState,
} from './inbound.ts';
import type { OAuthAccountStatus, OAuthProvider } from './oauth.ts';
import type { PresetNotice } from './presets.ts';
import { secretText } from './schemas.ts';
import { emailAddress, host, id, port, requiredText } from './validation.ts';

/**
 * Watched mailboxes as the renderer sees them: their settings (the IMAP account and what it
 * covers), the presets, the input schemas of the `mailboxes` calls, and what a watcher reports.
 */

/** Port a security mode implies for IMAP until the user types another one. */
export const IMAP_PORTS: Record<SecurityMode, number> = { tls: 993, starttls: 143, none: 143 };

export const MAILBOX_AUTH_LABELS: Record<MailboxAuthMethod, string> = {
  password: 'App password',
  oauth2: 'OAuth2 (Microsoft 365, Outlook.com, Gmail)',
};

export const IMAP_SECURITY_LABELS: Record<SecurityMode, string> = {
  tls: 'SSL/TLS (implicit, port 993)',
  starttls: 'STARTTLS (port 143)',
  none: 'None (plain, port 143)',
};

export interface MailboxPreset {
  id: string;
  label: string;
  provider: 'gmail' | 'office365' | 'outlook';
  host: string;
  security: SecurityMode;
  port: number;
  auth: MailboxAuthMethod;
  passwordHint: string;
  notices: PresetNotice[];
}

const MICROSOFT_IMAP = { host: 'outlook.office365.com', security: 'tls', port: 993 } as const;
const GMAIL_IMAP = { host: 'imap.gmail.com', security: 'tls', port: 993 } as const;
const OAUTH_HINT = 'No password: AlertDesk signs in with the mailbox and keeps only a sealed sign-in.';

export const MAILBOX_PRESETS: MailboxPreset[] = [
  {
    id: 'office365-imap-oauth',
    label: 'Microsoft 365 — OAuth2',
    provider: 'office365',
    ...MICROSOFT_IMAP,
    auth: 'oauth2',
    passwordHint: OAUTH_HINT,
    notices: [
      {
        level: 'info',
        text: "Sign in with the mailbox (a code to enter on Microsoft's page). IMAP must be turned on for it: Microsoft 365 admin center → user → Mail → Manage email apps.",
      },
    ],
  },
  {
    id: 'outlook-com-imap-oauth',
    label: 'Outlook.com — OAuth2',
    provider: 'outlook',
    ...MICROSOFT_IMAP,
    auth: 'oauth2',
    passwordHint: OAUTH_HINT,
    notices: [
      {
        level: 'info',
        text: "Personal Outlook.com and Hotmail accounts accept only OAuth2 for IMAP: sign in with the mailbox (a code to enter on Microsoft's page).",
      },
    ],
  },
  {
    id: 'gmail-imap-oauth',
    label: 'Gmail — OAuth2',
    provider: 'gmail',
    ...GMAIL_IMAP,
    auth: 'oauth2',
    passwordHint: OAUTH_HINT,
    notices: [
      {
        level: 'info',
        text: 'Sign in with the Google account in your browser: no app password needed. A change of the account password ends the sign-in too; the mailbox then says "sign in again".',
      },
      {
        level: 'info',
        text: 'Gmail allows 15 IMAP connections per account; AlertDesk uses one per watched mailbox.',
      },
    ],
  },
  {
    id: 'gmail-imap',
    label: 'Gmail — app password',
    provider: 'gmail',
    ...GMAIL_IMAP,
    auth: 'password',
    passwordHint:
      'A 16-character Google app password (myaccount.google.com/apppasswords; 2-Step Verification must be on). Spaces are removed.',
    notices: [
      {
        level: 'info',
        text: 'Gmail needs an app password, not the account password; Google revokes it when the account password changes. Its spam folder is [Gmail]/Spam, found by its \\Junk flag.',
      },
      {
        level: 'info',
        text: 'Gmail allows 15 IMAP connections per account; AlertDesk uses one per watched mailbox.',
      },
    ],
  },
  {
    id: 'office365-imap',
    label: 'Microsoft 365 — password',
    provider: 'office365',
    ...MICROSOFT_IMAP,
    auth: 'password',
    passwordHint: 'The mailbox password, where the tenant still allows password login for IMAP.',
    notices: [
      {
        level: 'warning',
        text: 'Microsoft turned password (basic) login for IMAP off in Exchange Online in 2022: unless the tenant still allows it, the login is rejected. Use Microsoft 365 — OAuth2.',
      },
    ],
  },
  {
    id: 'outlook-com-imap',
    label: 'Outlook.com — password',
    provider: 'outlook',
    ...MICROSOFT_IMAP,
    auth: 'password',
    passwordHint: 'Personal Outlook.com accounts no longer accept passwords or app passwords for IMAP.',
    notices: [
      {
        level: 'blocker',
        text: 'Outlook.com accepts only OAuth2 sign-in for IMAP since September 2024: use Outlook.com — OAuth2.',
      },
    ],
  },
];

export const mailboxPresetById = (presetId: string | null | undefined): MailboxPreset | undefined =>
  MAILBOX_PRESETS.find((p) => p.id === presetId);

/** The first start of a mailbox reads at most this many of the newest messages per folder. */
export const FIRST_SYNC_MAX_MESSAGES = 20_000;

// ─── Input schemas ─────────────────────────────────────────────────────────────────────────────

const securityMode = z.enum(SECURITY_MODES, {
  error: 'Security must be "tls" (SSL from the first byte), "starttls" or "none".',
});

const folderPath = z
  .string({ error: 'A folder must be a name.' })
  .trim()
  .min(1, 'A folder name is empty.')
  .max(255, 'A folder name is longer than 255 characters.')
  .refine((v) => !/[\r\n]/.test(v), 'A folder name must be on one line.')
  .refine((v) => v.toUpperCase() !== 'INBOX', 'The Inbox is always watched; pick other folders here.');

const certificate = z.string().max(50_000, 'Certificate is too long.').nullable().default(null);

export const mailboxShape = {
  title: requiredText('Title', 120),
  host: host(),
  port: port(),
  security: securityMode,
  auth: z.enum(MAILBOX_AUTH_METHODS, { error: 'Login must be "password" or "oauth2".' }).default('password'),
  username: requiredText('User name', 320),
  /** New password; omitted keeps the stored one. */
  password: secretText('Password').optional(),
  /**
   * OAuth2: the sign-in the form shows, checked against the user name. Not stored: the watcher
   * logs in with whichever sign-in answers to the user name (and may read mail).
   */
  oauthAccountId: id('Sign-in').nullable().optional(),
  clearPassword: z.boolean().default(false),
  trustedCertificatePem: certificate,
  presetId: z.string().max(64).nullable().default(null),
  extraFolders: z
    .array(folderPath)
    .max(20, 'Watch at most 20 other folders.')
    .default([])
    .refine(
      (list) => new Set(list.map((f) => f.toLowerCase())).size === list.length,
      'A folder is listed twice.',
    ),
  watchJunk: z.boolean().default(true),
  siteIds: z.array(id('Site')).max(1000).default([]),
  cameraIds: z.array(id('Camera')).max(20_000).default([]),
  addresses: z.array(emailAddress('Address')).max(50, 'At most 50 addresses.').default([]),
  enabled: z.boolean().default(true),
  backfillDays: z
    .number({ error: 'Days must be a number.' })
    .int('Days must be a whole number.')
    .min(0, 'Days cannot be negative.')
    .max(365, 'Read at most 365 days back.')
    .default(MAILBOX_DEFAULTS.backfillDays),
  pollSeconds: z
    .number({ error: 'The interval must be a number of seconds.' })
    .int('The interval must be a whole number of seconds.')
    .min(15, 'Check at most every 15 seconds.')
    .max(3600, 'Check at least every hour (3600 seconds).')
    .default(MAILBOX_DEFAULTS.pollSeconds),
};

function mailboxRules(
  value: { password?: string | undefined; clearPassword: boolean; auth: MailboxAuthMethod },
  ctx: z.RefinementCtx,
): void {
  if (value.auth === 'oauth2' && value.password !== undefined && value.password !== '') {
    ctx.addIssue({
      code: 'custom',
      path: ['password'],
      message:
        'A mailbox that signs in with OAuth2 has no password: leave it empty, or log in with an app password.',
    });
  }
  if (value.clearPassword && value.password !== undefined && value.password !== '') {
    ctx.addIssue({
      code: 'custom',
      path: ['password'],
      message: 'Either set a new password or clear it, not both.',
    });
  }
}

export const MailboxFields = z.object(mailboxShape).strict().superRefine(mailboxRules);
export type MailboxInput = z.input<typeof MailboxFields>;
export type MailboxParsed = z.output<typeof MailboxFields>;

export const MailboxUpdate = z
  .object({ ...mailboxShape, id: id('Mailbox') })
  .strict()
  .superRefine(mailboxRules);
export type MailboxUpdateInput = z.input<typeof MailboxUpdate>;
export type MailboxUpdateParsed = z.output<typeof MailboxUpdate>;

export const MailboxSetEnabled = z.object({ id: id('Mailbox'), enabled: z.boolean() }).strict();

/** A saved mailbox, or the form as typed (the stored password is used when none is typed). */
export const MailboxTestInput = z
  .object({
    mailboxId: id('Mailbox').optional(),
    draft: z
      .object({
        host: host(),
        port: port(),
        security: securityMode,
        auth: z.enum(MAILBOX_AUTH_METHODS).default('password'),
        username: requiredText('User name', 320),
        password: secretText('Password').optional(),
        trustedCertificatePem: certificate,
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((v) => v.mailboxId !== undefined || v.draft !== undefined, {
    message: 'Give a mailbox or the settings to test.',
    path: ['mailboxId'],
  });
export type MailboxTestParsed = z.output<typeof MailboxTestInput>;
export type MailboxTestInputT = z.input<typeof MailboxTestInput>;

export const MailboxMessagesInput = z
  .object({
    id: id('Mailbox'),
    limit: z.number().int().min(1).max(500).default(100),
    offset: z.number().int().min(0).default(0),
  })
  .strict();

export const MailboxBodyInput = z.object({ id: id('Mailbox'), key: z.string().min(1).max(2000) }).strict();

// ─── What the core answers ─────────────────────────────────────────────────────────────────────

/** What AlertDesk was doing when reading a mailbox failed. */
export const IMAP_STAGES = [
  'dns',
  'connect',
  'tls',
  'greeting',
  'login',
  'list',
  'select',
  'fetch',
  'idle',
] as const;
export type ImapStage = (typeof IMAP_STAGES)[number];

/** A failure to read a mailbox, in plain words, like a failed delivery's. */
export interface ImapFailure {
  class: ImapFailureClass;
  title: string;
  /** One line: what happened, with the host, port, folder or reply actually involved. */
  explanation: string;
  fix: string;
  /** False: the watcher waits for new credentials (or a long pause) instead of retrying soon. */
  retryable: boolean;
  stage: ImapStage;
  /** The server's words, as received (never containing credentials). */
  reply: string | null;
  /** The low-level code (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, `AUTHENTICATIONFAILED`). */
  errorCode: string | null;
  at: string;
}

export const imapFailureTitle = (cls: ImapFailureClass): string => IMAP_FAILURE_CATALOG[cls].title;

/** A folder of the server, as "Test connection" lists it. */
export interface MailboxFolder {
  path: string;
  /** The special-use flag (RFC 6154) the server gave it, e.g. `\Junk`, `\Sent`; null for none. */
  specialUse: string | null;
  /** How AlertDesk recognised its role: the server's flag, or its name (servers without SPECIAL-USE). */
  foundBy: 'flag' | 'name' | null;
  role: FolderRole;
}

/** Where a watched folder's reading stands (kept in the history database across restarts). */
export interface FolderSync {
  path: string;
  role: FolderRole;
  uidValidity: string | null;
  /** The highest UID read (or deliberately skipped as older than the first-start window). */
  lastUid: number | null;
  syncedAt: string | null;
  /** The folder was not found on the server at the last connection. */
  missing: boolean;
}

export interface MailboxStatus {
  mailboxId: string;
  state: WatcherState;
  /** True only when connected and caught up: what the mailbox shows is complete up to now. */
  watching: boolean;
  /** When the watcher entered this state. */
  since: string;
  /** Whether the server offers IDLE (pushes new mail); null until the first connection. */
  idle: boolean | null;
  /** When every watched folder was last read up to date. */
  lastSyncAt: string | null;
  messagesSeen: number;
  lastMessageAt: string | null;
  /** While catching up: messages read so far of those found. */
  progress: { done: number; total: number } | null;
  /** The last failure, kept until the watcher is caught up again. */
  failure: ImapFailure | null;
  /** When the watcher tries again (reconnecting, login rejected). */
  nextAttemptAt: string | null;
  folders: FolderSync[];
  /** Why a configured mailbox is not watched although enabled (e.g. watchers are off in this core). */
  note: string | null;
}

/**
 * The OAuth2 sign-in a mailbox logs in with, as its table and panel show it: the account's own
 * state, or `not-signed-in` (nobody signed in with this user) and `cannot-read` (the sign-in
 * allows sending only).
 */
export interface MailboxSignIn {
  state: OAuthAccountStatus | 'not-signed-in' | 'cannot-read';
  accountId: string | null;
  account: string | null;
  provider: OAuthProvider | null;
}

export const MAILBOX_SIGN_IN_LABELS: Record<MailboxSignIn['state'], string> = {
  'signed-in': 'signed in',
  'consent-revoked': 'consent revoked',
  'refresh-failing': 'renewal failing',
  'not-signed-in': 'not signed in',
  'cannot-read': 'cannot read mail',
};

/** A watched mailbox with its settings' defaults filled in and its watcher's status. */
export interface Mailbox extends WatchedMailbox {
  trustedCertificatePem: string | null;
  backfillDays: number;
  pollSeconds: number;
  status: MailboxStatus;
  /** OAuth2 mailboxes: the sign-in they log in with; null for a password login. */
  signIn: MailboxSignIn | null;
}

export interface ConnectionTest {
  ok: boolean;
  failure: ImapFailure | null;
  durationMs: number;
  /** The server's name and version where it tells them (IMAP ID), else its greeting. */
  server: string | null;
  idle: boolean;
  tls: { protocol: string; cipher: string } | null;
  folders: MailboxFolder[];
  inbox: string | null;
  junk: string | null;
  inboxMessages: number | null;
}

export interface MailboxMessages {
  rows: InboundMessage[];
  total: number;
}

export interface MessageAttachment {
  filename: string;
  mimeType: string;
  size: number;
  /** A `data:` URL for images small enough to show (snapshots), else null. */
  dataUrl: string | null;
}

/** A message's body and snapshots, fetched from the server only when asked. */
export interface MessageContent {
  key: string;
  subject: string;
  from: string;
  date: string | null;
  size: number;
  /** The text part (or the HTML part's text), cut at a limit. */
  text: string;
  /** Only the first part of a very large message was fetched. */
  truncated: boolean;
  attachments: MessageAttachment[];
}
