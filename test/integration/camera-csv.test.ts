import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Camera } from '../../shared/vault.ts';
import { startTestCore, unwrap, type TestCore } from '../helpers/core.ts';

let t: TestCore;
let north: string;
let south: string;
let northRelay: string;
let camsRecord: string;

const storeFile = () => join(t.dir, 'alertdesk.json');

function auditRows(sinceSeq: number) {
  return t.core.db
    .prepare('SELECT action, record_type, record_id, detail FROM audit WHERE seq > ? ORDER BY seq')
    .all(sinceSeq) as Array<{
    action: string;
    record_type: string;
    record_id: string | null;
    detail: string;
  }>;
}
const lastSeq = () =>
  (t.core.db.prepare('SELECT COALESCE(MAX(seq), 0) AS n FROM audit').get() as { n: number }).n;

const camerasAt = async (siteId: string) => unwrap(await t.api.cameras.list({ siteId }));
const byName = (cams: Camera[], name: string) => cams.find((c) => c.name === name);

beforeAll(async () => {
  t = await startTestCore();
  north = unwrap(await t.api.sites.create({ name: 'North Depot' })).id;
  south = unwrap(await t.api.sites.create({ name: 'South Yard' })).id;
  const relay = {
    host: 'relay.example.test',
    port: 25,
    security: 'none',
    auth: 'none',
    sender: 'cams@example.test',
  } as const;
  northRelay = unwrap(await t.api.connectors.create({ ...relay, siteId: north, title: 'Relay' })).id;
  unwrap(await t.api.connectors.create({ ...relay, siteId: south, title: 'Gmail relay' }));
  const record = (account: string, label: string, secret: string) =>
    t.api.vault.create({ account, provider: 'gmail', label, secret });
  camsRecord = unwrap(await record('cams@acme.test', 'Cameras', 'abcdefghijklmnop')).id;
  unwrap(await record('twice@acme.test', 'First', 'bcdefghijklmnopq'));
  unwrap(await record('twice@acme.test', 'Second', 'cdefghijklmnopqr'));
  const old = unwrap(await record('old@acme.test', 'Old', 'defghijklmnopqrs'));
  unwrap(
    await t.api.vault.update({
      id: old.id,
      account: old.account,
      provider: 'gmail',
      label: 'Old',
      status: 'retired',
    }),
  );
});
afterAll(() => t.close());

