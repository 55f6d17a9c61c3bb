import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ImapFlow, type FetchMessageObject, type FetchQueryObject, type ListResponse } from 'imapflow';
import PostalMime from 'postal-mime';
import type { SecurityMode } from '../../../shared/domain.ts';
import type { FolderRole } from '../../../shared/inbound.ts';
import type { MailboxFolder, MessageAttachment, MessageContent } from '../../../shared/mailboxes.ts';
import type { HostLookup, PlacedSecrets } from '../adapters.ts';
import { secretPlace } from '../secrets/keyring.ts';
import { tlsOptionsFor } from '../mail/tls.ts';
import type { InboundInput } from './hub.ts';
import { ImapProblem } from './imap-failure.ts';

/**
 * How AlertDesk talks IMAP to one account through imapflow: resolving and connecting (TLS mode,
 * pinned certificate, short timeouts), the login (a password, or an OAuth2 access token), the folders and their roles, the light read of new messages
 * (envelope, INTERNALDATE, size, header block; never \Seen) and, only when asked, one message's
 * body and snapshots.
 */

export interface ImapAccount {
  host: string;
  port: number;
  security: SecurityMode;
  username: string;
  trustedCertificatePem: string | null;
}

/** What the login sends: a password, or an OAuth2 access token (XOAUTH2 / OAUTHBEARER). */
export type ImapCredentials = { pass: string } | { accessToken: string };

export interface ImapOpenOptions {
  lookup?: HostLookup | undefined;
  appVersion: string;
  /** Connect and greeting limit (default 15 s). */
  connectTimeoutMs?: number;
  /**
   * Silence after which imapflow probes the connection (in IDLE) or gives up on a command
   * (default 60 s): a laptop that slept or a dead NAT mapping is found within about two of these.
   */
  socketTimeoutMs?: number;
}

/** The light read: what the hub stores. BODY.PEEK[HEADER], so \Seen is never set. */
export const LIGHT_FETCH: FetchQueryObject = {
  uid: true,
  envelope: true,
  internalDate: true,
  size: true,
  headers: true,
};

async function resolve(host: string, lookup: HostLookup | undefined): Promise<string> {
  if (isIP(host)) return host;
  const addresses = lookup ? await lookup(host) : await dnsLookup(host, { all: true });
  const first = addresses.find((a) => a.family === 4) ?? addresses[0];
  if (!first) throw Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' });
  return first.address;
}

/** The connection settings of a stored mailbox. */
export function imapAccount(m: {
  host: string;
  port: number;
  security: SecurityMode;
  username: string;
  trustedCertificatePem?: string | null;
}): ImapAccount {
  return {
    host: m.host,
    port: m.port,
    security: m.security,
    username: m.username,
    trustedCertificatePem: m.trustedCertificatePem ?? null,
  };
}

/** A connected, logged-in client. Throws what imapflow or Node threw (classifyImap reads it). */
export async function openImap(
  account: ImapAccount,
  credentials: ImapCredentials,
  options: ImapOpenOptions,
): Promise<ImapFlow> {
  const address = await resolve(account.host, options.lookup);
  // The host name stays the TLS name; the connection goes to the address resolved above.
  const { host: _name, servername, ...tls } = tlsOptionsFor(account.host, account.trustedCertificatePem);
  const client = new ImapFlow({
    host: address,
    port: account.port,
    secure: account.security === 'tls',
    // STARTTLS is required on "starttls" (never a silent fall-back to clear text), refused on "none".
    doSTARTTLS: account.security === 'starttls' ? true : account.security === 'none' ? false : undefined,
    ...(servername ? { servername } : {}),
    tls,
    auth:
      'accessToken' in credentials
        ? { user: account.username, accessToken: credentials.accessToken }
        : { user: account.username, pass: credentials.pass },
    clientInfo: { name: 'AlertDesk', version: options.appVersion },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: options.connectTimeoutMs ?? 15_000,
    greetingTimeout: options.connectTimeoutMs ?? 15_000,
    socketTimeout: options.socketTimeoutMs ?? 60_000,
  });
  // imapflow emits 'error' once before closing; unheard, an EventEmitter error would throw.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw error;
  }
  return client;
}

/**
 * Opens a logged-in client for a one-off job (Test connection, a message's body): an OAuth2 token
 * the server refuses is renewed at the provider and tried once more, as the watcher does (a token
 * can be revoked or cut short before the expiry time it came with).
 */
export async function openLoggedIn(
  account: ImapAccount,
  credentials: (renew?: { rejected: string }) => Promise<ImapCredentials>,
  options: ImapOpenOptions,
): Promise<ImapFlow> {
  const first = await credentials();
  try {
    return await openImap(account, first, options);
  } catch (error) {
    if (!('accessToken' in first) || !loginRefused(error)) throw error;
    return openImap(account, await credentials({ rejected: first.accessToken }), options);
  }
}

