import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBackup } from '../../electron/core/inventory/backup.ts';
import { BACKUP_SCRYPT } from '../../electron/core/inventory/backup.ts';
import { aesGcmOpen, deriveKey } from '../../electron/core/secrets/passphrase-box.ts';
import type { SecretBox } from '../../electron/core/adapters.ts';
import { failure, startTestCore, unwrap, waitForDelivery, type TestCore } from '../helpers/core.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

const BACKUP_PASSPHRASE = 'seven rivers under the bridge';
const SMTP_USER = 'alerts@acme.test';
const SMTP_PASSWORD = 'smtp-Secret-Alpha-41';
const POP_PASSWORD = 'pop-Secret-Bravo-52';
const SHARED_SECRET = 'abcdefghijklmnop';
const OTHER_SECRET = 'qrstuvwxyzabcdef';
const SECRETS = [SMTP_PASSWORD, POP_PASSWORD, SHARED_SECRET, OTHER_SECRET];

let server: TestSmtpServer;
let source: TestCore;
let target: TestCore;
let backup: { filename: string; content: string; counts: unknown };
const ids = { smtp: '', pop: '', shared1: '', shared2: '', other: '' };

const storeBytes = (t: TestCore) => readFile(join(t.dir, 'alertdesk.json'));

/** Reads a backup with the documented format alone: no AlertDesk code but the two crypto primitives. */
async function openByHand(content: string, passphrase: string) {
  const doc = JSON.parse(content) as {
    format: string;
    version: number;
    kdf: { N: number; r: number; p: number; salt: string };
    createdAt: string;
    appVersion: string;
    counts: { sites: number; connectors: number; cameras: number; appPasswords: number };
    data: string;
  };
  const key = await deriveKey(passphrase, Buffer.from(doc.kdf.salt, 'base64'), {
    ...BACKUP_SCRYPT,
    N: doc.kdf.N,
    r: doc.kdf.r,
    p: doc.kdf.p,
  });
  const aad = JSON.stringify([
    doc.format,
    doc.version,
    'scrypt',
    doc.kdf.N,
    doc.kdf.r,
    doc.kdf.p,
    doc.kdf.salt,
    doc.createdAt,
    doc.appVersion,
    doc.counts.sites,
    doc.counts.connectors,
    doc.counts.cameras,
    doc.counts.appPasswords,
  ]);
  const plain = aesGcmOpen(key, Buffer.from(doc.data, 'base64'), Buffer.from(aad));
  return JSON.parse(plain.toString('utf8')) as {
    connectors: Array<{ id: string; password: string | null; pop: { password: string | null } | null }>;
    appPasswords: Array<{ id: string; secret: string | null }>;
  };
}

function edit(content: string, change: (doc: Record<string, unknown>) => void): string {
  const doc = JSON.parse(content) as Record<string, unknown>;
  change(doc);
  return JSON.stringify(doc, null, 2);
}

beforeAll(async () => {
  server = await startSmtpServer({ mode: 'none', users: { [SMTP_USER]: SMTP_PASSWORD } });
  source = await startTestCore();
  target = await startTestCore({ passphrase: 'a different local passphrase' });

  const api = source.api;
  const depot = unwrap(await api.sites.create({ name: 'Riverside Depot', customer: 'Acme Logistics' }));
  const yard = unwrap(await api.sites.create({ name: 'South Yard', handover: 'handed-over' }));
  const smtp = unwrap(
    await api.connectors.create({
      siteId: depot.id,
      title: 'Office relay',
      host: '127.0.0.1',
      port: server.port,
      portIsManual: true,
      security: 'none',
      auth: 'login',
      username: SMTP_USER,
      password: SMTP_PASSWORD,
      sender: SMTP_USER,
      // a relay inside the depot's network without TLS: the switch has to survive the restore
      allowPlainLogin: true,
      connectionTimeoutSec: 5,
      retryDelaysSec: [],
      extraProperties: [['mail.smtp.localhost', 'nvr01']],
    }),
  );
  const pop = unwrap(
    await api.connectors.create({
      siteId: yard.id,
      title: 'Old ISP',
      host: 'smtp.isp.test',
      port: 25,
      security: 'none',
      auth: 'pop-before-smtp',
      sender: 'yard@isp.test',
      pop: { host: 'pop.isp.test', port: 110, security: 'none', username: 'yard', password: POP_PASSWORD },
    }),
  );
  const record = (label: string, secret: string) =>
    api.vault.create({ account: 'cams@acme.test', provider: 'gmail', label, secret });
  const shared1 = unwrap(await record('Gate', SHARED_SECRET));
  const shared2 = unwrap(await record('Dock', SHARED_SECRET));
  const other = unwrap(await record('Yard', OTHER_SECRET));
  Object.assign(ids, {
    smtp: smtp.id,
    pop: pop.id,
    shared1: shared1.id,
    shared2: shared2.id,
    other: other.id,
  });
  unwrap(
    await api.cameras.create({
      siteId: depot.id,
      name: 'Gate 1',
      connectorId: smtp.id,
      appPasswordId: shared1.id,
      recipients: ['ops@acme.test'],
      heartbeatMinutes: 60,
    }),
  );
  unwrap(await api.cameras.create({ siteId: depot.id, name: 'Dock 2', appPasswordId: shared2.id }));
  unwrap(await api.cameras.create({ siteId: yard.id, name: 'Yard PTZ', connectorId: pop.id }));
  unwrap(await api.settings.update({ historyRetentionDays: 365 }));

  // Something to be replaced on the target.
  unwrap(await target.api.sites.create({ name: 'Left over' }));

  backup = unwrap(await api.backup.export({ passphrase: BACKUP_PASSPHRASE }));
});
afterAll(async () => {
  await source?.close();
  await target?.close();
  await server?.close();
});

