import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { MAILBOX_DEFAULTS } from '../../../shared/inbound.ts';
import { AppError } from '../../../shared/result.ts';
import { DEFAULT_SETTINGS, type Settings } from '../../../shared/schemas.ts';
import type { BackupCounts } from '../../../shared/vault.ts';
import { plural } from '../../../shared/words.ts';
import type { PlacedSecrets } from '../adapters.ts';
import { inspectCertificate } from '../certificates.ts';
import type { AuditLog } from '../history/audit.ts';
import { fileStamp } from '../csv.ts';
import { secretPlace } from '../secrets/keyring.ts';
import { aesGcmOpen, aesGcmSeal, deriveKey } from '../secrets/passphrase-box.ts';
import { BackupPayload } from './backup-schemas.ts';
import { normalizeHeartbeatConfig } from '../../../shared/heartbeats.ts';
import type { AppPasswordService } from '../vault/records.ts';
import type {
  Inventory,
  StoredAppPassword,
  StoredConnector,
  StoredMailbox,
  StoredOAuthAccount,
} from './inventory.ts';

export interface BackupDeps {
  inventory: Inventory;
  secrets: PlacedSecrets;
  records: AppPasswordService;
  audit: AuditLog;
  now: () => number;
  appVersion: string;
}

const FORMAT = 'alertdesk-backup';
/** 2: with the sign-ins (OAuth2). Format 1 backups keep opening; an older app refuses a 2 as too new. */
const VERSION = 2;
const SALT_BYTES = 16;

/**
 * scrypt for a file that holds every secret and can be attacked offline: N = 2^17, r = 8, p = 1
 * (128 MiB, ~0.4 s here), the cost current guidance (OWASP) gives for password storage. Backups
 * made with other settings (2^15 before) keep opening: the settings are read from the file.
 */
export const BACKUP_SCRYPT = { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 } as const;

type Payload = BackupPayload;
const whole = z.number().int();
const text = z.string();

// ─── The file around it ───────────────────────────────────────────────────────────────────────

const Header = z
  .object({
    format: z.literal(FORMAT),
    version: z.union([z.literal(1), z.literal(VERSION)]),
    kdf: z
      .object({
        name: z.literal('scrypt'),
        N: whole,
        r: whole,
        p: whole,
        salt: z.base64(),
      })
      .strict(),
    createdAt: text,
    appVersion: text,
    counts: z.object({ sites: whole, connectors: whole, cameras: whole, appPasswords: whole }).strict(),
    data: z.base64(),
  })
  .strict();
type Header = z.output<typeof Header>;

/**
 * The header values the cipher authenticates, in a fixed order: re-indenting or re-ordering the
 * JSON keeps a backup readable, changing any value makes it unreadable.
 */
function additionalData(h: Omit<Header, 'data'>): Buffer {
  return Buffer.from(
    JSON.stringify([
      h.format,
      h.version,
      h.kdf.name,
      h.kdf.N,
      h.kdf.r,
      h.kdf.p,
      h.kdf.salt,
      h.createdAt,
      h.appVersion,
      h.counts.sites,
      h.counts.connectors,
      h.counts.cameras,
      h.counts.appPasswords,
    ]),
    'utf8',
  );
}

const damaged = (why: string) =>
  new AppError(
    'backup-damaged',
    `This backup file is damaged or was changed (${why}). Nothing was restored; use another copy of the backup.`,
    'content',
  );

const wrongPassphraseOrDamaged = () =>
  new AppError(
    'wrong-passphrase-or-damaged',
    'The backup could not be opened: either the passphrase is wrong, or the file was changed or damaged after it was made. Nothing was restored.',
    'passphrase',
  );

function countsOf(p: {
  sites: readonly unknown[];
  connectors: readonly unknown[];
  cameras: readonly unknown[];
  appPasswords: readonly unknown[];
}): BackupCounts {
  return {
    sites: p.sites.length,
    connectors: p.connectors.length,
    cameras: p.cameras.length,
    appPasswords: p.appPasswords.length,
  };
}

const countsText = (c: BackupCounts) =>
  `${plural(c.sites, 'site')}, ${plural(c.connectors, 'connector')}, ${plural(c.cameras, 'camera')}, ${plural(c.appPasswords, 'app-password record')}`;

// ─── Export ───────────────────────────────────────────────────────────────────────────────────

async function openOrExplain(
  secrets: PlacedSecrets,
  sealed: string | null,
  place: string,
  what: string,
): Promise<string | null> {
  if (sealed === null) return null;
  try {
    return await secrets.open(sealed, place);
  } catch {
    throw new AppError(
      'secret-unreadable',
      `The ${what} cannot be decrypted on this computer, so no backup was made. Enter it again, then back up.`,
    );
  }
}

