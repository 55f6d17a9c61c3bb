import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Papa from 'papaparse';
import { afterEach, describe, expect, it } from 'vitest';
import { spreadsheetCsv } from '../../electron/core/csv.ts';
import { aesGcmSeal, deriveKey } from '../../electron/core/secrets/passphrase-box.ts';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { relayConnector } from '../helpers/fixtures.ts';

/** What bad or hostile input must not do: grow errors without bound, break links, run in a spreadsheet. */

let open: TestCore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const t of open) await t.core.close().catch(() => undefined);
  open = [];
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function core(dir?: string): Promise<TestCore> {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'alertdesk-input-')));
  if (!dir) dirs.push(d);
  const t = await startTestCore({ dataDir: d });
  open.push(t);
  return t;
}

describe('a refused value in an error', () => {
  it('is quoted by its first characters only, however long it is', async () => {
    const t = await core();
    const siteId = unwrap(await t.api.sites.create({ name: 'Gate' })).id;
    const huge = `${'x'.repeat(1_000_000)}.example.test`;
    for (const [field, change] of [
      ['sender', { sender: `no-at-sign-${huge}` }],
      ['host', { host: `bad host ${huge}`.replace(/ /g, '_').replace('_', '!') }],
    ] as const) {
      const error = failure(await t.api.connectors.create({ ...relayConnector(siteId), ...change }));
      expect(error.field).toBe(field);
      expect(error.message.length).toBeLessThan(500);
      expect(JSON.stringify(error).length).toBeLessThan(2000);
    }
    const unknown = failure(
      await (t.api.sites.create as (x: unknown) => ReturnType<typeof t.api.sites.create>)({
        name: 'Quay',
        ['k'.repeat(500_000)]: 1,
      }),
    );
    expect(JSON.stringify(unknown).length).toBeLessThan(2000);
    expect(unknown.message).toMatch(/^Unknown field "k{60}…"\.$/);
  });

  it('from a camera CSV cell is cut the same way', async () => {
    const t = await core();
    unwrap(await t.api.sites.create({ name: 'Gate' }));
    const preview = unwrap(
      await t.api.cameras.previewImport({ csv: `Site,Name,Heartbeat\nGate,Cam 1,${'9x'.repeat(200_000)}\n` }),
    );
    expect(preview.errors).toHaveLength(1);
    expect(preview.errors[0]!.message.length).toBeLessThan(300);
  });
});

describe('links between sites, connectors and cameras', () => {
  it('refuse to move a connector to another site while cameras of its site send through it', async () => {
    const t = await core();
    const a = unwrap(await t.api.sites.create({ name: 'Site A' })).id;
    const b = unwrap(await t.api.sites.create({ name: 'Site B' })).id;
    const connector = unwrap(await t.api.connectors.create(relayConnector(a)));
    const camera = unwrap(
      await t.api.cameras.create({ siteId: a, name: 'Gate cam', connectorId: connector.id }),
    );
    const error = failure(await t.api.connectors.update({ ...relayConnector(b), id: connector.id }));
    expect(error).toMatchObject({ code: 'in-use', field: 'siteId' });
    expect(error.message).toContain('Gate cam');
    expect(unwrap(await t.api.connectors.get({ id: connector.id })).siteId).toBe(a);
    // Once the camera sends through another connector, the move is allowed.
    const other = unwrap(await t.api.connectors.create(relayConnector(a, 'Other relay')));
    const { createdAt: _c, updatedAt: _u, ...fields } = camera;
    unwrap(await t.api.cameras.update({ ...fields, connectorId: other.id }));
    expect(unwrap(await t.api.connectors.update({ ...relayConnector(b), id: connector.id })).siteId).toBe(b);
  });

  it('never leave a camera on a connector deleted with its site', async () => {
    let t = await core();
    const a = unwrap(await t.api.sites.create({ name: 'Site A' })).id;
    const b = unwrap(await t.api.sites.create({ name: 'Site B' })).id;
    const connector = unwrap(await t.api.connectors.create(relayConnector(a)));
    const camera = unwrap(await t.api.cameras.create({ siteId: b, name: 'Yard cam' }));
    const dir = t.dir;
    await t.core.close();
    open = [];
    // A camera at B sending through A's connector: what moving connectors used to allow.
    const file = join(dir, 'alertdesk.json');
    const doc = JSON.parse(await readFile(file, 'utf8')) as {
      cameras: Array<{ connectorId: string | null }>;
    };
    doc.cameras[0]!.connectorId = connector.id;
    await writeFile(file, JSON.stringify(doc));
    t = await core(dir);
    expect(unwrap(await t.api.sites.remove({ id: a, connectors: 'delete' }))).toMatchObject({
      connectorsDeleted: 1,
    });
    expect(unwrap(await t.api.cameras.get({ id: camera.id })).connectorId).toBeNull();
    const events = unwrap(await t.api.audit.query({ filter: { recordId: camera.id } })).rows;
    expect(events[0]!.detail).toMatch(
      /connector deleted with the site "Site A"; camera has no connector now/,
    );
  });
});

