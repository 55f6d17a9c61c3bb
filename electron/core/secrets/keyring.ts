import { createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import type { SecretStorageStatus } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/result.ts';
import type { PlacedSecrets, SecretBox } from '../adapters.ts';
import { AuditChain } from '../history/audit-chain.ts';
import { aesGcmOpen, aesGcmSeal } from './passphrase-box.ts';

/**
 * The data folder's keyring: one random master key, sealed by the secret box (the OS keychain in
 * the app) and kept in the store. Keys derived from it seal every secret bound to the record it
 * belongs to (AES-256-GCM with the record as associated data: a sealed password copied into another
 * connector does not open there) and key the audit log's MAC chain.
 */
export interface StoredKeyring {
  version: 1;
  /** 32 random bytes, sealed by the secret box. */
  master: string;
  /** First audit event the chain covers (earlier ones predate the keyring), MAC'd. */
  auditFrom: number;
  auditFromTag: string;
}

/** Where a secret belongs; sealed into it as associated data. */
export const secretPlace = {
  connectorPassword: (connectorId: string) => `connector/${connectorId}/password`,
  popPassword: (connectorId: string) => `connector/${connectorId}/pop-password`,
  appPassword: (recordId: string) => `app-password/${recordId}`,
  oauthRefreshToken: (accountId: string) => `oauth-account/${accountId}/refresh-token`,
  mailboxPassword: (mailboxId: string) => `mailbox/${mailboxId}/password`,
  vaultPepper: 'vault-pepper',
} as const;

const PREFIX = 'k1:';

/**
 * The secret box the core uses: seals under the keyring with the secret's place bound in, and still
 * opens values sealed by the plain box before the keyring existed (re-sealed on open, see
 * secret-placement.ts).
 */
export class BoundSecrets implements PlacedSecrets {
  private readonly box: SecretBox;
  private readonly key: KeyObject | null;
  private readonly missing: string | null;
  /** Sealed values found in a record they were not sealed for: never opened. */
  private readonly misplaced = new Set<string>();

  constructor(box: SecretBox, key: KeyObject | null, missing: string | null) {
    this.box = box;
    this.key = key;
    this.missing = missing;
  }

  async status(): Promise<SecretStorageStatus> {
    const status = await this.box.status();
    if (status.available && !this.key)
      return { ...status, available: false, reason: this.missing ?? 'The data folder key is not open.' };
    return status;
  }

  /** Seals a secret for one place (`secretPlace`); '' for none. */
  async seal(plain: string, place = ''): Promise<string> {
    if (!this.key) {
      throw new AppError(
        'secret-storage-unavailable',
        this.missing ?? 'This computer offers no encrypted storage for secrets.',
      );
    }
    const sealed = aesGcmSeal(this.key, Buffer.from(plain, 'utf8'), associated(place));
    return `${PREFIX}${Buffer.from(place, 'utf8').toString('base64url')}:${sealed.toString('base64')}`;
  }

  /** Opens a secret; with `place`, only if it was sealed for that place. */
  async open(sealed: string, place?: string): Promise<string> {
    if (!sealed.startsWith(PREFIX)) return this.box.open(sealed);
    const sealedFor = placeOf(sealed);
    if (this.misplaced.has(sealed) || (place !== undefined && sealedFor !== place)) {
      throw new AppError(
        'secret-misplaced',
        'A stored secret sits in a record it was not saved for (the data file was edited outside AlertDesk). It was not used: enter the password again.',
      );
    }
    if (!this.key) {
      throw new AppError('secret-unreadable', this.missing ?? 'The data folder key is not open.');
    }
    try {
      const body = Buffer.from(sealed.slice(sealed.indexOf(':', PREFIX.length) + 1), 'base64');
      return aesGcmOpen(this.key, body, associated(sealedFor ?? '')).toString('utf8');
    } catch {
      throw new AppError(
        'secret-unreadable',
        'A stored secret could not be decrypted (wrong key or damaged data).',
      );
    }
  }

  /** Refuses to open this value anywhere (it was found in the wrong record). */
  quarantine(sealed: string): void {
    this.misplaced.add(sealed);
  }

  get keyed(): boolean {
    return this.key !== null;
  }
}

/** The place a value was sealed for; null for a value from before the keyring. */
export function placeOf(sealed: string): string | null {
  if (!sealed.startsWith(PREFIX)) return null;
  const end = sealed.indexOf(':', PREFIX.length);
  if (end < 0) return null;
  return Buffer.from(sealed.slice(PREFIX.length, end), 'base64url').toString('utf8');
}

const associated = (place: string) => Buffer.from(`alertdesk-secret\0${place}`, 'utf8');

const derive = (master: Buffer, purpose: string) =>
  Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `alertdesk ${purpose}`, 32));

export interface OpenedKeyring {
  secrets: BoundSecrets;
  /** The audit chain, or null while the key cannot be opened. */
  chain: AuditChain | null;
  /** Set when the keyring was created now (the caller audits it). */
  created: boolean;
}

/**
 * Opens the keyring, or creates it when there is none and the secret box can seal. Never replaces
 * one it cannot open: every secret and the audit chain depend on it.
 */
export async function openKeyring(deps: {
  box: SecretBox;
  stored: StoredKeyring | null;
  save: (keyring: StoredKeyring) => void;
  nextAuditSeq: number;
  auditHeadFile: string;
}): Promise<OpenedKeyring> {
  const { box, stored } = deps;
  const status = await box.status();
  if (stored) {
    let master: Buffer;
    try {
      master = Buffer.from(await box.open(stored.master), 'base64');
    } catch (error) {
      // Never replaced here: a keychain that is only locked today would lose every secret for good.
      const why = status.available
        ? `The key that protects this data folder's passwords cannot be opened by this computer's secure storage (${(error as Error).message}). If the folder was copied from another computer or user account, its passwords cannot be read here: open a backup instead (Backup → Restore, in a new data folder).`
        : (status.reason ?? 'Secure storage is not available.');
      return { secrets: new BoundSecrets(box, null, why), chain: null, created: false };
    }
    const chain = new AuditChain(derive(master, 'audit chain'), stored.auditFrom, deps.auditHeadFile);
    // A doctored starting point would hide the events before it: then the chain starts at 1.
    const from = chain.tagMatches(`audit-from\0${stored.auditFrom}`, stored.auditFromTag)
      ? stored.auditFrom
      : 1;
    return {
      secrets: new BoundSecrets(box, createSecretKey(derive(master, 'secrets')), null),
      chain: from === stored.auditFrom ? chain : new AuditChain(chain.key, from, deps.auditHeadFile),
      created: false,
    };
  }
  if (!status.available) {
    return {
      secrets: new BoundSecrets(box, null, status.reason),
      chain: null,
      created: false,
    };
  }
  const master = randomBytes(32);
  const chain = new AuditChain(derive(master, 'audit chain'), deps.nextAuditSeq, deps.auditHeadFile);
  // The head first: a keyring saved without it would read as a log cut short.
  chain.startHead();
  deps.save({
    version: 1,
    master: await box.seal(master.toString('base64')),
    auditFrom: deps.nextAuditSeq,
    auditFromTag: chain.tag(`audit-from\0${deps.nextAuditSeq}`),
  });
  return {
    secrets: new BoundSecrets(box, createSecretKey(derive(master, 'secrets')), null),
    chain,
    created: true,
  };
}
