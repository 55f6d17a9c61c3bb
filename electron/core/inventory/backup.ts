import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AUTH_METHODS, CONNECTOR_STATES, HANDOVER_STATES, SECURITY_MODES } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/result.ts';
import { DEFAULT_SETTINGS, SettingsFields, type Settings } from '../../../shared/schemas.ts';
import { APP_PASSWORD_STATUSES, PROVIDERS, type BackupCounts } from '../../../shared/vault.ts';
import type { SecretBox } from '../adapters.ts';
import type { AuditLog } from '../history/audit.ts';
import { fileStamp } from '../csv.ts';
import { aesGcmOpen, aesGcmSeal, deriveKey, SCRYPT_PARAMS } from '../secrets/passphrase-box.ts';
import type { AppPasswordService } from '../vault/records.ts';
import type { Inventory, StoredAppPassword, StoredConnector } from './inventory.ts';

export interface BackupDeps {
  inventory: Inventory;
  secrets: SecretBox;
  records: AppPasswordService;
  audit: AuditLog;
  now: () => number;
  appVersion: string;
}

const FORMAT = 'alertdesk-backup';
const VERSION = 1;
const SALT_BYTES = 16;

// ─── What is inside the ciphertext ────────────────────────────────────────────────────────────

const text = z.string();
const maybeText = z.string().nullable();
const whole = z.number().int();

const SiteBackup = z.object({
  id: text.min(1),
  name: text,
  customer: text,
  address: text,
  contact: text,
  notes: text,
  handover: z.enum(HANDOVER_STATES),
  handedOverAt: maybeText,
  createdAt: text,
  updatedAt: text,
});

const ConnectorBackup = z.object({
  id: text.min(1),
  siteId: text.min(1),
  title: text,
  host: text,
  port: whole,
  portIsManual: z.boolean(),
  security: z.enum(SECURITY_MODES),
  auth: z.enum(AUTH_METHODS),
  username: text,
  password: maybeText,
  sender: text,
  senderName: text,
  replyTo: text,
  connectionTimeoutSec: whole,
  trustedCertificatePem: maybeText,
  // (backups made before the switch existed restore with it off)
  allowPlainLogin: z.boolean().default(false),
  state: z.enum(CONNECTOR_STATES),
  presetId: maybeText,
  extraProperties: z.array(z.tuple([text, text])),
  mailDebug: z.boolean(),
  pop: z
    .object({
      host: text,
      port: whole,
      security: z.enum(SECURITY_MODES),
      username: text,
      password: maybeText,
      apop: z.boolean(),
      delayMs: whole,
    })
    .nullable(),
  maxSessions: whole,
  rateLimitPerMinute: whole.nullable(),
  dailyLimit: whole.nullable(),
  retryDelaysSec: z.array(whole),
  lastTest: z
    .object({ at: text, ok: z.boolean(), deliveryId: text, failureClass: maybeText, summary: text })
    .nullable(),
  createdAt: text,
  updatedAt: text,
});

const CameraBackup = z.object({
  id: text.min(1),
  siteId: text.min(1),
  name: text,
  vendor: text,
  model: text,
  host: text,
  serial: text,
  location: text,
  connectorId: maybeText,
  smtpLogin: text,
  appPasswordId: maybeText,
  recipients: z.array(text),
  subjectTemplate: text,
  heartbeatMinutes: whole.nullable(),
  notes: text,
  createdAt: text,
  updatedAt: text,
});

const AppPasswordBackup = z.object({
  id: text.min(1),
  account: text,
  provider: z.enum(PROVIDERS),
  label: text,
  secret: maybeText,
  secretLength: whole.nullable(),
  status: z.enum(APP_PASSWORD_STATUSES),
  createdAt: text,
  createdBy: text,
  lastVerified: z.object({ at: text, ok: z.boolean(), failureClass: maybeText, message: text }).nullable(),
  replacesId: maybeText,
  replacedById: maybeText,
  retiredAt: maybeText,
  secretDestroyedAt: maybeText,
  notes: text,
});

const Payload = z.object({
  sites: z.array(SiteBackup),
  connectors: z.array(ConnectorBackup),
  cameras: z.array(CameraBackup),
  appPasswords: z.array(AppPasswordBackup),
  // Not strict: a setting that no longer exists is dropped instead of refusing the whole backup.
  settings: z.object(SettingsFields.shape).partial(),
});
type Payload = z.output<typeof Payload>;

// ─── The file around it ───────────────────────────────────────────────────────────────────────

