import type { ImapFlow } from 'imapflow';
import { MAILBOX_DEFAULTS } from '../../../shared/inbound.ts';
import type {
  ConnectionTest,
  Mailbox,
  MailboxMessages,
  MailboxParsed,
  MailboxTestParsed,
  MailboxUpdateParsed,
  MessageContent,
} from '../../../shared/mailboxes.ts';
import { accountAnswersTo } from '../../../shared/oauth.ts';
import { AppError, notFound } from '../../../shared/result.ts';
import type { HostLookup, PlacedSecrets } from '../adapters.ts';
import { mailboxAccount } from '../oauth/login.ts';
import { inspectCertificate, normalizePem } from '../certificates.ts';
import type { AuditLog } from '../history/audit.ts';
import { normalizePassword } from '../inventory/connectors.ts';
import type { Inventory, StoredMailbox } from '../inventory/inventory.ts';
import { secretPlace } from '../secrets/keyring.ts';
import { plural } from '../../../shared/words.ts';
import { sealTyped } from '../secrets/seal.ts';
import type { InboundHub } from './hub.ts';
import { classifyImap, ImapProblem } from './imap-failure.ts';
import { mailboxSignIn } from './imap-oauth.ts';
import {
  closeQuietly,
  fetchContent,
  imapAccount,
  listFolders,
  mailboxCredentials,
  openLoggedIn,
  type AccessTokenProvider,
  type ImapAccount,
  type ImapCredentials,
} from './imap-session.ts';
import type { SyncState } from './sync-state.ts';
import type { MailboxWatchers } from './watchers.ts';

export interface MailboxServiceDeps {
  inventory: Inventory;
  audit: AuditLog;
  secrets: PlacedSecrets;
  hub: InboundHub;
  syncState: SyncState;
  watchers: MailboxWatchers;
  now: () => number;
  appVersion: string;
  lookup?: HostLookup | undefined;
  accessToken?: AccessTokenProvider | undefined;
}

const CONNECTION_FIELDS = [
  'host',
  'port',
  'security',
  'auth',
  'username',
  'trustedCertificatePem',
] as const satisfies ReadonlyArray<keyof StoredMailbox>;

/**
 * The watched mailboxes: their settings (password sealed, never shown or logged), what they cover,
 * starting and stopping their watchers, "Test connection" (log in and list the folders without
 * reading mail), the messages read from them, and one message's body when asked.
 */
export class MailboxService {
  private readonly deps: MailboxServiceDeps;

  constructor(deps: MailboxServiceDeps) {
    this.deps = deps;
  }

  view(m: StoredMailbox): Mailbox {
    const { passwordSealed, ...rest } = m;
    return {
      ...rest,
      hasPassword: passwordSealed !== null,
      trustedCertificatePem: m.trustedCertificatePem ?? null,
      backfillDays: m.backfillDays ?? MAILBOX_DEFAULTS.backfillDays,
      pollSeconds: m.pollSeconds ?? MAILBOX_DEFAULTS.pollSeconds,
      status: this.deps.watchers.status(m),
      signIn: m.auth === 'oauth2' ? mailboxSignIn(this.deps.inventory, m.username) : null,
    };
  }

  list(): Mailbox[] {
    return this.deps.inventory.mailboxes.map((m) => this.view(m));
  }

  get(id: string): Mailbox {
    return this.view(this.stored(id));
  }

  stored(id: string): StoredMailbox {
    const m = this.deps.inventory.mailbox(id);
    if (!m) throw notFound('Mailbox', id);
    return m;
  }

  async create(input: MailboxParsed): Promise<Mailbox> {
    const at = new Date(this.deps.now()).toISOString();
    const id = crypto.randomUUID();
    const mailbox: StoredMailbox = {
      id,
      ...(await this.prepare(input, null, id)),
      createdAt: at,
      updatedAt: at,
    };
    this.deps.inventory.commit({ mailboxes: [...this.deps.inventory.mailboxes, mailbox] }, [
      {
        action: 'create',
        recordType: 'mailbox',
        recordId: mailbox.id,
        recordLabel: mailbox.title,
        detail: `${mailbox.username} at ${mailbox.host}:${mailbox.port} ${mailbox.security}${mailbox.auth === 'oauth2' ? ', OAuth2 sign-in' : mailbox.passwordSealed ? ', password stored' : ''}; ${mailbox.enabled ? 'watched' : 'stopped'}`,
      },
    ]);
    await this.deps.watchers.reconcile();
    return this.view(mailbox);
  }

