import { createHmac, randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { AppError, notFound } from '../../../shared/result.ts';
import { plural } from '../../../shared/words.ts';
import type { AppPasswordFields, AppPasswordUpdate } from '../../../shared/schemas.ts';
import type { AppPasswordRecord, Finding } from '../../../shared/vault.ts';
import type { Clipboard, PlacedSecrets } from '../adapters.ts';
import { secretPlace } from '../secrets/keyring.ts';
import { cameraEvent, type AuditInput, type AuditLog } from '../history/audit.ts';
import type { Inventory, StoredAppPassword } from '../inventory/inventory.ts';
import { secretFormatWarning, secretLengthWarning } from './format.ts';

const CLIPBOARD_CLEAR_MS = 30_000;
const DAY = 86_400_000;
const OUTLOOK_DOMAINS = /@(outlook|hotmail|live|msn)\.[a-z.]+$/i;

/**
 * The app-password vault: one record per app password, secrets sealed by the secret box, a keyed
 * digest to spot one secret reused across records, explicit (audited) reveal and copy, and the
 * findings an integrator should act on.
 */
export class AppPasswordService {
  private readonly inventory: Inventory;
  private readonly audit: AuditLog;
  private readonly secrets: PlacedSecrets;
  private readonly now: () => number;
  private readonly osUser: string;
  private readonly clipboard: Clipboard | undefined;
  private pepper: Buffer | null = null;
  private clipboardTimer: AbortController | null = null;
  private pendingCopy: string | null = null;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: {
    inventory: Inventory;
    audit: AuditLog;
    secrets: PlacedSecrets;
    now: () => number;
    sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
    osUser: string;
    clipboard?: Clipboard | undefined;
  }) {
    this.sleep = options.sleep;
    this.inventory = options.inventory;
    this.audit = options.audit;
    this.secrets = options.secrets;
    this.now = options.now;
    this.osUser = options.osUser;
    this.clipboard = options.clipboard;
  }

  list(): AppPasswordRecord[] {
    const byDigest = new Map<string, string[]>();
    for (const r of this.inventory.appPasswords) {
      if (r.secretDigest) byDigest.set(r.secretDigest, [...(byDigest.get(r.secretDigest) ?? []), r.id]);
    }
    const cameras = new Map<string, string[]>();
    for (const c of this.inventory.cameras) {
      if (c.appPasswordId) cameras.set(c.appPasswordId, [...(cameras.get(c.appPasswordId) ?? []), c.id]);
    }
    return this.inventory.appPasswords.map((r) => this.view(r, byDigest, cameras));
  }

  get(id: string): AppPasswordRecord {
    const r = this.list().find((x) => x.id === id);
    if (!r) throw notFound('App-password record', id);
    return r;
  }

  stored(id: string): StoredAppPassword {
    const r = this.inventory.appPassword(id);
    if (!r) throw notFound('App-password record', id);
    return r;
  }

  async create(
    input: z.output<typeof AppPasswordFields>,
    replacesId: string | null = null,
  ): Promise<AppPasswordRecord> {
    const id = crypto.randomUUID();
    const sealed = await this.seal(input.secret, id);
    const record = this.newRecord(id, input, sealed, replacesId);
    this.inventory.commit({ appPasswords: [...this.inventory.appPasswords, record] }, [
      {
        action: 'create',
        recordType: 'app-password',
        recordId: record.id,
        recordLabel: `${record.account} · ${record.label}`,
        detail: `${record.provider}${secretFormatWarning(input.provider, input.secret) ? ' (format warning)' : ''}`,
      },
    ]);
    return this.get(record.id);
  }

  update(input: z.output<typeof AppPasswordUpdate>): AppPasswordRecord {
    const existing = this.stored(input.id);
    const { id, ...fields } = input;
    const updated: StoredAppPassword = { ...existing, ...fields, status: input.status ?? existing.status };
    if (updated.status === 'retired' && existing.status !== 'retired')
      updated.retiredAt = new Date(this.now()).toISOString();
    const changed = Object.keys(fields).filter(
      (k) =>
        JSON.stringify(existing[k as keyof StoredAppPassword]) !==
        JSON.stringify(updated[k as keyof StoredAppPassword]),
    );
    this.inventory.commit(
      { appPasswords: this.inventory.appPasswords.map((r) => (r.id === id ? updated : r)) },
      [
        {
          action: 'update',
          recordType: 'app-password',
          recordId: id,
          recordLabel: `${updated.account} · ${updated.label}`,
          detail: changed.length ? `changed: ${changed.join(', ')}` : 'no change',
        },
      ],
    );
    return this.get(id);
  }

  remove(id: string): { id: string } {
    const r = this.stored(id);
    const users = this.inventory.cameras.filter((c) => c.appPasswordId === id);
    if (users.length > 0) {
      throw new AppError(
        'in-use',
        `${plural(users.length, 'camera')} ${users.length === 1 ? 'uses' : 'use'} this app password (${users
          .slice(0, 3)
          .map((c) => c.name)
          .join(
            ', ',
          )}${users.length > 3 ? ', …' : ''}). Link them to another record first, or retire this one instead.`,
        'id',
      );
    }
    this.inventory.commit({ appPasswords: this.inventory.appPasswords.filter((x) => x.id !== id) }, [
      {
        action: 'delete',
        recordType: 'app-password',
        recordId: id,
        recordLabel: `${r.account} · ${r.label}`,
        detail: 'record and secret destroyed',
      },
    ]);
    return { id };
  }

  /** Opens the secret for an explicit reveal; the caller audits under its own action. */
  async openSecret(id: string): Promise<string> {
    const r = this.stored(id);
    if (!r.secretSealed) {
      throw new AppError(
        'secret-destroyed',
        `The secret of this record was destroyed${r.secretDestroyedAt ? ` on ${r.secretDestroyedAt.slice(0, 10)}` : ''}.`,
      );
    }
    return this.secrets.open(r.secretSealed, secretPlace.appPassword(id));
  }

  async reveal(id: string): Promise<{ secret: string }> {
    const r = this.stored(id);
    try {
      const secret = await this.openSecret(id);
      this.audit.record({
        action: 'reveal',
        recordType: 'app-password',
        recordId: id,
        recordLabel: `${r.account} · ${r.label}`,
        detail: 'secret shown on screen',
      });
      return { secret };
    } catch (error) {
      this.audit.record({
        action: 'reveal',
        recordType: 'app-password',
        recordId: id,
        recordLabel: `${r.account} · ${r.label}`,
        result: 'failed',
        detail: (error as Error).message,
      });
      throw error;
    }
  }

  /** Puts the secret on the clipboard and takes it off again after 30 s if it is still there. */
  async copy(id: string): Promise<{ clearsInSeconds: number }> {
    if (!this.clipboard) throw new AppError('unavailable', 'There is no clipboard here.');
    const r = this.stored(id);
    const secret = await this.openSecret(id);
    await this.clipboard.writeText(secret);
    this.audit.record({
      action: 'copy',
      recordType: 'app-password',
      recordId: id,
      recordLabel: `${r.account} · ${r.label}`,
      detail: 'copied to the clipboard; cleared after 30 s',
    });
    this.clipboardTimer?.abort();
    // Kept as a hash, not the secret, to recognise it on the clipboard at shutdown.
    this.pendingCopy = createHmac('sha256', 'clipboard').update(secret).digest('hex');
    const timer = new AbortController();
    this.clipboardTimer = timer;
    const clipboard = this.clipboard;
    this.sleep(CLIPBOARD_CLEAR_MS, timer.signal)
      .then(async () => {
        if (this.clipboardTimer === timer) this.clipboardTimer = null;
        // Only if it still holds the secret: the user may have copied something else meanwhile.
        if ((await clipboard.readText()) === secret) await clipboard.writeText('');
      })
      .catch(() => undefined);
    return { clearsInSeconds: CLIPBOARD_CLEAR_MS / 1000 };
  }

  /** At shutdown: takes a copied secret off the clipboard now instead of in 30 s. */
  async flushClipboard(): Promise<void> {
    const pending = this.clipboardTimer;
    if (!pending || !this.clipboard) return;
    pending.abort();
    this.clipboardTimer = null;
    const held = await this.clipboard.readText();
    if (held !== '' && this.pendingCopy === createHmac('sha256', 'clipboard').update(held).digest('hex')) {
      await this.clipboard.writeText('');
    }
  }

  /**
   * Marks a verification result; an auth failure on an active record makes it suspected-revoked.
   * `events`: the verification's audit events, stored together with the result.
   */
  applyVerification(
    id: string,
    ok: boolean,
    failureClass: string | null,
    message: string,
    events: readonly AuditInput[] = [],
  ): StoredAppPassword {
    const r = this.stored(id);
    const revokedLike =
      failureClass === 'auth-failed' ||
      failureClass === 'app-password-required' ||
      failureClass === 'basic-auth-disabled';
    let status = r.status;
    if (ok && r.status === 'suspected-revoked') status = 'active';
    else if (!ok && revokedLike && r.status === 'active') status = 'suspected-revoked';
    const updated: StoredAppPassword = {
      ...r,
      status,
      lastVerified: { at: new Date(this.now()).toISOString(), ok, failureClass, message },
    };
    this.inventory.commit(
      { appPasswords: this.inventory.appPasswords.map((x) => (x.id === id ? updated : x)) },
      events,
    );
    return updated;
  }

  /**
   * Rotation: the new secret (already verified by the caller when asked) becomes a new record that
   * replaces the old one; the old record is retired (kept, its secret destroyed after the
   * retention period) and its cameras move to the new record — all in one write.
   */
  async rotate(
    id: string,
    secret: string,
    label: string | undefined,
    verified: { ok: boolean; failureClass: string | null; message: string } | null,
  ): Promise<AppPasswordRecord> {
    const old = this.stored(id);
    if (old.status === 'retired') {
      throw new AppError(
        'invalid-input',
        'This record is already retired; rotate the record that replaced it.',
        'id',
      );
    }
    const newId = crypto.randomUUID();
    const sealed = await this.seal(secret, newId);
    const record = this.newRecord(
      newId,
      { account: old.account, provider: old.provider, label: label ?? old.label, notes: old.notes, secret },
      sealed,
      old.id,
    );
    const at = new Date(this.now()).toISOString();
    if (verified) record.lastVerified = { at, ...verified };
    const appPasswords = [
      ...this.inventory.appPasswords.map((r) =>
        r.id === old.id ? { ...r, status: 'retired' as const, retiredAt: at, replacedById: record.id } : r,
      ),
      record,
    ];
    const moved = this.inventory.cameras.filter((c) => c.appPasswordId === old.id);
    const cameras = this.inventory.cameras.map((c) =>
      c.appPasswordId === old.id ? { ...c, appPasswordId: record.id, updatedAt: at } : c,
    );
    this.inventory.commit({ appPasswords, cameras }, [
      {
        action: 'rotate',
        recordType: 'app-password',
        recordId: old.id,
        recordLabel: `${old.account} · ${old.label}`,
        detail: `replaced by ${record.id}${verified ? ' (new secret verified)' : ' (not verified)'}; ${plural(moved.length, 'camera')} moved; old secret destroyed after ${this.inventory.settings.retiredSecretRetentionDays} days`,
      },
      {
        action: 'create',
        recordType: 'app-password',
        recordId: record.id,
        recordLabel: `${record.account} · ${record.label}`,
        detail: `rotation of ${old.id}`,
      },
      ...moved.map((c) => cameraEvent(c, `app password rotated to ${record.id}`)),
    ]);
    return this.get(record.id);
  }

  /** Destroys the secrets of records retired longer ago than the retention setting. */
  destroyExpiredSecrets(): number {
    const limit = this.now() - this.inventory.settings.retiredSecretRetentionDays * DAY;
    const expired = this.inventory.appPasswords.filter(
      (r) =>
        r.status === 'retired' &&
        r.secretSealed !== null &&
        r.retiredAt !== null &&
        Date.parse(r.retiredAt) <= limit,
    );
    if (expired.length === 0) return 0;
    const at = new Date(this.now()).toISOString();
    const ids = new Set(expired.map((r) => r.id));
    this.inventory.commit(
      {
        appPasswords: this.inventory.appPasswords.map((r) =>
          ids.has(r.id) ? { ...r, secretSealed: null, secretDigest: null, secretDestroyedAt: at } : r,
        ),
      },
      expired.map((r) => ({
        action: 'delete' as const,
        recordType: 'app-password' as const,
        recordId: r.id,
        recordLabel: `${r.account} · ${r.label}`,
        detail: `secret destroyed ${this.inventory.settings.retiredSecretRetentionDays} days after retirement`,
      })),
    );
    return expired.length;
  }

  findings(): Finding[] {
    const records = this.list();
    const live = records.filter((r) => r.status !== 'retired' && r.status !== 'revoked');
    const staleMs = this.inventory.settings.verifyStaleDays * DAY;
    const now = this.now();
    const cams = this.inventory.cameras;
    const byRecord = new Map<string, string[]>();
    for (const c of cams)
      if (c.appPasswordId) byRecord.set(c.appPasswordId, [...(byRecord.get(c.appPasswordId) ?? []), c.id]);
    const camerasOf = (ids: string[]) => ids.flatMap((id) => byRecord.get(id) ?? []);
    const out: Finding[] = [];
    const push = (f: Omit<Finding, 'cameraIds'> & { cameraIds?: string[] }) => {
      if (f.recordIds.length > 0 || (f.cameraIds?.length ?? 0) > 0)
        out.push({ ...f, cameraIds: f.cameraIds ?? camerasOf(f.recordIds) });
    };

    const suspected = live.filter((r) => r.status === 'suspected-revoked');
    push({
      kind: 'suspected-revoked',
      severity: 'critical',
      title: `${plural(suspected.length, 'app password')} suspected revoked`,
      detail:
        'The last verification was rejected. Cameras using them are probably not sending alerts: create new app passwords and rotate.',
      recordIds: suspected.map((r) => r.id),
    });
    const never = live.filter((r) => r.lastVerified === null);
    push({
      kind: 'never-verified',
      severity: 'warning',
      title: `${plural(never.length, 'record')} never verified`,
      detail: 'Nobody has checked that these app passwords work. Verify them (no e-mail is sent).',
      recordIds: never.map((r) => r.id),
    });
    const stale = live.filter(
      (r) => r.lastVerified !== null && now - Date.parse(r.lastVerified.at) > staleMs,
    );
    push({
      kind: 'stale-verification',
      severity: 'warning',
      title: `${plural(stale.length, 'record')} not verified for ${plural(this.inventory.settings.verifyStaleDays, 'day')}`,
      detail: 'App passwords are revoked silently when the account password changes. Verify them again.',
      recordIds: stale.map((r) => r.id),
    });
    const reused = live.filter((r) => r.reusedWith.length > 0);
    push({
      kind: 'reused-secret',
      severity: 'warning',
      title: `${plural(reused.length, 'record')} ${reused.length === 1 ? 'shares' : 'share'} a secret with another record`,
      detail: 'One app password per camera makes revoking one camera possible without breaking the others.',
      recordIds: reused.map((r) => r.id),
    });
    const orphans = cams.filter((c) => c.appPasswordId === null);
    push({
      kind: 'camera-without-record',
      severity: 'info',
      title: `${plural(orphans.length, 'camera')} without an app-password record`,
      detail: 'When such a camera is replaced, nobody knows which password to enter. Record it.',
      recordIds: [],
      cameraIds: orphans.map((c) => c.id),
    });
    const outlook = live.filter((r) => r.provider === 'outlook' || OUTLOOK_DOMAINS.test(r.account));
    push({
      kind: 'outlook-account',
      severity: 'critical',
      title: `${plural(outlook.length, 'record')} at Outlook.com: SMTP login blocked`,
      detail:
        'Personal Outlook.com accounts stopped accepting basic authentication and app passwords for SMTP in September 2024. Move these cameras to another provider or a relay.',
      recordIds: outlook.map((r) => r.id),
    });
    const o365 = live.filter((r) => r.provider === 'office365');
    push({
      kind: 'office365-account',
      severity: 'warning',
      title: `${plural(o365.length, 'record')} at Office 365`,
      detail:
        'Microsoft turns basic SMTP AUTH off by default for existing tenants at the end of December 2026. Basic-auth readiness lists every camera and connector concerned, and the ways out.',
      recordIds: o365.map((r) => r.id),
    });
    return out;
  }

  /** Seals a secret for one record and computes its reuse digest. */
  async seal(secret: string, recordId: string): Promise<{ sealed: string; digest: string; length: number }> {
    const status = await this.secrets.status();
    if (!status.available) {
      throw new AppError(
        'secret-storage-unavailable',
        `${status.reason ?? 'This computer offers no encrypted storage for secrets.'} The app password was not saved.`,
        'secret',
      );
    }
    return {
      sealed: await this.secrets.seal(secret, secretPlace.appPassword(recordId)),
      digest: await this.digest(secret),
      length: secret.length,
    };
  }

  private newRecord(
    id: string,
    input: z.output<typeof AppPasswordFields>,
    sealed: { sealed: string; digest: string; length: number },
    replacesId: string | null,
  ): StoredAppPassword {
    return {
      id,
      account: input.account,
      provider: input.provider,
      label: input.label,
      notes: input.notes,
      secretSealed: sealed.sealed,
      secretDigest: sealed.digest,
      secretLength: sealed.length,
      status: 'active',
      createdAt: new Date(this.now()).toISOString(),
      createdBy: this.osUser,
      lastVerified: null,
      replacesId,
      replacedById: null,
      retiredAt: null,
      secretDestroyedAt: null,
    };
  }

  private async digest(secret: string): Promise<string> {
    if (!this.pepper) {
      if (this.inventory.vaultPepper) {
        this.pepper = Buffer.from(
          await this.secrets.open(this.inventory.vaultPepper, secretPlace.vaultPepper),
          'base64',
        );
      } else {
        const pepper = randomBytes(32);
        this.inventory.commit({
          vaultPepper: await this.secrets.seal(pepper.toString('base64'), secretPlace.vaultPepper),
        });
        this.pepper = pepper;
      }
    }
    return createHmac('sha256', this.pepper).update(secret, 'utf8').digest('hex');
  }

  private view(
    r: StoredAppPassword,
    byDigest: Map<string, string[]>,
    cameras: Map<string, string[]>,
  ): AppPasswordRecord {
    const { secretSealed, secretDigest, ...rest } = r;
    return {
      ...rest,
      hasSecret: secretSealed !== null,
      reusedWith: secretDigest ? (byDigest.get(secretDigest) ?? []).filter((id) => id !== r.id) : [],
      cameraIds: cameras.get(r.id) ?? [],
      formatWarning: secretLengthWarning(r.provider, r.secretLength),
    };
  }
}