export async function exportBackup(
  deps: BackupDeps,
  passphrase: string,
): Promise<{ filename: string; content: string; counts: BackupCounts }> {
  const { inventory, secrets } = deps;
  const connectors: Payload['connectors'] = [];
  for (const c of inventory.connectors) {
    const { passwordSealed, pop, ...rest } = c;
    let popPlain: Payload['connectors'][number]['pop'] = null;
    if (pop) {
      const { passwordSealed: popSealed, ...popRest } = pop;
      popPlain = {
        ...popRest,
        password: await openOrExplain(
          secrets,
          popSealed,
          secretPlace.popPassword(c.id),
          `POP3 password of connector "${c.title}"`,
        ),
      };
    }
    connectors.push({
      ...rest,
      password: await openOrExplain(
        secrets,
        passwordSealed,
        secretPlace.connectorPassword(c.id),
        `password of connector "${c.title}"`,
      ),
      pop: popPlain,
    });
  }
  const appPasswords: Payload['appPasswords'] = [];
  for (const r of inventory.appPasswords) {
    const { secretSealed, secretDigest: _digest, ...rest } = r;
    appPasswords.push({
      ...rest,
      secret: await openOrExplain(
        secrets,
        secretSealed,
        secretPlace.appPassword(r.id),
        `app password of ${r.account} (${r.label})`,
      ),
    });
  }
  const mailboxes: Payload['mailboxes'] = [];
  for (const m of inventory.mailboxes) {
    const { passwordSealed, ...rest } = m;
    mailboxes.push({
      ...rest,
      trustedCertificatePem: m.trustedCertificatePem ?? null,
      backfillDays: m.backfillDays ?? MAILBOX_DEFAULTS.backfillDays,
      pollSeconds: m.pollSeconds ?? MAILBOX_DEFAULTS.pollSeconds,
      password: await openOrExplain(
        secrets,
        passwordSealed,
        secretPlace.mailboxPassword(m.id),
        `password of mailbox "${m.title}"`,
      ),
    });
  }
  const oauthAccounts: NonNullable<Payload['oauthAccounts']> = [];
  for (const a of inventory.oauthAccounts) {
    const { refreshTokenSealed, ...rest } = a;
    const refreshToken = await openOrExplain(
      secrets,
      refreshTokenSealed,
      secretPlace.oauthRefreshToken(a.id),
      `sign-in of ${a.account}`,
    );
    oauthAccounts.push({ ...rest, refreshToken: refreshToken ?? '' });
  }
  const payload: Payload = {
    sites: [...inventory.sites],
    connectors,
    cameras: [...inventory.cameras],
    appPasswords,
    mailboxes,
    heartbeats: inventory.heartbeats,
    settings: inventory.settings,
    oauthAccounts,
    oauthApps: inventory.oauthApps,
  };
  const counts = countsOf(payload);

  const salt = randomBytes(SALT_BYTES);
  const header: Omit<Header, 'data'> = {
    format: FORMAT,
    version: VERSION,
    kdf: {
      name: 'scrypt',
      N: BACKUP_SCRYPT.N,
      r: BACKUP_SCRYPT.r,
      p: BACKUP_SCRYPT.p,
      salt: salt.toString('base64'),
    },
    createdAt: new Date(deps.now()).toISOString(),
    appVersion: deps.appVersion,
    counts,
  };
  const key = await deriveKey(passphrase, salt, BACKUP_SCRYPT);
  const sealed = aesGcmSeal(key, Buffer.from(JSON.stringify(payload), 'utf8'), additionalData(header));
  const content = `${JSON.stringify({ ...header, data: sealed.toString('base64') }, null, 2)}\n`;

  deps.audit.record({
    action: 'export',
    recordType: 'inventory',
    recordLabel: 'encrypted backup',
    detail: `${countsText(counts)}; secrets included, encrypted with the backup passphrase`,
  });
  return { filename: `alertdesk-backup-${fileStamp(header.createdAt)}.adbackup`, content, counts };
}

// ─── Import ───────────────────────────────────────────────────────────────────────────────────

function readHeader(content: string): Header {
  let doc: unknown;
  try {
    doc = JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch {
    // A cut-off or edited backup still names its format; anything else is some other file.
    if (content.includes(`"${FORMAT}"`)) throw damaged('it is not complete, valid JSON any more');
    doc = null;
  }
  const raw = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>) : null;
  if (!raw || raw.format !== FORMAT) {
    throw new AppError(
      'not-a-backup',
      'This file is not an AlertDesk backup. Choose a file AlertDesk saved with "Back up" (it ends in .adbackup).',
      'content',
    );
  }
  if (typeof raw.version === 'number' && raw.version > VERSION) {
    throw new AppError(
      'backup-too-new',
      `This backup was made by a newer AlertDesk${typeof raw.appVersion === 'string' ? ` (${raw.appVersion})` : ''}, backup format version ${raw.version}. Update AlertDesk to restore it.`,
      'content',
    );
  }
  const header = Header.safeParse(raw);
  if (!header.success) {
    const issue = header.error.issues[0];
    throw damaged(`the header field "${issue?.path.join('.') || '?'}" is not as AlertDesk writes it`);
  }
  const { N, r, p } = header.data.kdf;
  // Bounds keep a doctored header from making scrypt allocate gigabytes.
  const sane = N >= 2 ** 10 && N <= 2 ** 20 && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16;
  if (!sane || 128 * N * r > 512 * 1024 * 1024) throw damaged('its key settings are out of range');
  return header.data;
}

