import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clipboard } from '../../electron/core/adapters.ts';
import { contract } from '../../shared/contract.ts';
import type { VerifyProgress, VerifyReport } from '../../shared/vault.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { manualClock } from '../helpers/clock.ts';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

const ACME = 'alerts@acme-sec.test';
const BOREALIS = 'cams@borealis.test';
const GOOD = {
  one: 'abcdefghijklmnop',
  two: 'qrstuvwxyzabcdef',
  three: 'ghijklmnopqrstuv',
  boreal: 'borealisappapass',
};

let cert: TestCertificate;
let server: TestSmtpServer;
/** What the provider currently accepts, per account. Tests change it to simulate revocation. */
const accepted: Record<string, Set<string>> = {};
const clipboard: Clipboard & { value: string } = {
  value: '',
  readText: async () => clipboard.value,
  writeText: async (text) => {
    clipboard.value = text;
  },
};
const clock = manualClock();
let t: TestCore;
let siteA: string;
let siteB: string;
let connectorA: string;
let connectorB: string;

beforeAll(async () => {
  cert = makeCertificate();
  server = await startSmtpServer({
    mode: 'starttls',
    cert,
    users: {},
    extra: {
      onAuth(auth, _session, callback) {
        const ok = accepted[auth.username ?? '']?.has(auth.password ?? '') ?? false;
        if (ok) callback(null, { user: auth.username });
        else
          callback(
            Object.assign(new Error('5.7.8 Username and Password not accepted'), { responseCode: 535 }),
          );
      },
    },
  });
  t = await startTestCore({ clock, clipboard });
  siteA = unwrap(await t.api.sites.create({ name: 'North Depot' })).id;
  siteB = unwrap(await t.api.sites.create({ name: 'South Yard' })).id;
  const connector = (siteId: string) =>
    t.api.connectors.create({
      siteId,
      title: 'Gmail via relay',
      host: '127.0.0.1',
      port: server.port,
      portIsManual: true,
      security: 'starttls',
      auth: 'login',
      username: ACME,
      password: GOOD.one,
      sender: ACME,
      trustedCertificatePem: cert.cert,
      connectionTimeoutSec: 5,
    });
  connectorA = unwrap(await connector(siteA)).id;
  connectorB = unwrap(await connector(siteB)).id;
});
afterAll(async () => {
  await t.close();
  await server.close();
});

const auditFor = (recordId: string) =>
  t.core.db
    .prepare('SELECT action, result, os_user, detail FROM audit WHERE record_id = ? ORDER BY seq')
    .all(recordId) as Array<{
    action: string;
    result: string;
    os_user: string;
    detail: string;
  }>;

async function runVerify(
  scope: Parameters<typeof t.api.vault.verify>[0],
): Promise<{ report: VerifyReport; progress: VerifyProgress[] }> {
  const progress: VerifyProgress[] = [];
  let resolve!: (r: VerifyReport) => void;
  const done = new Promise<VerifyReport>((r) => (resolve = r));
  const off = t.api.events.on('verify', (p) => {
    progress.push(p);
    if (p.report) resolve(p.report);
  });
  const { runId, total } = unwrap(await t.api.vault.verify(scope));
  const report = await done;
  off();
  expect(report.runId).toBe(runId);
  expect(report.outcomes).toHaveLength(total);
  return { report, progress: progress.filter((p) => p.runId === runId) };
}