/** Closes a client without waiting for the server (stopping and reconnecting must be fast). */
export function closeQuietly(client: ImapFlow | null): void {
  if (!client) return;
  try {
    client.close();
  } catch {
    // already closed
  }
}

function roleOf(entry: Pick<ListResponse, 'path' | 'specialUse'>): FolderRole {
  if (entry.path.toUpperCase() === 'INBOX' || entry.specialUse === '\\Inbox') return 'inbox';
  return entry.specialUse === '\\Junk' ? 'junk' : 'other';
}

/** The server's folders that can hold mail, Inbox first, with the role AlertDesk gives each. */
export async function listFolders(client: ImapFlow): Promise<MailboxFolder[]> {
  const listed = await client.list();
  const folders = listed
    .filter((f) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent'))
    .map<MailboxFolder>((f) => ({
      path: f.path,
      specialUse: f.specialUse ?? null,
      foundBy:
        f.specialUseSource === 'extension' || f.specialUseSource === 'user'
          ? 'flag'
          : f.specialUseSource === 'name'
            ? 'name'
            : null,
      role: roleOf(f),
    }));
  const rank = (f: MailboxFolder) => (f.role === 'inbox' ? 0 : f.role === 'junk' ? 1 : 2);
  return folders.sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
}

export interface WatchedFolder {
  path: string;
  role: FolderRole;
}

/**
 * The folders a mailbox watches on this server: the Inbox, the Junk/Spam folder (by its \Junk
 * flag, else by a known name) when asked, and the extra folders that exist. Extra folders the
 * server does not have are returned apart, so the watcher can say so and watch the rest.
 */
export function watchedFolders(
  folders: MailboxFolder[],
  wanted: { watchJunk: boolean; extraFolders: readonly string[] },
): { watched: WatchedFolder[]; missing: string[] } {
  const inbox = folders.find((f) => f.role === 'inbox')?.path ?? 'INBOX';
  const watched: WatchedFolder[] = [{ path: inbox, role: 'inbox' }];
  const junk = wanted.watchJunk
    ? (folders.find((f) => f.role === 'junk' && f.foundBy === 'flag') ??
      folders.find((f) => f.role === 'junk'))
    : undefined;
  if (junk) watched.push({ path: junk.path, role: 'junk' });
  const missing: string[] = [];
  for (const extra of wanted.extraFolders) {
    if (watched.some((w) => w.path === extra)) continue;
    const found = folders.find((f) => f.path === extra);
    if (found) watched.push({ path: found.path, role: found.role === 'junk' ? 'junk' : 'other' });
    else missing.push(extra);
  }
  return { watched, missing };
}

const MAX_SUBJECT = 2000;
const MAX_ADDRESS = 320;
/** A header block larger than this is cut (hostile or broken mail must not fill the history). */
const MAX_HEADER_BYTES = 64 * 1024;

const text = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '');