describe('camera CSV preview', () => {
  it('recognises header variants whatever their case, and ignores columns it does not know', async () => {
    const a = unwrap(
      await t.api.cameras.previewImport({
        csv: [
          'CAMERA NAME,ip address,Serial/MAC,site name,Connector,SMTP Login,App password account,Email,Subject Template,heartbeat,Make,Model,Location,Notes,Colour',
          'Gate 1,10.0.0.5,AA:00:00:00:00:01,North Depot,relay,cam1,cams@acme.test,ops@acme.test,%Camera_Name%,15,Axis,P1375,Gate,fine,red',
        ].join('\r\n'),
      }),
    );
    expect(a.mapping).toEqual({
      'CAMERA NAME': 'name',
      'ip address': 'host',
      'Serial/MAC': 'serial',
      'site name': 'site',
      Connector: 'connector',
      'SMTP Login': 'smtpLogin',
      'App password account': 'appPasswordAccount',
      Email: 'recipients',
      'Subject Template': 'subjectTemplate',
      heartbeat: 'heartbeatMinutes',
      Make: 'vendor',
      Model: 'model',
      Location: 'location',
      Notes: 'notes',
      Colour: null,
    });
    expect(a).toMatchObject({ delimiter: ',', rows: 1, good: 1, errors: [] });
    expect(a.sample[0]).toMatchObject({
      name: 'Gate 1',
      host: '10.0.0.5',
      connector: 'relay',
      heartbeatMinutes: '15',
    });
    expect(a.sample[0]).not.toHaveProperty('Colour');

    const b = unwrap(
      await t.api.cameras.previewImport({
        csv: 'name,HOST,mac,Site,login,account,to,subject,Heartbeat Minutes,vendor,User\nGate 2,cam2.local,AA:00:00:00:00:02,north depot,u,cams@acme.test,ops@acme.test,s,5,Hik,x\n',
      }),
    );
    expect(b.mapping).toEqual({
      name: 'name',
      HOST: 'host',
      mac: 'serial',
      Site: 'site',
      login: 'smtpLogin',
      account: 'appPasswordAccount',
      to: 'recipients',
      subject: 'subjectTemplate',
      'Heartbeat Minutes': 'heartbeatMinutes',
      vendor: 'vendor',
      // A second column for the same field is ignored and said so.
      User: null,
    });
    expect(b.errors).toEqual([
      {
        line: 1,
        field: 'smtpLogin',
        message: 'The columns "login" and "User" both hold SMTP login; only "login" is used.',
      },
    ]);
    expect(b.good).toBe(1);
  });

  it('uses the mapping the user chose instead of its guess', async () => {
    const csv = 'Kamera,Standort,Name\nTor 3,North Depot,ignored\n';
    const guessed = unwrap(await t.api.cameras.previewImport({ csv }));
    expect(guessed.mapping).toEqual({ Kamera: null, Standort: null, Name: 'name' });
    const chosen = unwrap(
      await t.api.cameras.previewImport({ csv, mapping: { Kamera: 'name', Standort: 'site', Name: null } }),
    );
    expect(chosen.mapping).toEqual({ Kamera: 'name', Standort: 'site', Name: null });
    expect(chosen).toMatchObject({ good: 1, errors: [], sample: [{ name: 'Tor 3', site: 'North Depot' }] });
  });

  it('shows at most 20 sample rows but counts and checks all of them', async () => {
    const lines = ['Name,Site'];
    for (let i = 1; i <= 45; i++) lines.push(`Sample ${i},North Depot`);
    const p = unwrap(await t.api.cameras.previewImport({ csv: lines.join('\n') }));
    expect(p).toMatchObject({ rows: 45, good: 45 });
    expect(p.sample).toHaveLength(20);
    expect(p.sample[19]).toEqual({ name: 'Sample 20', site: 'North Depot' });
    expect(await camerasAt(north)).not.toContainEqual(expect.objectContaining({ name: 'Sample 1' }));
  });
});

