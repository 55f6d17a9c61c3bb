import type { Connector, PopBeforeSmtp, Site } from '../../../shared/domain.ts';
import { DEFAULT_SETTINGS, type Settings } from '../../../shared/schemas.ts';
import { DEFAULT_OAUTH_APPS, type OAuthAccount, type OAuthApps } from '../../../shared/oauth.ts';
import type { WatchedMailbox } from '../../../shared/inbound.ts';
import { normalizeHeartbeatConfig, type HeartbeatConfig } from '../../../shared/heartbeats.ts';
import type { AppPasswordRecord, Camera } from '../../../shared/vault.ts';
import type { DocumentStore } from '../adapters.ts';
import type { AuditEntry, AuditInput, AuditLog } from '../history/audit.ts';
import type { StoredKeyring } from '../secrets/keyring.ts';

/** A connector as stored: secrets sealed by the secret box, the certificate as PEM. */
export interface StoredConnector extends Omit<Connector, 'hasPassword' | 'trustedCertificate' | 'pop'> {
  passwordSealed: string | null;
  trustedCertificatePem: string | null;
  pop: (Omit<PopBeforeSmtp, 'hasPassword'> & { passwordSealed: string | null }) | null;
}

export type StoredSite = Omit<Site, 'connectorCount' | 'cameraCount'>;

export type StoredCamera = Camera;

/** An app-password record as stored: the secret sealed, plus a keyed digest to spot reuse. */
export interface StoredAppPassword extends Omit<
  AppPasswordRecord,
  'hasSecret' | 'secretLength' | 'reusedWith' | 'cameraIds' | 'formatWarning'
> {
  secretSealed: string | null;
  /** HMAC-SHA256 of the secret under the vault pepper: equal digests = the same secret. */
  secretDigest: string | null;
  secretLength: number | null;
}

/** An OAuth2 sign-in as stored: the refresh token sealed; access tokens live in memory only. */
export interface StoredOAuthAccount extends Omit<
  OAuthAccount,
  'connectorIds' | 'mailboxIds' | 'accessTokenExpiresAt'
> {
  refreshTokenSealed: string;
  /** The provider's stable id of the account (ID token `sub`): a second sign-in updates this record. */
  subject: string;
  /** The client ID it was issued to: a refresh token is only good for that app. */
  clientId: string;
  /** Microsoft: the tenant setting it signed in through, where its refresh tokens are redeemed. */
  tenant: string;
}

/** A watched mailbox as stored: its password (IMAP login) sealed by the secret box. */
export interface StoredMailbox extends Omit<WatchedMailbox, 'hasPassword'> {
  passwordSealed: string | null;
}

/** Everything kept in the document store, by key. Later capabilities add their own keys. */
export interface InventoryState {
  sites: StoredSite[];
  connectors: StoredConnector[];
  cameras: StoredCamera[];
  appPasswords: StoredAppPassword[];
  mailboxes: StoredMailbox[];
  /** Heartbeat rules, grace and schedules, maintenance windows, alert settings. */
  heartbeats: HeartbeatConfig;
  settings: Settings;
  /** Random key, sealed by the secret box, for the reuse digests of app passwords. */
  vaultPepper: string | null;
  oauthAccounts: StoredOAuthAccount[];
  oauthApps: OAuthApps;
  /** The data folder's master key, sealed by the secret box (keyring.ts). */
  keyring: StoredKeyring | null;
  /**
   * The audit events of the last change, written in the same atomic file write as the change. They
   * are copied into the audit log right after; a crash in between is mended at the next opening.
   */
  auditOutbox: AuditEntry[];
}

const KEYS: Array<keyof InventoryState> = [
  'sites',
  'connectors',
  'cameras',
  'appPasswords',
  'mailboxes',
  'heartbeats',
  'settings',
  'vaultPepper',
  'oauthAccounts',
  'oauthApps',
  'keyring',
  'auditOutbox',
];
export const STORE_FORMAT_VERSION = 1;

/**
 * The small, frequently read documents, held in memory and written through to the store. A change
 * is computed as new arrays and committed with one atomic write; memory is only updated after the
 * write succeeded, so a failed write leaves nothing half-stored.
 */
export class Inventory {
  private state: InventoryState;
  private audit: AuditLog | null = null;
  /** Events in the store's outbox not yet known to be in the audit log. */
  private unwritten: AuditEntry[] = [];

  private readonly store: DocumentStore;
  private readonly commitListeners = new Set<(change: Partial<InventoryState>) => void>();