async function decrypt(header: Header, passphrase: string): Promise<Payload> {
  const sealed = Buffer.from(header.data, 'base64');
  // Base64 has spare bits in its last character; a file whose text changed must not open.
  if (sealed.toString('base64') !== header.data) throw wrongPassphraseOrDamaged();
  const { N, r, p, salt } = header.kdf;
  const key = await deriveKey(passphrase, Buffer.from(salt, 'base64'), {
    N,
    r,
    p,
    maxmem: Math.max(BACKUP_SCRYPT.maxmem, 256 * N * r),
  });
  let plain: Buffer;
  try {
    plain = aesGcmOpen(key, sealed, additionalData(header));
  } catch {
    throw wrongPassphraseOrDamaged();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(plain.toString('utf8'));
  } catch {
    throw damaged('its content is not readable');
  }
  const payload = BackupPayload.safeParse(parsed);
  if (!payload.success) {
    const issue = payload.error.issues[0];
    throw new AppError(
      'backup-invalid',
      `This backup holds a record AlertDesk would not accept (${issue?.path.join('.') || '?'}: ${issue?.message ?? 'unexpected value'}). Nothing was restored.`,
      'content',
    );
  }
  return payload.data;
}

/** What the services check beyond each field: links between records, names, certificates. */
function checkConsistency(header: Header, payload: Payload): void {
  const counts = countsOf(payload);
  if (JSON.stringify(counts) !== JSON.stringify(header.counts))
    throw damaged('its counts do not match its content');
  const sites = new Set(payload.sites.map((s) => s.id));
  const orphan =
    payload.connectors.find((c) => !sites.has(c.siteId))?.title ??
    payload.cameras.find((c) => !sites.has(c.siteId))?.name;
  if (orphan !== undefined) throw damaged(`"${orphan}" belongs to a site that is not in it`);
  const refuse = (what: string) => new AppError('backup-invalid', `${what} Nothing was restored.`, 'content');
  const unique = <T>(items: T[], key: (item: T) => string, what: (item: T) => string) => {
    const seen = new Set<string>();
    for (const item of items) {
      const k = key(item);
      if (seen.has(k)) throw refuse(what(item));
      seen.add(k);
    }
  };
  for (const list of [
    payload.sites,
    payload.connectors,
    payload.cameras,
    payload.appPasswords,
    payload.oauthAccounts ?? [],
  ])
    unique(
      list as Array<{ id: string }>,
      (x) => x.id,
      (x) => `Two records of this backup share the id ${x.id}.`,
    );
  unique(
    payload.sites,
    (s) => s.name.toLowerCase(),
    (s) => `Two sites of this backup are named "${s.name}".`,
  );
  unique(
    payload.cameras,
    (c) => `${c.siteId}\n${c.name.toLowerCase()}`,
    (c) => `Two cameras of one site are named "${c.name}" in this backup.`,
  );
  const connectorSite = new Map(payload.connectors.map((c) => [c.id, c.siteId]));
  const records = new Set(payload.appPasswords.map((r) => r.id));
  for (const c of payload.cameras) {
    if (c.connectorId !== null && connectorSite.get(c.connectorId) !== c.siteId)
      throw refuse(
        `The camera "${c.name}" uses a connector of another site or one that is not in the backup.`,
      );
    if (c.appPasswordId !== null && !records.has(c.appPasswordId))
      throw refuse(`The camera "${c.name}" uses an app-password record that is not in the backup.`);
  }
  for (const c of payload.connectors) {
    if (c.trustedCertificatePem === null || c.trustedCertificatePem.trim() === '') continue;
    try {
      inspectCertificate(c.trustedCertificatePem);
    } catch {
      throw refuse(`The trusted certificate of connector "${c.title}" is not a valid certificate.`);
    }
  }
}

export async function importBackup(
  deps: BackupDeps,
  content: string,
  passphrase: string,
): Promise<BackupCounts> {
  try {
    return await restore(deps, content, passphrase);
  } catch (error) {
    // A failed restore changes nothing, but an attempt on the inventory is still worth a trace.
    deps.audit.record({
      action: 'import',
      recordType: 'inventory',
      recordLabel: 'encrypted backup',
      result: 'failed',
      detail: error instanceof AppError ? `${error.code}: ${error.message}` : 'unexpected error',
    });
    throw error;
  }
}