describe('encrypted backup file', () => {
  it('is a versioned text file whose only clear parts are the format, key settings, date and counts', () => {
    expect(backup.filename).toMatch(/^alertdesk-backup-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}\.adbackup$/);
    const doc = JSON.parse(backup.content) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual([
      'appVersion',
      'counts',
      'createdAt',
      'data',
      'format',
      'kdf',
      'version',
    ]);
    expect(doc).toMatchObject({
      format: 'alertdesk-backup',
      version: 2,
      kdf: { name: 'scrypt', N: 2 ** 17, r: 8, p: 1 },
      counts: { sites: 2, connectors: 2, cameras: 3, appPasswords: 3 },
    });
    expect(Buffer.from((doc.kdf as { salt: string }).salt, 'base64')).toHaveLength(16);
    expect(backup.counts).toEqual(doc.counts);
  });

  it('contains no secret in clear, in base64 or in hex, and no site or camera name either', () => {
    const forms = [...SECRETS, BACKUP_PASSPHRASE].flatMap((s) => [
      s,
      Buffer.from(s).toString('base64'),
      Buffer.from(s).toString('base64').slice(0, 12),
      Buffer.from(s).toString('hex'),
    ]);
    for (const form of [...forms, 'Riverside', 'Gate 1', 'cams@acme.test']) {
      expect(backup.content.includes(form), `${form} is readable in the backup`).toBe(false);
    }
  });

  it('salts every backup afresh, so two backups of the same inventory differ', async () => {
    const again = unwrap(await source.api.backup.export({ passphrase: BACKUP_PASSPHRASE }));
    const salt = (c: string) => (JSON.parse(c) as { kdf: { salt: string } }).kdf.salt;
    expect(salt(again.content)).not.toBe(salt(backup.content));
    expect((JSON.parse(again.content) as { data: string }).data).not.toBe(
      (JSON.parse(backup.content) as { data: string }).data,
    );
  });

  it('audits the export without naming a secret', () => {
    const rows = source.core.db
      .prepare("SELECT action, record_type, detail FROM audit WHERE action = 'export' ORDER BY seq")
      .all() as Array<{ action: string; record_type: string; detail: string }>;
    expect(rows[0]).toEqual({
      action: 'export',
      record_type: 'inventory',
      detail:
        '2 sites, 2 connectors, 3 cameras, 3 app-password records; secrets included, encrypted with the backup passphrase',
    });
  });
});

