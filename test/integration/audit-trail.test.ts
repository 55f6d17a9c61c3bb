import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { openHistory } from '../../electron/core/history/db.ts';
import { startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { gmailRecord } from '../helpers/fixtures.ts';

/** The audit trail: every audited change lands with its event, and an edit outside AlertDesk shows. */

const CHILD = new URL('../helpers/audit-child.ts', import.meta.url).pathname;
const dirs: string[] = [];
let open: TestCore[] = [];

async function fresh(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'alertdesk-audit-'));
  dirs.push(dir);
  return dir;
}

async function core(dir: string): Promise<TestCore> {
  const t = await startTestCore({ dataDir: dir });
  open.push(t);
  return t;
}

async function killedChild(dir: string, mode: 'busy' | 'between', count = 1): Promise<void> {
  const child = spawn(process.execPath, [CHILD, dir, mode, String(count)], { stdio: 'inherit' });
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  expect(signal ?? code).toBe('SIGKILL');
}

const siteEvents = (t: TestCore) =>
  (
    t.core.db
      .prepare("SELECT record_id FROM audit WHERE record_type = 'site' AND action = 'create'")
      .all() as Array<{ record_id: string }>
  ).map((r) => r.record_id);

/** What another program could do to the history file while AlertDesk is closed. */
function tamper(dir: string, sql: string): void {
  const db = new DatabaseSync(join(dir, 'history.sqlite'));
  db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
  db.exec(sql);
  db.close();
}