describe('camera CSV import', () => {
  it('reads a semicolon-delimited file with a UTF-8 BOM, as European Excel saves it', async () => {
    const csv =
      '\uFEFFName;Site;Recipients;Location\r\nBOM 1;North Depot;a@acme.test, b@acme.test;Gate, north side\r\nBOM 2;South Yard;c@acme.test;\r\n';
    const p = unwrap(await t.api.cameras.previewImport({ csv }));
    expect(p.delimiter).toBe(';');
    expect(p.headers).toEqual(['Name', 'Site', 'Recipients', 'Location']);
    expect(p.mapping.Name).toBe('name');
    expect(unwrap(await t.api.cameras.importCsv({ csv }))).toEqual({ imported: 2, errors: [] });
    const one = byName(await camerasAt(north), 'BOM 1');
    expect(one).toMatchObject({ recipients: ['a@acme.test', 'b@acme.test'], location: 'Gate, north side' });
    expect(byName(await camerasAt(south), 'BOM 2')?.recipients).toEqual(['c@acme.test']);
  });

  it('reads a tab-delimited file', async () => {
    const csv = 'Name\tSite\tVendor\nTab 1\tNorth Depot\tAxis, Sweden\n';
    const p = unwrap(await t.api.cameras.previewImport({ csv }));
    expect(p.delimiter).toBe('\t');
    expect(unwrap(await t.api.cameras.importCsv({ csv })).imported).toBe(1);
    expect(byName(await camerasAt(north), 'Tab 1')?.vendor).toBe('Axis, Sweden');
  });

  it('keeps commas, semicolons, doubled quotes and line breaks inside quoted fields, and counts lines of the file', async () => {
    const csv = [
      'Name,Site,Location,Notes,Recipients',
      '"Quoted, east",North Depot,"Door ""B""; left","first line',
      'second line",ops@acme.test',
      'Quoted 2,North Depot,Yard,,"ops@acme.test; nobody-at-acme"',
    ].join('\r\n');
    const result = unwrap(await t.api.cameras.importCsv({ csv }));
    expect(result.imported).toBe(1);
    // The second record starts on line 4 of the file: the first one spans lines 2 and 3.
    expect(result.errors).toEqual([
      { line: 4, field: 'recipients', message: expect.stringContaining('nobody-at-acme') },
    ]);
    expect(byName(await camerasAt(north), 'Quoted, east')).toMatchObject({
      location: 'Door "B"; left',
      notes: 'first line\r\nsecond line',
    });
  });

  it('reports a bad e-mail address at the recipients field and line, and imports the good rows in one write', async () => {
    const csv = [
      'Name,Site,Recipients',
      'Mail 1,North Depot,ops@acme.test',
      'Mail 2,North Depot,ops@acme.test; not-an-address',
      'Mail 3,South Yard,night@acme.test',
    ].join('\n');
    const preview = unwrap(await t.api.cameras.previewImport({ csv }));
    expect(preview).toMatchObject({ rows: 3, good: 2 });
    expect(preview.errors).toEqual([
      {
        line: 3,
        field: 'recipients',
        message: 'Recipient "not-an-address" has no @ — write it as name@domain.',
      },
    ]);

    const commit = vi.spyOn(t.core.inventory, 'commit');
    try {
      const result = unwrap(await t.api.cameras.importCsv({ csv }));
      expect(result).toEqual({ imported: 2, errors: preview.errors });
      expect(commit).toHaveBeenCalledTimes(1);
    } finally {
      commit.mockRestore();
    }
    expect(byName(await camerasAt(north), 'Mail 1')).toBeDefined();
    expect(byName(await camerasAt(north), 'Mail 2')).toBeUndefined();
    expect(byName(await camerasAt(south), 'Mail 3')).toBeDefined();
  });

  it('refuses duplicate names per site and duplicate serials, in the file and against existing cameras', async () => {
    unwrap(await t.api.cameras.create({ siteId: north, name: 'Lobby', serial: 'AA:BB:CC:00:00:01' }));
    const csv = [
      'Name,Site,Serial,Recipients',
      'lobby,North Depot,', // 2: existing camera, other case
      'Dock 1,North Depot,AA:BB:CC:00:00:02', // 3
      'DOCK 1,North Depot,', // 4: duplicate of line 3
      'Dock 1,South Yard,', // 5: same name at another site is fine
      'Dock 2,South Yard,aa:bb:cc:00:00:01', // 6: serial of Lobby
      'Dock 3,South Yard,AA:BB:CC:00:00:02', // 7: serial of line 3
      'Dock 4,South Yard,,broken-address', // 8: bad for another reason
      'Dock 4,South Yard,,', // 9: still a duplicate of line 8
    ].join('\n');
    const result = unwrap(await t.api.cameras.importCsv({ csv }));
    expect(result.imported).toBe(2);
    expect(result.errors).toEqual([
      { line: 2, field: 'name', message: '"North Depot" already has a camera named "Lobby".' },
      { line: 4, field: 'name', message: 'Camera "DOCK 1" at "North Depot" is a duplicate of line 3.' },
      { line: 6, field: 'serial', message: 'Serial/MAC aa:bb:cc:00:00:01 is already recorded for "Lobby".' },
      { line: 7, field: 'serial', message: 'Serial/MAC AA:BB:CC:00:00:02 is a duplicate of line 3.' },
      { line: 8, field: 'recipients', message: expect.stringContaining('broken-address') },
      { line: 9, field: 'name', message: 'Camera "Dock 4" at "South Yard" is a duplicate of line 8.' },
    ]);
    expect((await camerasAt(north)).filter((c) => c.name.toLowerCase() === 'dock 1')).toHaveLength(1);
    expect(byName(await camerasAt(south), 'Dock 1')).toBeDefined();
  });

  it('points at a value whose delimiter was not quoted, and at a quote that is never closed', async () => {
    const csv =
      'Name,Site,Location\nShift 1,North Depot,Gate, north\nShift 2,North Depot,"unclosed\nShift 3,North Depot,x\n';
    const result = unwrap(await t.api.cameras.importCsv({ csv }));
    expect(result.imported).toBe(0);
    expect(result.errors).toEqual([
      {
        line: 2,
        field: null,
        message: expect.stringContaining('a value containing "," must be put in double quotes'),
      },
      { line: 3, field: null, message: expect.stringContaining('A quoted value is never closed') },
    ]);
  });

  it('says so when the file is empty or has no rows under its header', async () => {
    expect(unwrap(await t.api.cameras.previewImport({ csv: '' })).errors).toEqual([
      { line: 1, field: null, message: 'The file is empty: it has no header row.' },
    ]);
    expect(unwrap(await t.api.cameras.importCsv({ csv: '\uFEFFName,Site\r\n' }))).toEqual({
      imported: 0,
      errors: [{ line: 1, field: null, message: 'The file has a header row but no cameras under it.' }],
    });
  });

  it('names a missing name or site column on line 1 and imports nothing', async () => {
    const noName = unwrap(await t.api.cameras.previewImport({ csv: 'Host,Site\n10.0.0.9,North Depot\n' }));
    expect(noName).toMatchObject({ rows: 1, good: 0 });
    expect(noName.errors).toEqual([
      { line: 1, field: 'name', message: expect.stringContaining('"Name" column') },
    ]);

    const noSite = unwrap(await t.api.cameras.importCsv({ csv: 'Name,Host\nOrphan,10.0.0.9\n' }));
    expect(noSite.imported).toBe(0);
    expect(noSite.errors).toEqual([
      { line: 1, field: 'site', message: expect.stringContaining('"Site" column') },
    ]);

    const withDefault = unwrap(
      await t.api.cameras.importCsv({ csv: 'Name,Host\nOrphan,10.0.0.9\n', defaultSiteId: south }),
    );
    expect(withDefault).toEqual({ imported: 1, errors: [] });
    expect(byName(await camerasAt(south), 'Orphan')?.host).toBe('10.0.0.9');
  });

  it('falls back to the chosen site only where the site cell is empty', async () => {
    const csv = 'Name,Site\nDefault 1,\nDefault 2,North Depot\n';
    expect(unwrap(await t.api.cameras.importCsv({ csv, defaultSiteId: south })).imported).toBe(2);
    expect(byName(await camerasAt(south), 'Default 1')).toBeDefined();
    expect(byName(await camerasAt(north), 'Default 2')).toBeDefined();
    const empty = unwrap(await t.api.cameras.previewImport({ csv: 'Name,Site\nNo site,\n' }));
    expect(empty.errors).toEqual([
      { line: 2, field: 'site', message: expect.stringContaining('site is empty') },
    ]);
  });

  it('refuses unknown sites, unknown connectors and connectors of another site', async () => {
    const csv = [
      'Name,Site,Connector',
      'Unknown 1,Nowhere,',
      'Unknown 2,North Depot,Missing',
      'Unknown 3,North Depot,Gmail relay',
      'Known 4,North Depot,RELAY',
    ].join('\n');
    const result = unwrap(await t.api.cameras.importCsv({ csv }));
    expect(result.errors).toEqual([
      {
        line: 2,
        field: 'site',
        message: 'There is no site named "Nowhere". Create the site first, or correct the name.',
      },
      { line: 3, field: 'connector', message: '"North Depot" has no connector titled "Missing".' },
      {
        line: 4,
        field: 'connector',
        message: expect.stringContaining(
          'there is one at "South Yard", but a camera can only use a connector of its own site',
        ),
      },
    ]);
    expect(result.imported).toBe(1);
    expect(byName(await camerasAt(north), 'Known 4')?.connectorId).toBe(northRelay);
  });

  it('links an app-password account only when exactly one current record has it', async () => {
    const csv = [
      'Name,Site,App password account',
      'Acct 1,North Depot,CAMS@acme.test',
      'Acct 2,North Depot,twice@acme.test',
      'Acct 3,North Depot,old@acme.test',
      'Acct 4,North Depot,nobody@acme.test',
    ].join('\n');
    const result = unwrap(await t.api.cameras.importCsv({ csv }));
    expect(result.imported).toBe(1);
    expect(byName(await camerasAt(north), 'Acct 1')?.appPasswordId).toBe(camsRecord);
    expect(result.errors.map((e) => [e.line, e.field])).toEqual([
      [3, 'appPasswordAccount'],
      [4, 'appPasswordAccount'],
      [5, 'appPasswordAccount'],
    ]);
    expect(result.errors[0]?.message).toMatch(/2 current app-password records/);
    expect(result.errors[1]?.message).toMatch(/retired or revoked/);
    expect(result.errors[2]?.message).toMatch(/no app-password record for nobody@acme\.test/);
  });

  it('reports a heartbeat that is not a whole number of minutes', async () => {
    const p = unwrap(
      await t.api.cameras.previewImport({
        csv: 'Name,Site,Heartbeat\nHb 1,North Depot,often\nHb 2,North Depot,2.5\nHb 3,North Depot,60\n',
      }),
    );
    expect(p.good).toBe(1);
    expect(p.errors).toEqual([
      {
        line: 2,
        field: 'heartbeatMinutes',
        message: 'Heartbeat must be a number of minutes; "often" is not.',
      },
      { line: 3, field: 'heartbeatMinutes', message: 'Heartbeat interval must be whole minutes.' },
    ]);
  });

  it('never imports a password column, even when the user maps it, and says why', async () => {
    const csv =
      'Name,Site,Password,App password,Notes\nSecretive,North Depot,hunter2-cam,qwertyuiopasdfgh,plain note\n';
    const p = unwrap(await t.api.cameras.previewImport({ csv, mapping: { Password: 'notes', Notes: null } }));
    expect(p.mapping).toMatchObject({ Password: null, 'App password': null, Notes: null });
    expect(p.errors).toEqual([
      { line: 1, field: null, message: expect.stringContaining('secrets are never imported from CSV') },
    ]);
    expect(p.errors[0]?.message).toMatch(/"Password", "App password"/);
    expect(JSON.stringify(p.sample)).not.toContain('hunter2');

    const result = unwrap(await t.api.cameras.importCsv({ csv }));
    expect(result.imported).toBe(1);
    expect(byName(await camerasAt(north), 'Secretive')?.notes).toBe('plain note');
    const stored = await readFile(storeFile(), 'utf8');
    expect(stored).not.toContain('hunter2-cam');
    expect(stored).not.toContain('qwertyuiopasdfgh');
  });

  it('writes nothing at all when every row is bad', async () => {
    const before = await readFile(storeFile());
    const seq = lastSeq();
    const result = unwrap(
      await t.api.cameras.importCsv({
        csv: 'Name,Site,Recipients\nBad 1,Nowhere,\nBad 2,North Depot,broken\n,North Depot,\n',
      }),
    );
    expect(result.imported).toBe(0);
    expect(result.errors.map((e) => [e.line, e.field])).toEqual([
      [2, 'site'],
      [3, 'recipients'],
      [4, 'name'],
    ]);
    expect((await readFile(storeFile())).equals(before)).toBe(true);
    expect(auditRows(seq)).toEqual([]);
  });

  it('audits an import with one summary event and one create event per camera', async () => {
    const seq = lastSeq();
    unwrap(
      await t.api.cameras.importCsv({
        csv: 'Name,Site\nAudit 1,North Depot\nAudit 2,Nowhere\nAudit 3,South Yard\n',
      }),
    );
    const rows = auditRows(seq);
    expect(rows.map((r) => [r.action, r.record_type])).toEqual([
      ['import', 'camera'],
      ['create', 'camera'],
      ['create', 'camera'],
    ]);
    expect(rows[0]?.detail).toBe('2 of 3 rows imported; 1 refused (line 3)');
    const ids = [
      byName(await camerasAt(north), 'Audit 1')?.id,
      byName(await camerasAt(south), 'Audit 3')?.id,
    ];
    expect(rows.slice(1).map((r) => r.record_id)).toEqual(ids);
  });
});