  async update(input: MailboxUpdateParsed): Promise<Mailbox> {
    const existing = this.stored(input.id);
    const fields = await this.prepare(input, existing, existing.id);
    const updated: StoredMailbox = {
      ...existing,
      ...fields,
      updatedAt: new Date(this.deps.now()).toISOString(),
    };
    const changed: string[] = (Object.keys(fields) as Array<keyof typeof fields>).filter(
      (k) => k !== 'passwordSealed' && JSON.stringify(existing[k]) !== JSON.stringify(updated[k]),
    );
    if (fields.passwordSealed !== existing.passwordSealed)
      changed.push(fields.passwordSealed ? 'password (replaced)' : 'password (cleared)');
    this.deps.inventory.commit(
      { mailboxes: this.deps.inventory.mailboxes.map((m) => (m.id === updated.id ? updated : m)) },
      [
        {
          action: 'update',
          recordType: 'mailbox',
          recordId: updated.id,
          recordLabel: updated.title,
          detail: changed.length ? `changed: ${changed.join(', ')}` : 'no change',
        },
      ],
    );
    if (CONNECTION_FIELDS.some((k) => JSON.stringify(existing[k]) !== JSON.stringify(updated[k]))) {
      // Another server or account: what was read of the old one says nothing about the new one.
      this.deps.syncState.forget(updated.id);
    }
    await this.deps.watchers.reconcile();
    return this.view(updated);
  }

  async remove(id: string): Promise<{ id: string }> {
    const m = this.stored(id);
    const messages = this.deps.hub.count(id);
    this.deps.inventory.commit({ mailboxes: this.deps.inventory.mailboxes.filter((x) => x.id !== id) }, [
      {
        action: 'delete',
        recordType: 'mailbox',
        recordId: id,
        recordLabel: m.title,
        detail: `its password destroyed; ${plural(messages, 'message record')} read from it removed (the mail stays on the server)`,
      },
    ]);
    await this.deps.watchers.reconcile();
    this.deps.syncState.forget(id);
    this.deps.hub.forgetSource(id);
    return { id };
  }

  async setEnabled(id: string, enabled: boolean): Promise<Mailbox> {
    const m = this.stored(id);
    if (m.enabled === enabled) return this.view(m);
    const updated = { ...m, enabled, updatedAt: new Date(this.deps.now()).toISOString() };
    this.deps.inventory.commit(
      { mailboxes: this.deps.inventory.mailboxes.map((x) => (x.id === id ? updated : x)) },
      [
        {
          action: enabled ? 'start' : 'stop',
          recordType: 'mailbox',
          recordId: id,
          recordLabel: m.title,
          detail: 'by the user',
        },
      ],
    );
    await this.deps.watchers.reconcile();
    return this.view(updated);
  }

