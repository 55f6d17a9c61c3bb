import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  README_SECTION,
  ROOT,
  downloadElectron,
  downloadFailedMessage,
  electronBinary,
} from '../../scripts/electron-binary.ts';

/** What a new user meets first: `npm install`, `npm start`, the README's snippets. */

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dirs: string[] = [];
const fakeElectron = (installJs: string): string => {
  const dir = mkdtempSync(join(tmpdir(), 'alertdesk-electron-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'electron', version: '45.4.1' }));
  writeFileSync(join(dir, 'install.js'), installJs);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('npm start where Electron cannot be downloaded', () => {
  it('finds no binary before the first start, and finds it once installed', () => {
    const dir = fakeElectron('');
    expect(electronBinary(dir)).toEqual({ missing: expect.stringContaining('downloaded from GitHub') });
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'path.txt'), 'electron');
    expect(electronBinary(dir)).toEqual({ missing: expect.stringContaining('is missing') });
    writeFileSync(join(dir, 'dist', 'electron'), '');
    expect(electronBinary(dir)).toEqual({ path: join(dir, 'dist', 'electron') });
  });

  it('says the download from GitHub failed, with its reason, what to do and where to read more; no stack trace', async () => {
    // Electron's installer as it fails without GitHub: a TypeError and its stack on stderr.
    const dir = fakeElectron(
      "console.error('TypeError: fetch failed\\n    at node:internal/deps/undici:13502:13\\n    at async downloadArtifact (x.js:1:1)'); process.exit(1);",
    );
    const result = await downloadElectron(dir);
    expect(result).toEqual({ ok: false, reason: 'TypeError: fetch failed' });
    const message = downloadFailedMessage('45.4.1', 'TypeError: fetch failed');
    expect(message).toContain(
      "downloading Electron 45.4.1's binary from GitHub failed (TypeError: fetch failed)",
    );
    expect(message).toContain('What to do:');
    expect(message).toContain(README_SECTION);
    expect(message).not.toMatch(/^\s+at /m);
    expect(message).not.toContain('delete `node_modules/electron`');
  });

  it('points at a README section that exists', () => {
    const title = /“(.+)”/.exec(README_SECTION)![1]!;
    expect(README).toContain(`### ${title}`);
  });
});

describe('npm install on the Node the README names', () => {
  it('satisfies the engines of this package and of every locked dependency (no EBADENGINE)', () => {
    const major = /Node\.js (\d+)/.exec(README)![1]!;
    const require = createRequire(import.meta.url);
    const semver = require('semver') as { satisfies(v: string, range: string): boolean };
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { engines?: { node?: string } | string[] }>;
    };
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    const unmet = Object.entries(lock.packages)
      .map(([path, p]) => [path || '(this package)', Array.isArray(p.engines) ? undefined : p.engines?.node])
      .filter(([, range]) => range && !semver.satisfies(`${major}.0.0`, range));
    expect(unmet).toEqual([]);
    expect(semver.satisfies(`${major}.0.0`, pkg.engines.node)).toBe(true);
    expect(semver.satisfies(`${Number(major) - 1}.99.0`, pkg.engines.node)).toBe(false);
  });
});

describe('the core without Electron, as the README shows it', () => {
  const run = promisify(execFile);
  it('is the example script, word for word', () => {
    const script = readFileSync(join(ROOT, 'scripts', 'core-example.ts'), 'utf8').trim();
    expect(README).toContain(`\`\`\`ts\n${script}\n\`\`\``);
  });

  it('runs as written from a folder inside the repository and from outside it, and again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'alertdesk-example-'));
    dirs.push(dataDir);
    const env = { ...process.env, ALERTDESK_DATA_DIR: dataDir };
    const inside = await run('npm', ['run', 'example:core'], { cwd: join(ROOT, 'test'), env });
    expect(inside.stdout).toContain(`Harbour Terminal (Portside Ltd) in ${dataDir}`);
    const again = await run('npm', ['--prefix', ROOT, 'run', 'example:core'], { cwd: tmpdir(), env });
    // Found, not created twice: one site, and no "already exists".
    expect(again.stdout.match(/^Harbour Terminal: /gm)).toHaveLength(1);
    expect(again.stderr).not.toMatch(/already exists|Error/);
  }, 60_000);
});