describe('camera CSV export', () => {
  it('exports cameras that re-import to the same values, with formulas defused and no secret', async () => {
    const site = unwrap(await t.api.sites.create({ name: 'Round Trip' }));
    const relay = unwrap(
      await t.api.connectors.create({
        siteId: site.id,
        title: 'Trip relay',
        host: 'relay.example.test',
        port: 25,
        security: 'none',
        auth: 'none',
        sender: 'cams@example.test',
      }),
    );
    const originals = [
      unwrap(
        await t.api.cameras.create({
          siteId: site.id,
          name: '=HYPERLINK("http://evil.test","x")',
          vendor: 'Axis; "Q" series',
          model: 'Q6075-E',
          host: '192.168.10.20',
          serial: 'B8:A4:4F:00:00:01',
          location: '-1 level, ramp',
          connectorId: relay.id,
          smtpLogin: '@cam-login',
          appPasswordId: camsRecord,
          recipients: ['ops@acme.test', 'night@acme.test'],
          subjectTemplate: '[%Site_Name%] %Camera_Name% %Event_Type%',
          heartbeatMinutes: 15,
          notes: 'mast 2\nreplaced lens, 2026',
        }),
      ),
      unwrap(await t.api.cameras.create({ siteId: site.id, name: 'Plain', heartbeatMinutes: null })),
    ];

    const seq = lastSeq();
    const out = unwrap(await t.api.cameras.exportCsv({ siteId: site.id }));
    expect(out.rows).toBe(2);
    expect(out.filename).toMatch(/^alertdesk-cameras-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}\.csv$/);
    expect(
      out.csv.startsWith('\uFEFFSite,Camera name,Vendor,Model,IP address,Serial/MAC,Location,Connector,'),
    ).toBe(true);
    // Header and two rows; the line break inside the notes stays inside its quoted field.
    expect(out.csv.split('\r\n')).toHaveLength(3);
    expect(out.csv).toContain('"\'=HYPERLINK(""http://evil.test"",""x"")"');
    expect(out.csv).toContain('cams@acme.test');
    expect(out.csv).not.toContain('abcdefghijklmnop');
    const parsed = Papa.parse<string[]>(out.csv.slice(1)).data;
    expect(parsed[1]?.slice(0, 2)).toEqual(['Round Trip', '\'=HYPERLINK("http://evil.test","x")']);
    expect(auditRows(seq)).toEqual([
      { action: 'export', record_type: 'camera', record_id: null, detail: '2 cameras of "Round Trip"' },
    ]);

    for (const c of originals) unwrap(await t.api.cameras.remove({ id: c.id }));
    const back = unwrap(await t.api.cameras.importCsv({ csv: out.csv }));
    expect(back).toEqual({ imported: 2, errors: [] });
    const strip = ({ id: _i, createdAt: _c, updatedAt: _u, ...rest }: Camera) => rest;
    const restored = await camerasAt(site.id);
    for (const original of originals) {
      expect(strip(byName(restored, original.name)!)).toEqual(strip(original));
    }
  });

  it('exports every site when no site is given', async () => {
    const out = unwrap(await t.api.cameras.exportCsv());
    const all = unwrap(await t.api.cameras.list());
    expect(out.rows).toBe(all.length);
    const sites = new Set(
      Papa.parse<string[]>(out.csv.slice(1), { skipEmptyLines: true })
        .data.slice(1)
        .map((r) => r[0]),
    );
    expect([...sites].sort()).toEqual(['North Depot', 'Round Trip', 'South Yard']);
  });
});