describe('restoring a backup that cannot be trusted', () => {
  async function expectRefused(content: string, passphrase: string, code: string) {
    const before = await storeBytes(target);
    const sitesBefore = unwrap(await target.api.sites.list());
    const error = failure(await target.api.backup.import({ content, passphrase }));
    expect(error.code).toBe(code);
    expect((await storeBytes(target)).equals(before)).toBe(true);
    expect(unwrap(await target.api.sites.list())).toEqual(sitesBefore);
    return error;
  }

  it('refuses a wrong passphrase in plain words and changes nothing', async () => {
    const error = await expectRefused(
      backup.content,
      'seven rivers under the bridgE',
      'wrong-passphrase-or-damaged',
    );
    expect(error.field).toBe('passphrase');
    expect(error.message).toMatch(/passphrase is wrong/);
    expect(error.message).toMatch(/changed or damaged/);
  });

  it('refuses a file with one character of its data changed', async () => {
    const tampered = edit(backup.content, (doc) => {
      const data = doc.data as string;
      const i = Math.floor(data.length / 2);
      doc.data = data.slice(0, i) + (data[i] === 'A' ? 'B' : 'A') + data.slice(i + 1);
    });
    const error = await expectRefused(tampered, BACKUP_PASSPHRASE, 'wrong-passphrase-or-damaged');
    expect(error.message).toMatch(/changed or damaged/);
  });

  it('refuses a file whose last data character was changed where base64 has spare bits', async () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const small = await startTestCore();
    try {
      // Grow the inventory until the ciphertext length leaves spare bits in the last base64 character.
      let data = '';
      let content = '';
      for (let i = 1; i <= 3 && !data.endsWith('='); i++) {
        unwrap(await small.api.sites.create({ name: `Site ${'x'.repeat(i)}` }));
        content = unwrap(await small.api.backup.export({ passphrase: BACKUP_PASSPHRASE })).content;
        data = (JSON.parse(content) as { data: string }).data;
      }
      const body = data.replace(/=+$/, '');
      const changed =
        body.slice(0, -1) + ALPHABET[ALPHABET.indexOf(body.at(-1)!) ^ 1]! + data.slice(body.length);
      // The text differs, the decoded bytes do not: only the file's text shows the change.
      expect(changed).not.toBe(data);
      expect(Buffer.from(changed, 'base64').equals(Buffer.from(data, 'base64'))).toBe(true);
      const tampered = edit(content, (doc) => {
        doc.data = changed;
      });
      await expectRefused(tampered, BACKUP_PASSPHRASE, 'wrong-passphrase-or-damaged');
    } finally {
      await small.close();
    }
  });

  it('refuses a file whose counts or date were edited, though they are outside the ciphertext', async () => {
    await expectRefused(
      edit(backup.content, (doc) => {
        (doc.counts as { cameras: number }).cameras = 4;
      }),
      BACKUP_PASSPHRASE,
      'wrong-passphrase-or-damaged',
    );
    await expectRefused(
      edit(backup.content, (doc) => {
        doc.createdAt = '2020-01-01T00:00:00.000Z';
      }),
      BACKUP_PASSPHRASE,
      'wrong-passphrase-or-damaged',
    );
    await expectRefused(
      edit(backup.content, (doc) => {
        doc.appVersion = '9.9.9';
      }),
      BACKUP_PASSPHRASE,
      'wrong-passphrase-or-damaged',
    );
  });

  it('says a file is not a backup, or too new, or cut off', async () => {
    for (const content of ['hello', '{"a":1}', 'Name,Site\nGate,North\n', '[]']) {
      const error = await expectRefused(content, BACKUP_PASSPHRASE, 'not-a-backup');
      expect(error.message).toMatch(/not an AlertDesk backup/);
    }
    const newer = await expectRefused(
      edit(backup.content, (doc) => {
        doc.version = 3;
        doc.appVersion = '3.0.0';
      }),
      BACKUP_PASSPHRASE,
      'backup-too-new',
    );
    expect(newer.message).toMatch(/newer AlertDesk \(3\.0\.0\), backup format version 3/);
    const cut = await expectRefused(backup.content.slice(0, 400), BACKUP_PASSPHRASE, 'backup-damaged');
    expect(cut.message).toMatch(/damaged or was changed/);
    await expectRefused(
      edit(backup.content, (doc) => {
        doc.kdf = { ...(doc.kdf as object), N: 2 ** 30 };
      }),
      BACKUP_PASSPHRASE,
      'backup-damaged',
    );
  });

  it('writes nothing when the secrets cannot be sealed again', async () => {
    const before = await storeBytes(target);
    let sealed = 0;
    const failing: SecretBox = {
      status: async () => ({ available: true, backend: 'test', reason: null }),
      seal: async () => {
        if (++sealed > 1) throw new Error('keychain went away');
        return 'sealed';
      },
      open: async () => '',
    };
    await expect(
      importBackup(
        {
          inventory: target.core.inventory,
          secrets: failing,
          records: target.core.vault,
          audit: target.core.audit,
          now: () => Date.now(),
          appVersion: 'test',
        },
        backup.content,
        BACKUP_PASSPHRASE,
      ),
    ).rejects.toThrow('keychain went away');
    expect(sealed).toBe(2);
    expect((await storeBytes(target)).equals(before)).toBe(true);

    const unavailable: SecretBox = {
      ...failing,
      status: async () => ({ available: false, backend: 'basic_text', reason: 'No keyring is running.' }),
    };
    const error = await importBackup(
      {
        inventory: target.core.inventory,
        secrets: unavailable,
        records: target.core.vault,
        audit: target.core.audit,
        now: () => Date.now(),
        appVersion: 'test',
      },
      backup.content,
      BACKUP_PASSPHRASE,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'secret-storage-unavailable' });
    expect((error as Error).message).toMatch(/No keyring is running\. The backup was not restored\./);
    expect((await storeBytes(target)).equals(before)).toBe(true);
  });
});