afterEach(async () => {
  for (const t of open) await t.core.close().catch(() => undefined);
  open = [];
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('an audited change and its event', () => {
  it('both survive a kill straight after a busy loop of changes (no commit timer ever ran)', async () => {
    const dir = await fresh();
    await killedChild(dir, 'busy', 300);
    const t = await core(dir);
    const sites = t.core.sites.list().map((s) => s.id);
    expect(sites).toHaveLength(300);
    expect(siteEvents(t).sort()).toEqual([...sites].sort());
  });

  it('land together when the process dies between the store write and the audit write', async () => {
    const dir = await fresh();
    await killedChild(dir, 'between');
    const t = await core(dir);
    const sites = t.core.sites.list();
    expect(sites).toHaveLength(1);
    // The event travelled in the store's outbox and was written at this opening, once.
    expect(siteEvents(t)).toEqual([sites[0]!.id]);
    await t.core.close();
    open = [];
    const again = await core(dir);
    expect(siteEvents(again)).toEqual([sites[0]!.id]);
    expect((await again.core.audit.verify()).state).toBe('intact');
  });
});

describe('the audit chain', () => {
  /** A folder with some history, closed: as AlertDesk leaves it. */
  async function withHistory(): Promise<{ dir: string; seqs: number[] }> {
    const dir = await fresh();
    const t = await startTestCore({ dataDir: dir });
    for (const name of ['North Gate', 'Quay 2', 'Depot']) unwrap(await t.api.sites.create({ name }));
    const record = unwrap(await t.api.vault.create(gmailRecord('cam1@example.test')));
    unwrap(await t.api.vault.reveal({ id: record.id }));
    const seqs = (
      t.core.db.prepare('SELECT seq FROM audit ORDER BY seq').all() as Array<{ seq: number }>
    ).map((r) => r.seq);
    expect((await t.core.audit.verify()).state).toBe('intact');
    await t.core.close();
    return { dir, seqs };
  }

  it('checks out when nobody touched it, and says so', async () => {
    const { dir, seqs } = await withHistory();
    const t = await core(dir);
    const integrity = unwrap(await t.api.audit.integrity());
    expect(integrity).toMatchObject({ state: 'intact', firstBadSeq: null, badSeqs: [] });
    expect(integrity.checked).toBeGreaterThanOrEqual(seqs.length);
    expect(unwrap(await t.api.vault.findings()).some((f) => f.kind === 'audit-log-broken')).toBe(false);
  });

  it('shows an edited event as a finding with the first bad event, and marks it in the export', async () => {
    const { dir, seqs } = await withHistory();
    const victim = seqs.at(-1)!; // the reveal
    tamper(dir, `UPDATE audit SET detail = 'nothing to see', action = 'update' WHERE seq = ${victim}`);
    const t = await core(dir);
    await t.core.audit.verify();
    const finding = unwrap(await t.api.vault.findings()).find((f) => f.kind === 'audit-log-broken');
    expect(finding).toMatchObject({ severity: 'critical', auditSeq: victim });
    expect(finding!.title).toContain(`#${victim}`);
    const exported = unwrap(await t.api.audit.exportCsv({}));
    expect(exported.integrity).toMatchObject({ state: 'broken', firstBadSeq: victim, badSeqs: [victim] });
    const line = exported.csv.split('\r\n').find((l) => l.startsWith(`${victim},`));
    expect(line).toMatch(/CHANGED OUTSIDE ALERTDESK/);
    expect(exported.csv.split('\r\n').find((l) => l.startsWith(`${seqs[0]},`))).toMatch(/,ok$/);
  });

  it('shows a removed event in the middle', async () => {
    const { dir, seqs } = await withHistory();
    tamper(dir, `DELETE FROM audit WHERE seq = ${seqs[2]}`);
    const t = await core(dir);
    const integrity = unwrap(await t.api.audit.integrity());
    expect(integrity).toMatchObject({ state: 'broken', firstBadSeq: seqs[3] });
    expect(integrity.message).toMatch(new RegExp(`event #${seqs[2]} was removed`, 'i'));
  });

  it('shows events cut off the end of the log', async () => {
    const { dir, seqs } = await withHistory();
    tamper(dir, `DELETE FROM audit WHERE seq >= ${seqs.at(-2)}`);
    const t = await core(dir);
    const integrity = unwrap(await t.api.audit.integrity());
    expect(integrity.state).toBe('broken');
    expect(integrity.message).toMatch(new RegExp(`events up to #${seqs.at(-1)} were written`, 'i'));
    // New events move the head on; the cut stays on record.
    unwrap(await t.api.sites.create({ name: 'After the cut' }));
    await t.core.close();
    open = [];
    const again = await core(dir);
    expect(unwrap(await again.api.audit.integrity())).toMatchObject({
      state: 'broken',
      firstBadSeq: seqs.at(-2),
    });
  });

  it('shows an event added by hand, with or without a made-up MAC', async () => {
    const { dir, seqs } = await withHistory();
    const next = seqs.at(-1)! + 1;
    tamper(
      dir,
      `INSERT INTO audit (seq, at, os_user, action, record_type, record_label, result, detail, event_id, mac)
       VALUES (${next}, 0, 'someone', 'delete', 'site', 'x', 'ok', '', 'forged', randomblob(32))`,
    );
    const t = await core(dir);
    expect(unwrap(await t.api.audit.integrity())).toMatchObject({ state: 'broken', firstBadSeq: next });
  });

  it('shows the record of its last event removed', async () => {
    const { dir } = await withHistory();
    await unlink(join(dir, 'audit-head.json'));
    const t = await core(dir);
    expect(unwrap(await t.api.audit.integrity()).message).toMatch(/audit-head\.json\) was removed/);
  });

  it('covers events from the keyring on; older ones are counted as written before protection', async () => {
    const dir = await fresh();
    // A history written before this version: events without MACs.
    const db = openHistory(join(dir, 'history.sqlite'));
    for (let i = 0; i < 3; i++)
      db.prepare(
        "INSERT INTO audit (at, os_user, action, record_type, record_label, result, detail) VALUES (?, 'old', 'create', 'site', ?, 'ok', '')",
      ).run(Date.now(), `Old ${i}`);
    db.close();
    const t = await core(dir);
    const integrity = unwrap(await t.api.audit.integrity());
    expect(integrity).toMatchObject({ state: 'intact', protectedFrom: 4 });
    const started = t.core.db
      .prepare("SELECT detail FROM audit WHERE record_type = 'audit' AND action = 'create'")
      .get() as {
      detail: string;
    };
    expect(started.detail).toMatch(/from #4 on are chained/);
  });
});