describe('spreadsheet exports', () => {
  it('neutralise every cell starting with = + - @ tab or CR, whatever follows, line breaks included', () => {
    const starts = ['=', '+', '-', '@', '\t', '\r'];
    const values = starts.flatMap((c) => [
      `${c}HYPERLINK("http://evil.test","x")`,
      `${c}cmd|' /C calc'!A0\nsecond line`,
    ]);
    const csv = spreadsheetCsv(values.map((v) => ({ value: v })));
    const cells = Papa.parse<string[]>(csv.slice(1), { newline: '\r\n' })
      .data.slice(1)
      .map((r) => r[0]!);
    expect(cells).toHaveLength(values.length);
    for (const [i, cell] of cells.entries()) expect(cell, JSON.stringify(values[i])).toBe(`'${values[i]}`);
    expect(spreadsheetCsv([{ n: -5, text: 'plain = text' }])).toContain('-5,plain = text');
  });

  it('defuse a formula spanning lines in the camera export', async () => {
    const t = await core();
    const siteId = unwrap(await t.api.sites.create({ name: 'Gate' })).id;
    unwrap(
      await t.api.cameras.create({
        siteId,
        name: 'Cam 1',
        notes: '=HYPERLINK("http://evil.test","open me")\nsecond line',
      }),
    );
    const out = unwrap(await t.api.cameras.exportCsv({}));
    expect(out.csv).toContain('"\'=HYPERLINK(""http://evil.test"",""open me"")\nsecond line"');
  });
});

describe('restoring a backup', () => {
  /** A backup file as the documented format describes it, sealed by hand. */
  async function backupFile(
    payload: Record<string, unknown>,
    passphrase: string,
    kdf = { N: 2 ** 15, r: 8, p: 1 },
  ): Promise<string> {
    const counts = {
      sites: (payload.sites as unknown[]).length,
      connectors: (payload.connectors as unknown[]).length,
      cameras: (payload.cameras as unknown[]).length,
      appPasswords: (payload.appPasswords as unknown[]).length,
    };
    const salt = randomBytes(16).toString('base64');
    const header = {
      format: 'alertdesk-backup',
      version: 1,
      kdf: { name: 'scrypt', ...kdf, salt },
      createdAt: '2026-01-10T09:00:00.000Z',
      appVersion: '0.1.0',
      counts,
    };
    const aad = JSON.stringify([
      header.format,
      header.version,
      'scrypt',
      kdf.N,
      kdf.r,
      kdf.p,
      salt,
      header.createdAt,
      header.appVersion,
      counts.sites,
      counts.connectors,
      counts.cameras,
      counts.appPasswords,
    ]);
    const key = await deriveKey(passphrase, Buffer.from(salt, 'base64'), {
      ...kdf,
      maxmem: 256 * 1024 * 1024,
    });
    const data = aesGcmSeal(key, Buffer.from(JSON.stringify(payload)), Buffer.from(aad)).toString('base64');
    return JSON.stringify({ ...header, data });
  }

  const at = '2026-01-10T09:00:00.000Z';
  const site = {
    id: 's1',
    name: 'Depot',
    customer: '',
    address: '',
    contact: '',
    notes: '',
    handover: 'commissioning',
    handedOverAt: null,
    createdAt: at,
    updatedAt: at,
  };
  const connector = {
    id: 'c1',
    siteId: 's1',
    title: 'Relay',
    host: 'relay.example.test',
    port: 587,
    portIsManual: true,
    security: 'starttls',
    auth: 'login',
    username: 'cams@example.test',
    password: 'relay-password-1',
    sender: 'cams@example.test',
    senderName: '',
    replyTo: '',
    connectionTimeoutSec: 60,
    trustedCertificatePem: null,
    state: 'RUN',
    presetId: null,
    extraProperties: [],
    mailDebug: false,
    pop: null,
    maxSessions: 4,
    rateLimitPerMinute: null,
    dailyLimit: null,
    retryDelaysSec: [10, 30],
    lastTest: null,
    createdAt: at,
    updatedAt: at,
  };
  const payload = (c: Record<string, unknown> = connector) => ({
    sites: [site],
    connectors: [c],
    cameras: [],
    appPasswords: [],
    settings: {},
  });

  it('still opens a backup made with the earlier key settings (scrypt N = 2^15)', async () => {
    const t = await core();
    const content = await backupFile(payload(), 'old backup passphrase');
    expect(unwrap(await t.api.backup.import({ content, passphrase: 'old backup passphrase' }))).toMatchObject(
      {
        sites: 1,
        connectors: 1,
      },
    );
    const restored = t.core.inventory.connector('c1')!;
    expect(await t.core.secrets.open(restored.passwordSealed!, 'connector/c1/password')).toBe(
      'relay-password-1',
    );
  });

  it('makes new backups with N = 2^17', async () => {
    const t = await core();
    const out = unwrap(await t.api.backup.export({ passphrase: 'a long backup passphrase' }));
    expect(JSON.parse(out.content).kdf).toMatchObject({ N: 2 ** 17, r: 8, p: 1 });
  });

  it.each([
    ['a host with a line break', { host: 'relay.example.test\r\nX-Injected: 1' }, /connectors\.0\.host/],
    ['a sender without @', { sender: 'nobody' }, /connectors\.0\.sender/],
    ['a sender name with CR/LF', { senderName: 'Cams\r\nBcc: all@evil.test' }, /connectors\.0\.senderName/],
    ['a port of 0', { port: 0 }, /connectors\.0\.port/],
    ['a password on two lines', { password: 'a\r\nb' }, /connectors\.0\.password/],
  ])(
    'refuses one holding %s, as the app refuses it typed in, and restores nothing',
    async (_what, change, where) => {
      const t = await core();
      unwrap(await t.api.sites.create({ name: 'Existing' }));
      const before = await readFile(join(t.dir, 'alertdesk.json'), 'utf8');
      const content = await backupFile(payload({ ...connector, ...change }), 'old backup passphrase');
      const error = failure(await t.api.backup.import({ content, passphrase: 'old backup passphrase' }));
      expect(error).toMatchObject({ code: 'backup-invalid', field: 'content' });
      expect(error.message).toMatch(where);
      expect(await readFile(join(t.dir, 'alertdesk.json'), 'utf8')).toBe(before);
    },
  );
});
