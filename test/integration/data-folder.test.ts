import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { openHistory } from '../../electron/core/history/db.ts';
import { openCore } from '../../electron/core/node.ts';
import { startTestCore, TEST_PASSPHRASE, unwrap } from '../helpers/core.ts';
import { gmailRecord } from '../helpers/fixtures.ts';

/** One data folder, one opener: the app and a script on the same folder must not both write. */

const CHILD = new URL('../helpers/open-core-child.ts', import.meta.url).pathname;
const dirs: string[] = [];
const children: Array<ReturnType<typeof spawn>> = [];

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'alertdesk-folder-'));
  dirs.push(dir);
  return dir;
}

interface ChildAnswer {
  opened: boolean;
  code?: string | null;
  message?: string;
  siteId?: string | null;
}

/** Starts a program opening a core on the folder; resolves with its first answer. */
function openInChild(dir: string, mode: 'try' | 'hold' | 'hold-and-write') {
  const child = spawn(process.execPath, [CHILD, dir, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  const answer = new Promise<ChildAnswer>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as ChildAnswer));
    child.once('exit', (code) => reject(new Error(`child exited (${code}) without an answer`)));
  });
  return { child, answer };
}

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('the data folder lock', () => {
  it('refuses a second core on an open folder, in this process and in another, saying which program holds it', async () => {
    const t = await startTestCore({ dataDir: await freshDir() });
    try {
      const here = await openCore({ dataDir: t.dir, passphrase: TEST_PASSPHRASE }).then(
        () => null,
        (e: { code?: string; message: string }) => e,
      );
      expect(here).toMatchObject({ code: 'data-folder-in-use' });
      expect(here!.message).toContain(t.dir);
      expect(here!.message).toMatch(
        /already open by a script on the AlertDesk core \(openCore\) \(process \d+/,
      );
      expect(here!.message).toMatch(/Close that AlertDesk window or script first/);

      const other = await openInChild(t.dir, 'try').answer;
      expect(other).toMatchObject({ opened: false, code: 'data-folder-in-use' });
      expect(other.message).toContain(`process ${process.pid}`);
      // The refused openers changed nothing: the first core still works.
      unwrap(await t.api.sites.create({ name: 'Still mine' }));
    } finally {
      await t.core.close();
    }
    expect(await openInChild(t.dir, 'try').answer).toMatchObject({ opened: true });
  });

  it('is released when its holder is killed: nothing stale is left to clear by hand', async () => {
    const dir = await freshDir();
    const holder = openInChild(dir, 'hold');
    expect(await holder.answer).toMatchObject({ opened: true });
    expect(await openInChild(dir, 'try').answer).toMatchObject({ opened: false, code: 'data-folder-in-use' });
    holder.child.kill('SIGKILL');
    await once(holder.child, 'exit');
    const core = await openCore({ dataDir: dir, passphrase: TEST_PASSPHRASE });
    await core.close();
  });

  it('lets exactly one of two programs opening a fresh folder at once in, with one key for all its secrets', async () => {
    for (let round = 0; round < 2; round++) {
      const dir = await freshDir();
      const a = openInChild(dir, 'hold-and-write');
      const b = openInChild(dir, 'hold-and-write');
      const answers = await Promise.all([a.answer, b.answer]);
      expect(answers.filter((x) => x.opened)).toHaveLength(1);
      expect(answers.filter((x) => !x.opened)).toEqual([
        expect.objectContaining({ code: 'data-folder-in-use' }),
      ]);
      for (const c of [a.child, b.child]) c.stdin!.end();
      await Promise.all([a.child, b.child].map((c) => (c.exitCode === null ? once(c, 'exit') : null)));
      // The winner's site is there, and a secret saved now opens again after a reopen.
      const t = await startTestCore({ dataDir: dir });
      try {
        expect(t.core.sites.list().map((s) => s.id)).toEqual([answers.find((x) => x.opened)!.siteId]);
        const record = unwrap(await t.api.vault.create(gmailRecord()));
        await t.core.close();
        const again = await openCore({ dataDir: dir, passphrase: TEST_PASSPHRASE });
        expect(await again.vault.openSecret(record.id)).toBe('abcdefghijklmnop');
        await again.close();
      } finally {
        await t.core.close().catch(() => undefined);
      }
      expect((await readdir(dir)).filter((n) => n.includes('key'))).toEqual(['passphrase-key.json']);
    }
  });
});

describe('migrations', () => {
  it('wait for another connection migrating the same history and do not repeat its work', async () => {
    const file = join(await freshDir(), 'history.sqlite');
    // Another opener: in the middle of migrating (its transaction open) when this one starts.
    const other = new Worker(
      `const { DatabaseSync } = require('node:sqlite');
       const { workerData, parentPort } = require('node:worker_threads');
       const db = new DatabaseSync(workerData.file);
       db.exec('PRAGMA journal_mode = WAL; BEGIN IMMEDIATE; CREATE TABLE deliveries (id TEXT); PRAGMA user_version = 1000;');
       parentPort.postMessage('migrating');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
       db.exec('COMMIT');
       db.close();`,
      { eval: true, workerData: { file } },
    );
    const [message] = (await once(other, 'message')) as [string];
    expect(message).toBe('migrating');
    const db = openHistory(file);
    try {
      expect((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(1000);
    } finally {
      db.close();
      await once(other, 'exit');
    }
  });
});

describe('files of the data folder', () => {
  const privateOnly = async (path: string) => ((await stat(path)).mode & 0o077) === 0;

  it.skipIf(process.platform === 'win32')(
    'are created readable by their owner only, and an older folder is tightened at opening',
    async () => {
      const dir = join(await freshDir(), 'data');
      // As an earlier version left it: world-readable folder and store.
      await mkdir(dir, { mode: 0o755 });
      await chmod(dir, 0o755);
      await writeFile(join(dir, 'alertdesk.json'), '{}', { mode: 0o644 });
      await chmod(join(dir, 'alertdesk.json'), 0o644);
      const t = await startTestCore({ dataDir: dir });
      try {
        unwrap(await t.api.sites.create({ name: 'Harbour' }));
        unwrap(await t.api.vault.create(gmailRecord('a@example.test')));
        expect(await privateOnly(dir)).toBe(true);
        for (const name of await readdir(dir)) {
          expect(await privateOnly(join(dir, name)), `${name} is private`).toBe(true);
        }
      } finally {
        await t.close();
      }
    },
  );

  it('loses the temporary copies a killed store write left behind', async () => {
    const dir = await freshDir();
    const first = await startTestCore({ dataDir: dir });
    unwrap(await first.api.sites.create({ name: 'Kept' }));
    await first.core.close();
    // What atomically's writeFileSync leaves when killed between the write and the rename.
    const leftovers = ['alertdesk.json.tmp-1764510000123abc123', 'alertdesk.json.tmp-1764510000456fedcba'];
    for (const name of leftovers) await writeFile(join(dir, name), '{"half":');
    await writeFile(join(dir, 'notes.tmp-keep-me'), 'not ours');
    const t = await startTestCore({ dataDir: dir });
    try {
      const names = await readdir(dir);
      for (const name of leftovers) expect(names).not.toContain(name);
      expect(names).toContain('notes.tmp-keep-me');
      expect(t.core.sites.list().map((s) => s.name)).toEqual(['Kept']);
    } finally {
      await t.core.close();
    }
  });
});