  constructor(store: DocumentStore) {
    this.store = store;
    const version = store.get('formatVersion');
    if (version !== undefined && version !== STORE_FORMAT_VERSION) {
      throw new Error(
        `The data in ${store.path} was written by a newer AlertDesk (format ${String(version)}).`,
      );
    }
    this.state = {
      sites: (store.get('sites') as StoredSite[] | undefined) ?? [],
      // Connectors saved before "allow login without encryption" existed have it off.
      connectors: ((store.get('connectors') as StoredConnector[] | undefined) ?? []).map((c) => ({
        ...c,
        allowPlainLogin: c.allowPlainLogin === true,
      })),
      cameras: (store.get('cameras') as StoredCamera[] | undefined) ?? [],
      appPasswords: (store.get('appPasswords') as StoredAppPassword[] | undefined) ?? [],
      mailboxes: (store.get('mailboxes') as StoredMailbox[] | undefined) ?? [],
      heartbeats: normalizeHeartbeatConfig(store.get('heartbeats')),
      settings: { ...DEFAULT_SETTINGS, ...(store.get('settings') as Partial<Settings> | undefined) },
      vaultPepper: (store.get('vaultPepper') as string | undefined) ?? null,
      oauthAccounts: (store.get('oauthAccounts') as StoredOAuthAccount[] | undefined) ?? [],
      oauthApps: { ...DEFAULT_OAUTH_APPS, ...(store.get('oauthApps') as Partial<OAuthApps> | undefined) },
      keyring: (store.get('keyring') as StoredKeyring | undefined) ?? null,
      auditOutbox: (store.get('auditOutbox') as AuditEntry[] | undefined) ?? [],
    };
  }

  /**
   * From now on changes are audited through this log; events a crash kept from reaching it
   * (still in the store's outbox) are written first.
   */
  attachAudit(audit: AuditLog): void {
    this.audit = audit;
    this.unwritten = [...this.state.auditOutbox];
    this.flushAudit(true);
  }

  get keyring(): StoredKeyring | null {
    return this.state.keyring;
  }

  get sites(): readonly StoredSite[] {
    return this.state.sites;
  }

  get connectors(): readonly StoredConnector[] {
    return this.state.connectors;
  }

  get cameras(): readonly StoredCamera[] {
    return this.state.cameras;
  }

  get appPasswords(): readonly StoredAppPassword[] {
    return this.state.appPasswords;
  }

  get heartbeats(): HeartbeatConfig {
    return this.state.heartbeats;
  }

  get mailboxes(): readonly StoredMailbox[] {
    return this.state.mailboxes;
  }

  mailbox(id: string): StoredMailbox | undefined {
    return indexed(this.state.mailboxes).get(id);
  }

  get vaultPepper(): string | null {
    return this.state.vaultPepper;
  }

  get oauthAccounts(): readonly StoredOAuthAccount[] {
    return this.state.oauthAccounts;
  }

  get oauthApps(): OAuthApps {
    return this.state.oauthApps;
  }

  oauthAccount(id: string): StoredOAuthAccount | undefined {
    return indexed(this.state.oauthAccounts).get(id);
  }

  camera(id: string): StoredCamera | undefined {
    return indexed(this.state.cameras).get(id);
  }

  appPassword(id: string): StoredAppPassword | undefined {
    return indexed(this.state.appPasswords).get(id);
  }

  get settings(): Settings {
    return this.state.settings;
  }

  site(id: string): StoredSite | undefined {
    return indexed(this.state.sites).get(id);
  }

  connector(id: string): StoredConnector | undefined {
    return indexed(this.state.connectors).get(id);
  }

  /**
   * Stores a change and the audit events that describe it together: the events travel in the same
   * atomic file write (the outbox), then go to the audit log. Either both land or neither does.
   */
  commit(change: Partial<Omit<InventoryState, 'auditOutbox'>>, events: readonly AuditInput[] = []): void {
    if (events.length > 0 && !this.audit) throw new Error('inventory: no audit log attached yet');
    const stamped = this.audit ? events.map((e) => this.audit!.stamp(e)) : [];
    const outbox = [...this.unwritten, ...stamped];
    const entries: Record<string, unknown> = { formatVersion: STORE_FORMAT_VERSION };
    for (const key of KEYS)
      if (change[key as keyof typeof change] !== undefined) entries[key] = change[key as keyof typeof change];
    // An empty outbox is written too: it says the events of the previous change reached the log.
    if (outbox.length > 0 || this.state.auditOutbox.length > 0) entries.auditOutbox = outbox;
    this.store.setMany(entries);
    this.state = { ...this.state, ...change, auditOutbox: outbox };
    this.unwritten = outbox;
    this.flushAudit(false);
    for (const listener of this.commitListeners) listener(change);
  }

  /** Called after every successful commit with what changed (heartbeats follow cameras and mailboxes). */
  onCommit(listener: (change: Partial<InventoryState>) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  private flushAudit(replay: boolean): void {
    if (!this.audit || this.unwritten.length === 0) return;
    try {
      this.audit.append(this.unwritten, replay);
      this.unwritten = [];
    } catch (error) {
      // The change is stored and its events are safe in the outbox beside it: they are written
      // with the next change, or at the next opening. The change itself must not read as failed.
      if (replay) throw error;
    }
  }
}

/**
 * An id → record map per list. Lists are replaced, never mutated, on every commit, so a map built
 * for a list stays right for as long as that list is the current one.
 */
const indexes = new WeakMap<readonly { id: string }[], Map<string, { id: string }>>();
function indexed<T extends { id: string }>(list: readonly T[]): Map<string, T> {
  let map = indexes.get(list);
  if (!map) {
    map = new Map(list.map((item) => [item.id, item]));
    indexes.set(list, map);
  }
  return map as Map<string, T>;
}