  /** Logs in and lists the folders (which is the Inbox, which Junk) without reading any mail. */
  async test(input: MailboxTestParsed): Promise<ConnectionTest> {
    const saved = input.mailboxId ? this.stored(input.mailboxId) : null;
    const account: ImapAccount = input.draft
      ? { ...input.draft, trustedCertificatePem: input.draft.trustedCertificatePem || null }
      : imapAccount(saved!);
    const auth = input.draft?.auth ?? saved?.auth ?? 'password';
    const started = performance.now();
    let client: ImapFlow | null = null;
    let stage: 'connect' | 'list' = 'connect';
    try {
      client = await openLoggedIn(account, (renew) => this.credentials(input, saved, renew), {
        lookup: this.deps.lookup,
        appVersion: this.deps.appVersion,
      });
      stage = 'list';
      const folders = await listFolders(client);
      const inbox = folders.find((f) => f.role === 'inbox')?.path ?? null;
      const status = inbox ? await client.status(inbox, { messages: true }) : false;
      const info = client.serverInfo;
      const name = info && typeof info.name === 'string' ? info.name : null;
      const result: ConnectionTest = {
        ok: true,
        failure: null,
        durationMs: Math.round(performance.now() - started),
        server: name
          ? `${name}${typeof info?.version === 'string' ? ` ${info.version}` : ''}`
          : (client.greeting ?? null),
        idle: client.capabilities.has('IDLE'),
        tls: client.tls ? { protocol: client.tls.version, cipher: client.tls.name } : null,
        folders,
        inbox,
        junk: folders.find((f) => f.role === 'junk')?.path ?? null,
        inboxMessages: status ? (status.messages ?? null) : null,
      };
      await client.logout().catch(() => undefined);
      this.recordTest(saved, true, `${folders.length} folder(s), Junk: ${result.junk ?? 'none found'}`);
      if (saved) this.deps.watchers.loginFixed(saved.id);
      return result;
    } catch (error) {
      const failure = classifyImap(
        error,
        { ...account, auth, stage },
        new Date(this.deps.now()).toISOString(),
      );
      this.recordTest(saved, false, `${failure.class}: ${failure.explanation}`);
      return {
        ok: false,
        failure,
        durationMs: Math.round(performance.now() - started),
        server: null,
        idle: false,
        tls: null,
        folders: [],
        inbox: null,
        junk: null,
        inboxMessages: null,
      };
    } finally {
      closeQuietly(client);
    }
  }

  messages(id: string, limit: number, offset: number): MailboxMessages {
    this.stored(id);
    return {
      rows: this.deps.hub.query({ sourceId: id, limit, offset }),
      total: this.deps.hub.count(id),
    };
  }

  /**
   * A message's body and snapshots, fetched from the server now (never stored). Found by its UID;
   * if the server renumbered the folder since, by its Message-ID.
   */
  async body(id: string, key: string): Promise<MessageContent> {
    const m = this.stored(id);
    const message = this.deps.hub.get(key);
    if (!message || message.sourceId !== id) throw notFound('Message', key);
    let client: ImapFlow | null = null;
    try {
      client = await openLoggedIn(
        imapAccount(m),
        (renew) => mailboxCredentials(m, this.deps.secrets, this.deps.accessToken, renew),
        { lookup: this.deps.lookup, appVersion: this.deps.appVersion },
      );
      const box = await client.mailboxOpen(message.folder, { readOnly: true });
      let uid: number | null = message.uid;
      if (String(box.uidValidity) !== message.uidValidity) {
        const found = message.messageId
          ? await client.search({ header: { 'message-id': message.messageId } }, { uid: true })
          : false;
        uid = found && found.length > 0 ? found[0]! : null;
      }
      if (uid === null) {
        throw new ImapProblem(
          'folder-missing',
          'fetch',
          `"${message.folder}" was renumbered by the server and this message cannot be found in it any more.`,
        );
      }
      const content = await fetchContent(client, message.folder, uid, key);
      await client.logout().catch(() => undefined);
      return content;
    } catch (error) {
      if (error instanceof AppError) throw error;
      const failure = classifyImap(
        error,
        { ...imapAccount(m), auth: m.auth, stage: 'fetch' },
        new Date(this.deps.now()).toISOString(),
      );
      throw new AppError('mailbox-read-failed', `${failure.explanation} ${failure.fix}`);
    } finally {
      closeQuietly(client);
    }
  }

  private recordTest(saved: StoredMailbox | null, ok: boolean, detail: string): void {
    if (!saved) return;
    this.deps.audit.record({
      action: 'test',
      recordType: 'mailbox',
      recordId: saved.id,
      recordLabel: saved.title,
      result: ok ? 'ok' : 'failed',
      detail,
    });
  }

