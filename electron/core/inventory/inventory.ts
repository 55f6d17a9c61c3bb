import type { Connector, PopBeforeSmtp, Site } from '../../../shared/domain.ts';
import { DEFAULT_SETTINGS, type Settings } from '../../../shared/schemas.ts';
import type { WatchedMailbox } from '../../../shared/inbound.ts';
import type { AppPasswordRecord, Camera } from '../../../shared/vault.ts';
import type { DocumentStore } from '../adapters.ts';

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
  settings: Settings;
  /** Random key, sealed by the secret box, for the reuse digests of app passwords. */
  vaultPepper: string | null;
}

const KEYS: Array<keyof InventoryState> = [
  'sites',
  'connectors',
  'cameras',
  'appPasswords',
  'mailboxes',
  'settings',
  'vaultPepper',
];
export const STORE_FORMAT_VERSION = 1;

/**
 * The small, frequently read documents, held in memory and written through to the store. A change
 * is computed as new arrays and committed with one atomic write; memory is only updated after the
 * write succeeded, so a failed write leaves nothing half-stored.
 */
export class Inventory {
  private state: InventoryState;

  private readonly store: DocumentStore;

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
      settings: { ...DEFAULT_SETTINGS, ...(store.get('settings') as Partial<Settings> | undefined) },
      vaultPepper: (store.get('vaultPepper') as string | undefined) ?? null,
    };
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

  get mailboxes(): readonly StoredMailbox[] {
    return this.state.mailboxes;
  }

  mailbox(id: string): StoredMailbox | undefined {
    return indexed(this.state.mailboxes).get(id);
  }

  get vaultPepper(): string | null {
    return this.state.vaultPepper;
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

  commit(change: Partial<InventoryState>): void {
    const entries: Record<string, unknown> = { formatVersion: STORE_FORMAT_VERSION };
    for (const key of KEYS) if (change[key] !== undefined) entries[key] = change[key];
    this.store.setMany(entries);
    this.state = { ...this.state, ...change };
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