describe('app-password records', () => {
  it('removes spaces on entry, records who created it, never shows the secret, and warns about a wrong format', async () => {
    const r = unwrap(
      await t.api.vault.create({
        account: ACME,
        provider: 'gmail',
        label: 'PTZ North Gate',
        secret: 'abcd efgh ijkl mnop',
      }),
    );
    expect(r).toMatchObject({
      account: ACME,
      hasSecret: true,
      secretLength: 16,
      status: 'active',
      createdBy: 'tester',
      formatWarning: null,
      lastVerified: null,
    });
    expect(JSON.stringify(r)).not.toContain('abcdefghijklmnop');
    expect(JSON.stringify(unwrap(await t.api.vault.list()))).not.toContain('abcdefghijklmnop');
    const odd = unwrap(
      await t.api.vault.create({
        account: ACME,
        provider: 'gmail',
        label: 'Old NVR',
        secret: 'MyAccountPassword1!',
      }),
    );
    expect(odd.formatWarning).toMatch(/16 letters/);
    expect(auditFor(odd.id)[0]).toMatchObject({ action: 'create', os_user: 'tester' });
    unwrap(await t.api.vault.remove({ id: odd.id }));
    expect(auditFor(odd.id).map((e) => e.action)).toEqual(['create', 'delete']);
  });

  it('flags one secret used by two records', async () => {
    const a = unwrap(
      await t.api.vault.create({ account: BOREALIS, provider: 'gmail', label: 'Cam 1', secret: GOOD.boreal }),
    );
    const b = unwrap(
      await t.api.vault.create({ account: BOREALIS, provider: 'gmail', label: 'Cam 2', secret: GOOD.boreal }),
    );
    const list = unwrap(await t.api.vault.list());
    expect(list.find((r) => r.id === a.id)?.reusedWith).toEqual([b.id]);
    expect(list.find((r) => r.id === b.id)?.reusedWith).toEqual([a.id]);
    const findings = unwrap(await t.api.vault.findings());
    expect(findings.find((f) => f.kind === 'reused-secret')?.recordIds.sort()).toEqual([a.id, b.id].sort());
  });

  it('reveals only on an explicit call, and audits it', async () => {
    const r = unwrap(
      await t.api.vault.create({
        account: ACME,
        provider: 'gmail',
        label: 'Reveal me',
        secret: 'wxyz wxyz wxyz wxyz',
      }),
    );
    expect(unwrap(await t.api.vault.reveal({ id: r.id }))).toEqual({ secret: 'wxyzwxyzwxyzwxyz' });
    expect(auditFor(r.id).map((e) => e.action)).toEqual(['create', 'reveal']);
  });

  it('copies to the clipboard, audits it, and clears it after 30 s only if it still holds the secret', async () => {
    const r = unwrap(
      await t.api.vault.create({
        account: ACME,
        provider: 'gmail',
        label: 'Copy me',
        secret: 'copycopycopycopy',
      }),
    );
    expect(unwrap(await t.api.vault.copy({ id: r.id }))).toEqual({ clearsInSeconds: 30 });
    expect(clipboard.value).toBe('copycopycopycopy');
    await clock.advance(29_000);
    expect(clipboard.value).toBe('copycopycopycopy');
    await clock.advance(1_000);
    expect(clipboard.value).toBe('');

    unwrap(await t.api.vault.copy({ id: r.id }));
    clipboard.value = 'something the user copied later';
    await clock.advance(30_000);
    expect(clipboard.value).toBe('something the user copied later');
    expect(auditFor(r.id).filter((e) => e.action === 'copy')).toHaveLength(2);
  });
});

describe('cameras', () => {
  it('keeps cameras per site and refuses a connector of another site at its field', async () => {
    const rec = unwrap(await t.api.vault.list()).find((r) => r.label === 'PTZ North Gate')!;
    const cam = unwrap(
      await t.api.cameras.create({
        siteId: siteA,
        name: 'North Gate PTZ',
        vendor: 'Hikvision',
        model: 'DS-2DE4425IW',
        host: '192.168.10.21',
        serial: 'AC:CC:8E:12:34:56',
        location: 'Gate 1',
        connectorId: connectorA,
        smtpLogin: ACME,
        appPasswordId: rec.id,
        recipients: ['ops@acme-sec.test'],
        subjectTemplate: '%Site_Name% – %Camera_Name% – %Event_Type%',
      }),
    );
    expect(cam.connectorId).toBe(connectorA);
    const bad = failure(
      await t.api.cameras.create({ siteId: siteA, name: 'Wrong connector', connectorId: connectorB }),
    );
    expect(bad).toMatchObject({ code: 'invalid-input', field: 'connectorId' });
    expect(failure(await t.api.cameras.create({ siteId: siteA, name: 'north gate ptz' }))).toMatchObject({
      field: 'name',
    });
    expect(
      failure(await t.api.cameras.create({ siteId: siteA, name: 'Other', serial: 'ac:cc:8e:12:34:56' })),
    ).toMatchObject({ field: 'serial' });
    expect(
      failure(await t.api.cameras.create({ siteId: siteA, name: 'Bad host', host: 'http://cam' })),
    ).toMatchObject({ field: 'host' });
    expect(unwrap(await t.api.sites.list()).find((s) => s.id === siteA)?.cameraCount).toBe(1);
  });

  it('bulk-edits the connector and recipients of selected cameras', async () => {
    const ids = [];
    for (const name of ['Dock 1', 'Dock 2', 'Dock 3'])
      ids.push(
        unwrap(await t.api.cameras.create({ siteId: siteB, name, recipients: ['old@borealis.test'] })).id,
      );
    expect(
      unwrap(
        await t.api.cameras.bulkUpdate({
          ids,
          connectorId: connectorB,
          recipients: ['night@borealis.test'],
          recipientsMode: 'add',
        }),
      ),
    ).toEqual({ updated: 3 });
    const after = unwrap(await t.api.cameras.list({ siteId: siteB }));
    expect(
      after.every(
        (c) =>
          c.connectorId === connectorB && c.recipients.join() === 'old@borealis.test,night@borealis.test',
      ),
    ).toBe(true);
    expect(failure(await t.api.cameras.bulkUpdate({ ids, connectorId: connectorA }))).toMatchObject({
      field: 'connectorId',
    });
    expect(failure(await t.api.cameras.bulkUpdate({ ids: [], recipients: [] }))).toMatchObject({
      field: 'ids',
    });
  });
});