async function restore(deps: BackupDeps, content: string, passphrase: string): Promise<BackupCounts> {
  const header = readHeader(content);
  const payload = await decrypt(header, passphrase);
  checkConsistency(header, payload);

  const status = await deps.secrets.status();
  if (!status.available) {
    throw new AppError(
      'secret-storage-unavailable',
      `${status.reason ?? 'This computer offers no encrypted storage for secrets.'} The backup was not restored.`,
    );
  }
  // Everything is sealed before anything is written, so a sealing failure leaves the inventory as it was.
  const seal = (plain: string | null, place: string) =>
    plain === null ? Promise.resolve(null) : deps.secrets.seal(plain, place);
  // A backup with sign-ins replaces this computer's; one made before them (format 1) keeps them.
  const oauthAccounts: StoredOAuthAccount[] = [];
  for (const a of payload.oauthAccounts ?? []) {
    const { refreshToken, ...rest } = a;
    oauthAccounts.push({
      ...rest,
      refreshTokenSealed: await deps.secrets.seal(refreshToken, secretPlace.oauthRefreshToken(a.id)),
    });
  }
  const accounts = payload.oauthAccounts ? oauthAccounts : deps.inventory.oauthAccounts;
  const signedIn = new Set(accounts.map((a) => a.id));
  const connectors: StoredConnector[] = [];
  for (const c of payload.connectors) {
    const { password, pop, oauthAccountId, ...rest } = c;
    let popSealed: StoredConnector['pop'] = null;
    if (pop) {
      const { password: popPassword, ...popRest } = pop;
      popSealed = { ...popRest, passwordSealed: await seal(popPassword, secretPlace.popPassword(c.id)) };
    }
    connectors.push({
      ...rest,
      passwordSealed: await seal(password, secretPlace.connectorPassword(c.id)),
      pop: popSealed,
      oauthAccountId: oauthAccountId && signedIn.has(oauthAccountId) ? oauthAccountId : null,
    });
  }
  const appPasswords: StoredAppPassword[] = [];
  for (const r of payload.appPasswords) {
    const { secret, ...rest } = r;
    // Reuse digests are keyed with this computer's pepper, so they are computed again here.
    const sealed = secret === null ? null : await deps.records.seal(secret, r.id);
    appPasswords.push({
      ...rest,
      secretSealed: sealed?.sealed ?? null,
      secretDigest: sealed?.digest ?? null,
      secretLength: sealed?.length ?? rest.secretLength,
    });
  }
  const sites = new Set(payload.sites.map((s) => s.id));
  const cameras = new Set(payload.cameras.map((c) => c.id));
  const mailboxes: StoredMailbox[] = [];
  for (const m of payload.mailboxes) {
    const { password, trustedCertificatePem, backfillDays, pollSeconds, ...rest } = m;
    mailboxes.push({
      ...rest,
      ...(trustedCertificatePem !== undefined ? { trustedCertificatePem } : {}),
      ...(backfillDays !== undefined ? { backfillDays } : {}),
      ...(pollSeconds !== undefined ? { pollSeconds } : {}),
      siteIds: rest.siteIds.filter((id) => sites.has(id)),
      cameraIds: rest.cameraIds.filter((id) => cameras.has(id)),
      passwordSealed: await seal(password, secretPlace.mailboxPassword(m.id)),
    });
  }
  const settings: Settings = { ...DEFAULT_SETTINGS, ...payload.settings };
  const before = countsOf(deps.inventory);
  const counts = countsOf(payload);
  // Heartbeat settings of cameras or sites the backup does not have are dropped after the commit.
  const heartbeats = normalizeHeartbeatConfig(payload.heartbeats);
  deps.inventory.commit(
    {
      sites: payload.sites,
      connectors,
      cameras: payload.cameras,
      appPasswords,
      mailboxes,
      heartbeats,
      settings,
      ...(payload.oauthAccounts ? { oauthAccounts } : {}),
      ...(payload.oauthApps ? { oauthApps: payload.oauthApps } : {}),
    },
    [
      {
        action: 'import',
        recordType: 'inventory',
        recordLabel: 'encrypted backup',
        detail: `restored ${countsText(counts)} from a backup of ${header.createdAt} (AlertDesk ${header.appVersion}); replaced ${countsText(before)}; ${plural(mailboxes.length, 'watched mailbox', 'watched mailboxes')} restored; ${payload.oauthAccounts ? `${plural(oauthAccounts.length, 'sign-in')} restored` : "this computer's sign-ins kept (the backup has none)"}`,
      },
    ],
  );
  return counts;
}
