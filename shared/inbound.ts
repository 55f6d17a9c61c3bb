/**
 * The inbound half: mail AlertDesk reads (watched mailboxes over IMAP, the bench inbox) instead of
 * sends. Every message read, from any source, is stored once in the history as an InboundMessage;
 * heartbeats (matching mail to cameras) and arrival proof (a delivery's second verdict) read from there.
 */
import type { SecurityMode } from './domain.ts';

/** Where a message was found: the Inbox, the Junk/Spam folder (special-use \Junk), or another folder. */
export const FOLDER_ROLES = ['inbox', 'junk', 'other'] as const;
export type FolderRole = (typeof FOLDER_ROLES)[number];

/** One message as AlertDesk saw it: envelope, a few parsed headers and size; never the body. */
export interface InboundMessage {
  /** `${sourceId}/${folder}/${uidValidity}/${uid}`: the same message read twice has the same key. */
  key: string;
  /** The watched mailbox's id, or `bench` for the bench inbox. */
  sourceId: string;
  folder: string;
  folderRole: FolderRole;
  uidValidity: string;
  uid: number;
  /** The Message-ID header without angle brackets, or null. */
  messageId: string | null;
  /** The From address, lower-cased; '' when the header is missing or unreadable. */
  from: string;
  fromName: string;
  to: string[];
  subject: string;
  /** The Date header (ISO), null when missing or unreadable. */
  sentAt: string | null;
  /** When the mailbox received it (IMAP INTERNALDATE; the bench inbox's own clock). */
  receivedAt: string;
  /** When AlertDesk first read it. */
  seenAt: string;
  size: number;
  /** The AlertDesk token of a test message (X-AlertDesk-Token header or subject suffix), or null. */
  token: string | null;
  /**
   * The camera the source itself identified — the bench inbox, by the SMTP login the camera used —
   * or null: mailbox mail is given to cameras by the heartbeat rules.
   */
  cameraId: string | null;
}

/** Header fields AlertDesk reads on demand (rules on a header, Authentication-Results), by lower-case name. */
export type HeaderFields = Record<string, string[]>;

/**
 * The token AlertDesk puts into every test e-mail and handover-run message, so the message can be
 * found again when it lands (arrival proof): 12 characters of Crockford base32.
 */
export const TOKEN_HEADER = 'X-AlertDesk-Token';
export const TOKEN_PATTERN = /^[0-9A-HJKMNP-TV-Z]{12}$/;
/** The short subject suffix for servers that strip unknown headers: `… [AD:0123456789AB]`. */
export const SUBJECT_TOKEN = /\[AD:([0-9A-HJKMNP-TV-Z]{12})\]\s*$/;

// ─── Watched mailboxes (the IMAP watchers) ─────────────────────────────────────────────────────

export const WATCHER_STATES = [
  'connected',
  'catching-up',
  'reconnecting',
  'login-rejected',
  'stopped',
] as const;
export type WatcherState = (typeof WATCHER_STATES)[number];

export const WATCHER_STATE_LABELS: Record<WatcherState, string> = {
  connected: 'connected',
  'catching-up': 'catching up',
  reconnecting: 'reconnecting',
  'login-rejected': 'login rejected',
  stopped: 'stopped',
};

export const MAILBOX_AUTH_METHODS = ['password', 'oauth2'] as const;
export type MailboxAuthMethod = (typeof MAILBOX_AUTH_METHODS)[number];

/** An IMAP account whose folders AlertDesk watches for the mail of some sites or cameras. */
export interface WatchedMailbox {
  id: string;
  title: string;
  host: string;
  port: number;
  security: SecurityMode;
  auth: MailboxAuthMethod;
  username: string;
  hasPassword: boolean;
  presetId: string | null;
  /** Folders watched besides the Inbox and Junk/Spam (found through special-use flags). */
  extraFolders: string[];
  watchJunk: boolean;
  /** The sites and cameras whose mail lands in this mailbox (a site covers all its cameras). */
  siteIds: string[];
  cameraIds: string[];
  /** Recipient addresses delivered into this mailbox (the login's address by default): arrival proof. */
  addresses: string[];
  /** False: configured but not watched (the user stopped it). */
  enabled: boolean;
  /**
   * A server certificate to trust (PEM) besides the public authorities: a site's own IMAP server
   * with a self-signed certificate. Missing or null: public authorities only.
   */
  trustedCertificatePem?: string | null;
  /**
   * How far back (days) a first start, or a folder renumbered by the server (UIDVALIDITY), reads:
   * older mail is never downloaded. Missing: MAILBOX_DEFAULTS.backfillDays.
   */
  backfillDays?: number;
  /**
   * How often (seconds) the folders IDLE does not cover are checked: Junk and other folders, and
   * every folder of a server without IDLE. Missing: MAILBOX_DEFAULTS.pollSeconds.
   */
  pollSeconds?: number;
  createdAt: string;
  updatedAt: string;
}

export const MAILBOX_DEFAULTS = { backfillDays: 7, pollSeconds: 60 } as const;

/** Whether a source of inbound mail is being read successfully right now. */
export interface SourceHealth {
  sourceId: string;
  /** True only when connected and caught up: what it shows is complete up to `since`/now. */
  watching: boolean;
  state: WatcherState;
  /** When `watching` last changed. */
  since: string;
}