describe('verification without sending', () => {
  it('verifies one record with the right password and marks a rejected active record suspected-revoked', async () => {
    const rec = unwrap(await t.api.vault.list()).find((r) => r.label === 'PTZ North Gate')!;
    accepted[ACME] = new Set([GOOD.one]);
    const ok = await runVerify({ scope: 'record', id: rec.id });
    expect(ok.report.outcomes[0]).toMatchObject({ ok: true, statusBefore: 'active', statusAfter: 'active' });
    expect(ok.progress.at(-1)).toMatchObject({ done: 1, total: 1 });
    expect(unwrap(await t.api.vault.list()).find((r) => r.id === rec.id)?.lastVerified).toMatchObject({
      ok: true,
    });
    expect(server.received).toHaveLength(0);

    accepted[ACME] = new Set();
    const bad = await runVerify({
      scope: 'camera',
      id: unwrap(await t.api.cameras.list({ siteId: siteA }))[0]!.id,
    });
    expect(bad.report.outcomes[0]).toMatchObject({
      ok: false,
      failureClass: 'auth-failed',
      statusBefore: 'active',
      statusAfter: 'suspected-revoked',
    });
    expect(bad.report.accountsRevoked).toEqual([]);
    const findings = unwrap(await t.api.vault.findings());
    expect(findings.find((f) => f.kind === 'suspected-revoked')?.recordIds).toContain(rec.id);
    expect(
      auditFor(rec.id)
        .filter((e) => e.action === 'verify')
        .map((e) => e.result),
    ).toEqual(['ok', 'failed']);

    accepted[ACME] = new Set([GOOD.one]);
    const back = await runVerify({ scope: 'record', id: rec.id });
    expect(back.report.outcomes[0]).toMatchObject({ ok: true, statusAfter: 'active' });
  });

  it('says so when every app password of one account is rejected together, and lists the cameras and sites affected', async () => {
    const account = 'alarms@quarry.test';
    const recs = [];
    for (const [i, secret] of [GOOD.one, GOOD.two, GOOD.three].entries()) {
      recs.push(
        unwrap(
          await t.api.vault.create({ account, provider: 'gmail', label: `Quarry cam ${i + 1}`, secret }),
        ),
      );
    }
    const siteOf = [siteA, siteA, siteB];
    for (const [i, r] of recs.entries()) {
      unwrap(
        await t.api.cameras.create({
          siteId: siteOf[i]!,
          name: `Quarry ${i + 1}`,
          connectorId: siteOf[i] === siteA ? connectorA : connectorB,
          smtpLogin: account,
          appPasswordId: r.id,
        }),
      );
    }
    accepted[account] = new Set([GOOD.one, GOOD.two, GOOD.three]);
    const healthy = await runVerify({ scope: 'all' });
    expect(healthy.report.accountsRevoked.filter((b) => b.account === account)).toEqual([]);

    // The account password was changed: Google revokes every app password of the account.
    accepted[account] = new Set();
    const { report } = await runVerify({ scope: 'all' });
    const blast = report.accountsRevoked.find((b) => b.account === account);
    expect(blast).toBeDefined();
    expect(blast!.recordIds.sort()).toEqual(recs.map((r) => r.id).sort());
    expect(blast!.cameras.map((c) => c.name).sort()).toEqual(['Quarry 1', 'Quarry 2', 'Quarry 3']);
    expect(blast!.sites.map((s) => s.name).sort()).toEqual(['North Depot', 'South Yard']);
    expect(blast!.message).toMatch(/All 3 app passwords of alarms@quarry\.test were rejected together/);
    expect(blast!.message).toMatch(/2-step verification/);
    expect(
      report.outcomes
        .filter((o) => o.account === account)
        .every((o) => o.statusAfter === 'suspected-revoked'),
    ).toBe(true);

    // Only one of the three rejected: no account-wide verdict.
    accepted[account] = new Set([GOOD.one, GOOD.two]);
    const partial = await runVerify({ scope: 'all' });
    expect(partial.report.accountsRevoked.find((b) => b.account === account)).toBeUndefined();
  });
});