  /** The login for a test: the password typed, else the stored one, else the sign-in's token. */
  private async credentials(
    input: MailboxTestParsed,
    saved: StoredMailbox | null,
    renew?: { rejected: string },
  ): Promise<ImapCredentials> {
    const typed = input.draft?.password;
    if (typed && input.draft?.auth !== 'oauth2') return { pass: normalizePassword(typed) };
    const username = input.draft?.username ?? saved?.username ?? '';
    return mailboxCredentials(
      {
        id: saved?.id ?? '',
        username,
        host: input.draft?.host ?? saved?.host ?? '',
        auth: input.draft?.auth ?? saved?.auth ?? 'password',
        // The stored password belongs to the stored login only.
        passwordSealed: saved && saved.username === username ? saved.passwordSealed : null,
      },
      this.deps.secrets,
      this.deps.accessToken,
      renew,
    );
  }

  /**
   * An OAuth2 mailbox needs a sign-in answering to its user that may read mail (the one the form
   * shows, when it names one): otherwise it could never log in, and saving says why at the field.
   */
  private checkSignIn(input: { username: string; oauthAccountId?: string | null | undefined }): void {
    const { inventory } = this.deps;
    const chosen = input.oauthAccountId ? inventory.oauthAccount(input.oauthAccountId) : undefined;
    if (input.oauthAccountId && !chosen) {
      throw new AppError(
        'invalid-input',
        'This sign-in was removed meanwhile (signed out): sign in again with the mailbox.',
        'oauthAccountId',
      );
    }
    if (chosen && !accountAnswersTo(chosen, input.username)) {
      throw new AppError(
        'oauth-account-mismatch',
        `The sign-in is for ${chosen.account}, but this mailbox logs in as ${input.username}. Sign in with ${input.username}, or change the user name to ${chosen.account}.`,
        'username',
      );
    }
    const found = mailboxAccount(inventory, input.username);
    if (!found) {
      throw new AppError(
        'invalid-input',
        `Sign in with ${input.username} first (OAuth2 sign-in): AlertDesk reads the mailbox with that sign-in.`,
        'oauthAccountId',
      );
    }
    if (!found.canRead) {
      throw new AppError(
        'invalid-input',
        `The sign-in of ${found.account.account} allows sending only: sign in again and allow AlertDesk to read the mailbox.`,
        'oauthAccountId',
      );
    }
  }

  /** Checks and seals a mailbox input; throws at the first field that cannot be stored. */
  private async prepare(
    input: MailboxParsed,
    existing: StoredMailbox | null,
    id: string,
  ): Promise<Omit<StoredMailbox, 'id' | 'createdAt' | 'updatedAt'>> {
    const { inventory } = this.deps;
    const site = input.siteIds.find((s) => !inventory.site(s));
    if (site)
      throw new AppError(
        'invalid-input',
        'A covered site no longer exists; reload and pick again.',
        'siteIds',
      );
    const camera = input.cameraIds.find((c) => !inventory.camera(c));
    if (camera)
      throw new AppError(
        'invalid-input',
        'A covered camera no longer exists; reload and pick again.',
        'cameraIds',
      );
    let trustedCertificatePem: string | null = null;
    if (input.trustedCertificatePem && input.trustedCertificatePem.trim() !== '') {
      inspectCertificate(input.trustedCertificatePem);
      trustedCertificatePem = normalizePem(input.trustedCertificatePem);
    }
    if (input.auth === 'oauth2') this.checkSignIn(input);
    const {
      password,
      clearPassword,
      oauthAccountId: _account,
      id: _id,
      ...plain
    } = input as MailboxParsed & { id?: string };
    const addresses = [...new Set(plain.addresses.map((a) => a.toLowerCase()))];
    if (addresses.length === 0 && plain.username.includes('@')) addresses.push(plain.username.toLowerCase());
    return {
      ...plain,
      addresses,
      siteIds: [...new Set(plain.siteIds)],
      cameraIds: [...new Set(plain.cameraIds)],
      trustedCertificatePem,
      // A mailbox signing in with OAuth2 keeps no password: one left from before is destroyed.
      passwordSealed:
        input.auth === 'oauth2'
          ? null
          : await sealTyped(
              this.deps.secrets,
              { password, clear: clearPassword, current: existing?.passwordSealed ?? null },
              { field: 'password', place: secretPlace.mailboxPassword(id), what: 'the mailbox' },
              normalizePassword,
            ),
    };
  }
}