const Header = z
  .object({
    format: z.literal(FORMAT),
    version: z.literal(VERSION),
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
  `${c.sites} site(s), ${c.connectors} connector(s), ${c.cameras} camera(s), ${c.appPasswords} app-password record(s)`;

// ─── Export ───────────────────────────────────────────────────────────────────────────────────

async function openOrExplain(
  secrets: SecretBox,
  sealed: string | null,
  what: string,
): Promise<string | null> {
  if (sealed === null) return null;
  try {
    return await secrets.open(sealed);
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
        password: await openOrExplain(secrets, popSealed, `POP3 password of connector "${c.title}"`),
      };
    }
    connectors.push({
      ...rest,
      password: await openOrExplain(secrets, passwordSealed, `password of connector "${c.title}"`),
      pop: popPlain,
    });
  }
  const appPasswords: Payload['appPasswords'] = [];
  for (const r of inventory.appPasswords) {
    const { secretSealed, secretDigest: _digest, ...rest } = r;
    appPasswords.push({
      ...rest,
      secret: await openOrExplain(secrets, secretSealed, `app password of ${r.account} (${r.label})`),
    });
  }
  const payload: Payload = {
    sites: [...inventory.sites],
    connectors,
    cameras: [...inventory.cameras],
    appPasswords,
    settings: inventory.settings,
  };
  const counts = countsOf(payload);

  const salt = randomBytes(SALT_BYTES);
  const header: Omit<Header, 'data'> = {
    format: FORMAT,
    version: VERSION,
    kdf: {
      name: 'scrypt',
      N: SCRYPT_PARAMS.N,
      r: SCRYPT_PARAMS.r,
      p: SCRYPT_PARAMS.p,
      salt: salt.toString('base64'),
    },
    createdAt: new Date(deps.now()).toISOString(),
    appVersion: deps.appVersion,
    counts,
  };
  const key = await deriveKey(passphrase, salt, SCRYPT_PARAMS);
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
    maxmem: Math.max(SCRYPT_PARAMS.maxmem, 256 * N * r),
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
  const payload = Payload.safeParse(parsed);
  if (!payload.success) {
    const issue = payload.error.issues[0];
    throw damaged(`"${issue?.path.join('.') ?? '?'}": ${issue?.message ?? 'unexpected value'}`);
  }
  return payload.data;
}

function checkConsistency(header: Header, payload: Payload): void {
  const counts = countsOf(payload);
  if (JSON.stringify(counts) !== JSON.stringify(header.counts))
    throw damaged('its counts do not match its content');
  const sites = new Set(payload.sites.map((s) => s.id));
  const orphan =
    payload.connectors.find((c) => !sites.has(c.siteId))?.title ??
    payload.cameras.find((c) => !sites.has(c.siteId))?.name;
  if (orphan !== undefined) throw damaged(`"${orphan}" belongs to a site that is not in it`);
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
  const seal = (plain: string | null) => (plain === null ? Promise.resolve(null) : deps.secrets.seal(plain));
  const connectors: StoredConnector[] = [];
  for (const c of payload.connectors) {
    const { password, pop, ...rest } = c;
    let popSealed: StoredConnector['pop'] = null;
    if (pop) {
      const { password: popPassword, ...popRest } = pop;
      popSealed = { ...popRest, passwordSealed: await seal(popPassword) };
    }
    connectors.push({ ...rest, passwordSealed: await seal(password), pop: popSealed });
  }
  const appPasswords: StoredAppPassword[] = [];
  for (const r of payload.appPasswords) {
    const { secret, ...rest } = r;
    // Reuse digests are keyed with this computer's pepper, so they are computed again here.
    const sealed = secret === null ? null : await deps.records.seal(secret);
    appPasswords.push({
      ...rest,
      secretSealed: sealed?.sealed ?? null,
      secretDigest: sealed?.digest ?? null,
      secretLength: sealed?.length ?? rest.secretLength,
    });
  }
  const settings: Settings = { ...DEFAULT_SETTINGS, ...payload.settings };
  const before = countsOf(deps.inventory);
  deps.inventory.commit({
    sites: payload.sites,
    connectors,
    cameras: payload.cameras,
    appPasswords,
    settings,
  });
  const counts = countsOf(payload);
  deps.audit.record({
    action: 'import',
    recordType: 'inventory',
    recordLabel: 'encrypted backup',
    detail: `restored ${countsText(counts)} from a backup of ${header.createdAt} (AlertDesk ${header.appVersion}); replaced ${countsText(before)}`,
  });
  return counts;
}