function validDate(v: unknown): Date | null {
  const d = v instanceof Date ? v : typeof v === 'string' ? new Date(v) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

/**
 * What the hub stores of one fetched message. Never throws: a message with broken or missing
 * headers (no From, no Date, no Message-ID, 8-bit garbage) is stored with what could be read.
 */
export function inboundInput(
  sourceId: string,
  folder: WatchedFolder,
  uidValidity: bigint | string,
  message: FetchMessageObject,
  now: number,
): InboundInput {
  const envelope = message.envelope ?? {};
  const sender = envelope.from?.[0] ?? envelope.sender?.[0];
  const recipients = [...(envelope.to ?? []), ...(envelope.cc ?? [])]
    .map((a) => text(a.address, MAX_ADDRESS))
    .filter((a) => a !== '');
  const headers = message.headers ?? Buffer.alloc(0);
  return {
    sourceId,
    folder: folder.path,
    folderRole: folder.role,
    uidValidity,
    uid: message.uid,
    messageId: text(envelope.messageId, 998) || null,
    from: text(sender?.address, MAX_ADDRESS),
    fromName: text(sender?.name, MAX_ADDRESS),
    to: recipients.slice(0, 100),
    subject: text(envelope.subject, MAX_SUBJECT),
    sentAt: validDate(envelope.date),
    receivedAt: validDate(message.internalDate) ?? new Date(now),
    size: typeof message.size === 'number' && message.size >= 0 ? message.size : 0,
    headers: headers.length > MAX_HEADER_BYTES ? headers.subarray(0, MAX_HEADER_BYTES) : headers,
  };
}

/** A message fetched on demand is cut here: snapshots are a few hundred KB each. */
export const MAX_CONTENT_BYTES = 8 * 1024 * 1024;
const MAX_TEXT_CHARS = 200_000;
/** Images up to this size come back as `data:` URLs to show as thumbnails. */
const MAX_IMAGE_BYTES = 3 * 1024 * 1024;

function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>|<\/(p|div|tr|li|h\d)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * One message of the selected folder: its body and attachments, fetched by UID (BODY.PEEK:
 * \Seen untouched), at most MAX_CONTENT_BYTES of it, parsed with postal-mime. Throws ImapProblem
 * when the UID is gone.
 */
export async function fetchContent(
  client: ImapFlow,
  folder: string,
  uid: number,
  key: string,
): Promise<MessageContent> {
  const message = await client.fetchOne(
    String(uid),
    { uid: true, size: true, source: { maxLength: MAX_CONTENT_BYTES } },
    { uid: true },
  );
  if (!message || !message.source) {
    throw new ImapProblem(
      'folder-missing',
      'fetch',
      `The message is no longer in "${folder}" on the server (deleted or moved), so its body cannot be shown.`,
    );
  }
  const size = message.size ?? message.source.length;
  const email = await PostalMime.parse(message.source, { attachmentEncoding: 'base64' });
  const body = email.text ?? (email.html ? htmlToText(email.html) : '');
  const attachments: MessageAttachment[] = email.attachments.map((a) => {
    const content =
      typeof a.content === 'string' ? a.content : Buffer.from(new Uint8Array(a.content)).toString('base64');
    const bytes = Math.floor((content.length * 3) / 4);
    return {
      filename: a.filename ?? '(no name)',
      mimeType: a.mimeType,
      size: bytes,
      dataUrl:
        a.mimeType.startsWith('image/') && bytes <= MAX_IMAGE_BYTES
          ? `data:${a.mimeType};base64,${content}`
          : null,
    };
  });
  return {
    key,
    subject: email.subject ?? '',
    from: email.from?.address ?? '',
    date: validDate(email.date)?.toISOString() ?? null,
    size,
    text: body.length > MAX_TEXT_CHARS ? `${body.slice(0, MAX_TEXT_CHARS)}\n…` : body,
    truncated: size > message.source.length,
    attachments,
  };
}

/**
 * Where an OAuth2 access token for a mailbox comes from (the core's sign-ins, imap-oauth.ts). With
 * `renew`, the server has just refused `rejected`: a new one is fetched from the provider rather
 * than the one held in memory. Throws ImapProblem when there is no token to give.
 */
export type AccessTokenProvider = (
  mailbox: { id: string; username: string; host: string },
  renew?: { rejected: string },
) => Promise<string>;

/**
 * The login of a stored mailbox: its sealed password opened, or an access token (renewed when
 * `renew` names one the server refused). Throws an ImapProblem (a "login rejected" class) when
 * there is nothing to log in with.
 */
export async function mailboxCredentials(
  mailbox: {
    id: string;
    username: string;
    host: string;
    auth: 'password' | 'oauth2';
    passwordSealed: string | null;
  },
  secrets: PlacedSecrets,
  accessToken: AccessTokenProvider | undefined,
  renew?: { rejected: string },
): Promise<ImapCredentials> {
  if (mailbox.auth === 'oauth2') {
    if (!accessToken) {
      throw new ImapProblem(
        'oauth-sign-in-needed',
        'login',
        `${mailbox.username} is set to sign in with OAuth2, which this AlertDesk cannot do for mailboxes.`,
      );
    }
    return { accessToken: await accessToken(mailbox, renew) };
  }
  if (!mailbox.passwordSealed) {
    throw new ImapProblem(
      'missing-password',
      'login',
      `No password is stored for ${mailbox.username}, so AlertDesk cannot log in.`,
    );
  }
  try {
    return { pass: await secrets.open(mailbox.passwordSealed, secretPlace.mailboxPassword(mailbox.id)) };
  } catch {
    throw new ImapProblem(
      'missing-password',
      'login',
      `The stored password of ${mailbox.username} cannot be decrypted on this computer (saved on another computer, or the keychain changed): enter it again.`,
    );
  }
}

/** The server refused the login itself (a tagged NO to LOGIN/AUTHENTICATE, AUTHENTICATIONFAILED). */
export function loginRefused(error: unknown): boolean {
  const e = (error ?? {}) as { authenticationFailed?: unknown; serverResponseCode?: unknown };
  return e.authenticationFailed === true || e.serverResponseCode === 'AUTHENTICATIONFAILED';
}

/**
 * The server ended a session because its access token expired (Exchange Online: `* BYE Session
 * invalidated - AccessTokenExpired`): a new token, not a pause, is what the next login needs.
 */
export function tokenExpiredDrop(error: unknown, byeReason: string | undefined): boolean {
  const reason = (error as { reason?: unknown } | null)?.reason;
  const text = `${typeof reason === 'string' ? reason : ''} ${byeReason ?? ''}`;
  return /AccessTokenExpired|access token (has )?expired|token expired/i.test(text);
}