describe('rotation', () => {
  it('verifies the new app password, retires the old record, moves its cameras, and audits each step', async () => {
    const old = unwrap(await t.api.vault.list()).find((r) => r.label === 'Quarry cam 3')!;
    accepted['alarms@quarry.test'] = new Set(['newnewnewnewnewa']);
    const refused = failure(await t.api.vault.rotate({ id: old.id, secret: 'wrongwrongwrongw' }));
    expect(refused).toMatchObject({ code: 'verify-failed', field: 'secret' });
    expect(unwrap(await t.api.vault.list()).find((r) => r.id === old.id)?.status).not.toBe('retired');

    const fresh = unwrap(
      await t.api.vault.rotate({
        id: old.id,
        secret: 'newn ewne wnew newa',
        label: 'Quarry cam 3 (2026-11)',
      }),
    );
    expect(fresh).toMatchObject({ status: 'active', replacesId: old.id, label: 'Quarry cam 3 (2026-11)' });
    expect(fresh.lastVerified).toMatchObject({ ok: true });
    const list = unwrap(await t.api.vault.list());
    expect(list.find((r) => r.id === old.id)).toMatchObject({
      status: 'retired',
      replacedById: fresh.id,
      hasSecret: true,
    });
    const quarry3 = unwrap(await t.api.cameras.list()).find((c) => c.name === 'Quarry 3')!;
    expect(quarry3.appPasswordId).toBe(fresh.id);
    expect(
      auditFor(old.id)
        .map((e) => [e.action, e.result])
        .slice(-2),
    ).toEqual([
      ['rotate', 'refused'],
      ['rotate', 'ok'],
    ]);
    expect(auditFor(quarry3.id).at(-1)?.detail).toMatch(/rotated/);
  });

  it('destroys the secret of a retired record after the retention period the user set', async () => {
    const retired = unwrap(await t.api.vault.list()).find((r) => r.status === 'retired')!;
    unwrap(await t.api.settings.update({ retiredSecretRetentionDays: 0 }));
    const after = unwrap(await t.api.vault.list()).find((r) => r.id === retired.id)!;
    expect(after).toMatchObject({ status: 'retired', hasSecret: false });
    expect(after.secretDestroyedAt).not.toBeNull();
    expect(failure(await t.api.vault.reveal({ id: retired.id }))).toMatchObject({ code: 'secret-destroyed' });
    expect(auditFor(retired.id).map((e) => e.action)).toContain('delete');
  });
});

describe('findings', () => {
  it('lists never verified, stale, cameras without a record, and Outlook.com / Office 365 accounts', async () => {
    unwrap(
      await t.api.vault.create({
        account: 'nvr@outlook.com',
        provider: 'outlook',
        label: 'Legacy NVR',
        secret: 'outlookoutlookou',
      }),
    );
    unwrap(
      await t.api.vault.create({
        account: 'alerts@contoso.test',
        provider: 'office365',
        label: 'M365',
        secret: 'officeofficeoffi',
      }),
    );
    unwrap(await t.api.settings.update({ verifyStaleDays: 30 }));
    await clock.advance(31 * 86_400_000);
    const kinds = new Map(unwrap(await t.api.vault.findings()).map((f) => [f.kind, f]));
    expect(kinds.get('never-verified')?.recordIds.length).toBeGreaterThan(0);
    expect(kinds.get('stale-verification')?.recordIds.length).toBeGreaterThan(0);
    expect(kinds.get('camera-without-record')?.cameraIds.length).toBe(3);
    expect(kinds.get('outlook-account')?.detail).toMatch(/September 2024/);
    expect(kinds.get('office365-account')?.detail).toMatch(/December 2026/);
  });
});

describe('the audit trail', () => {
  it('offers no call that can edit or delete an event', () => {
    expect(Object.keys(contract.audit).sort()).toEqual(['exportCsv', 'integrity', 'query']);
  });

  it('refuses to change or delete an event even with direct SQL', async () => {
    const page = unwrap(await t.api.audit.query({ limit: 5 }));
    expect(page.total).toBeGreaterThan(20);
    const seq = page.rows[0]!.seq;
    expect(() => t.core.db.prepare("UPDATE audit SET result = 'ok' WHERE seq = ?").run(seq)).toThrow(
      /append-only/,
    );
    expect(() => t.core.db.prepare('DELETE FROM audit WHERE seq = ?').run(seq)).toThrow(/append-only/);
    expect(unwrap(await t.api.audit.query({ limit: 5 })).total).toBe(page.total);
  });

  it('filters by action and record, and exports CSV without secrets', async () => {
    const reveals = unwrap(await t.api.audit.query({ filter: { action: 'reveal' } }));
    expect(reveals.rows.every((e) => e.action === 'reveal')).toBe(true);
    const out = unwrap(await t.api.audit.exportCsv({}));
    for (const secret of Object.values(GOOD)) expect(out.csv).not.toContain(secret);
    expect(out.csv).not.toContain('copycopycopycopy');
    expect(out.csv.split('\r\n')[0]).toMatch(/seq,time,user,action,record_type/);
  });
});