describe('restoring a backup into another installation', () => {
  beforeAll(async () => {
    // Re-indented on the way (e-mail, a text editor): still the same backup.
    const reformatted = JSON.stringify(JSON.parse(backup.content));
    expect(
      unwrap(await target.api.backup.import({ content: reformatted, passphrase: BACKUP_PASSPHRASE })),
    ).toEqual({
      sites: 2,
      connectors: 2,
      cameras: 3,
      appPasswords: 3,
    });
  });

  it('replaces the inventory with every site, connector, camera, record and setting of the backup', async () => {
    const both = async <T>(read: (t: TestCore) => Promise<T>) => [await read(source), await read(target)];
    const [sitesA, sitesB] = await both(async (t) => unwrap(await t.api.sites.list()));
    expect(sitesB).toEqual(sitesA);
    expect(sitesB?.map((s) => s.name)).not.toContain('Left over');
    const [connA, connB] = await both(async (t) => unwrap(await t.api.connectors.list()));
    expect(connB).toEqual(connA);
    const [camA, camB] = await both(async (t) => unwrap(await t.api.cameras.list()));
    expect(camB).toEqual(camA);
    const [recA, recB] = await both(async (t) => unwrap(await t.api.vault.list()));
    expect(recB).toEqual(recA);
    expect(unwrap(await target.api.settings.get()).historyRetentionDays).toBe(365);
  });

  it('brings app-password secrets back, sealed by the new installation', async () => {
    for (const [id, secret] of [
      [ids.shared1, SHARED_SECRET],
      [ids.other, OTHER_SECRET],
    ] as const) {
      expect(unwrap(await target.api.vault.reveal({ id })).secret).toBe(secret);
      const sealedHere = target.core.inventory.appPassword(id)?.secretSealed;
      expect(sealedHere).toBeTruthy();
      expect(sealedHere).not.toBe(source.core.inventory.appPassword(id)?.secretSealed);
    }
    const file = await readFile(join(target.dir, 'alertdesk.json'), 'utf8');
    for (const s of SECRETS) expect(file).not.toContain(s);
  });

  it('brings connector passwords back in a usable form: the restored connector logs in', async () => {
    expect(unwrap(await target.api.connectors.get({ id: ids.smtp })).allowPlainLogin).toBe(true);
    const { deliveryId } = unwrap(
      await target.api.mail.sendTest({
        connectorId: ids.smtp,
        to: ['ops@acme.test'],
        subject: 'after restore',
      }),
    );
    const delivery = await waitForDelivery(target.api, deliveryId);
    expect(delivery.status).toBe('sent');
    expect(server.logins.at(-1)).toEqual({ method: 'LOGIN', user: SMTP_USER, ok: true });
  });

  it('brings POP3 passwords back: a backup of the restored installation holds them again', async () => {
    const again = unwrap(await target.api.backup.export({ passphrase: 'another backup passphrase' }));
    const inside = await openByHand(again.content, 'another backup passphrase');
    expect(inside.connectors.find((c) => c.id === ids.pop)?.pop?.password).toBe(POP_PASSWORD);
    expect(inside.connectors.find((c) => c.id === ids.smtp)?.password).toBe(SMTP_PASSWORD);
    expect(inside.appPasswords.find((r) => r.id === ids.shared2)?.secret).toBe(SHARED_SECRET);
  });

  it('still spots a secret reused by two records, with digests keyed by the new installation', async () => {
    const records = unwrap(await target.api.vault.list());
    const reused = (id: string) => records.find((r) => r.id === id)?.reusedWith;
    expect(reused(ids.shared1)).toEqual([ids.shared2]);
    expect(reused(ids.shared2)).toEqual([ids.shared1]);
    expect(reused(ids.other)).toEqual([]);
    const digest = (t: TestCore) => t.core.inventory.appPassword(ids.shared1)?.secretDigest;
    expect(digest(target)).toBeTruthy();
    expect(digest(target)).not.toBe(digest(source));
  });

  it('audits the restore with its counts, and the refused attempts as failed', () => {
    const rows = target.core.db
      .prepare(
        "SELECT result, detail FROM audit WHERE action = 'import' AND record_type = 'inventory' ORDER BY seq",
      )
      .all() as Array<{ result: string; detail: string }>;
    expect(rows.at(-1)?.result).toBe('ok');
    expect(rows.at(-1)?.detail).toMatch(
      /^restored 2 sites, 2 connectors, 3 cameras, 3 app-password records from a backup of .+; replaced 1 site, 0 connectors/,
    );
    const failed = rows.filter((r) => r.result === 'failed').map((r) => r.detail.split(':')[0]);
    expect(failed).toContain('wrong-passphrase-or-damaged');
    expect(failed).toContain('not-a-backup');
    for (const r of rows) for (const s of SECRETS) expect(r.detail).not.toContain(s);
  });
});
