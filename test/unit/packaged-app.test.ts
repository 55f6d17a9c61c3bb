import { FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire } from '@electron/fuses';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileLogger } from '../../electron/adapters/file-logger.ts';
import { devSwitches } from '../../electron/dev-switches.ts';
import { APP_ORIGIN, isTrustedUrl, mayOpenExternally, originOf } from '../../electron/ipc/origin.ts';
import afterPack, { FUSES } from '../../scripts/after-pack.mjs';

/** The Electron-facing rules, kept in plain functions so they can be proven here without a window. */

describe('which pages count as the app (navigation, redirects, IPC callers)', () => {
  const allowed = [APP_ORIGIN, 'http://localhost:5173'];
  it.each([
    ['alertdesk://app/index.html', true],
    ['alertdesk://app/#/vault', true],
    ['http://localhost:5173/src/main.tsx', true],
    // Prefix look-alikes that a startsWith() check let through:
    ['alertdesk://app.evil/index.html', false],
    ['alertdesk://appx/', false],
    ['alertdesk://app@evil/', false],
    ['alertdesk://app:443/', false],
    ['http://localhost:5173.evil.test/', false],
    ['http://localhost:51730/', false],
    ['https://localhost:5173/', false],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['not a url', false],
  ])('%s → %s', (url, trusted) => {
    expect(isTrustedUrl(url, allowed)).toBe(trusted);
  });

  it('compares whole origins, custom scheme included', () => {
    expect(originOf('alertdesk://app/a/b?c')).toBe('alertdesk://app');
    expect(originOf('about:blank')).toBeNull();
  });
});

describe('links opened in the browser', () => {
  it.each([
    ['https://myaccount.google.com/apppasswords', true],
    ['https://myaccount.google.com.evil.test/apppasswords', false],
    ['https://evil.test/?to=https://myaccount.google.com', false],
    ['http://myaccount.google.com/apppasswords', false],
    ['https://user@myaccount.google.com/', true],
    ['javascript:alert(1)', false],
    ['file:///C:/Windows/System32/calc.exe', false],
    ['smb://attacker/share', false],
  ])('%s → %s', (url, allowed) => {
    expect(mayOpenExternally(url)).toBe(allowed);
  });

  it('takes its origins from one list', () => {
    expect(mayOpenExternally('https://login.example.test/x', ['https://login.example.test'])).toBe(true);
    expect(mayOpenExternally('https://login.example.test/x', [])).toBe(false);
  });
});

describe('development switches', () => {
  it('ignores ALERTDESK_DEV_URL in a packaged app and says it did', () => {
    expect(devSwitches({ ALERTDESK_DEV_URL: 'http://localhost:5173' }, true)).toEqual({
      devUrl: null,
      dataDir: null,
      ignored: ['ALERTDESK_DEV_URL'],
    });
  });

  it('honours a loopback dev server in development only', () => {
    expect(devSwitches({ ALERTDESK_DEV_URL: 'http://localhost:5173' }, false).devUrl).toBe(
      'http://localhost:5173/',
    );
    expect(devSwitches({ ALERTDESK_DEV_URL: 'http://evil.test:5173' }, false)).toMatchObject({
      devUrl: null,
      ignored: ['ALERTDESK_DEV_URL'],
    });
  });

  it('keeps the data folder switch, which only chooses a folder of the user', () => {
    expect(devSwitches({ ALERTDESK_DATA_DIR: '/tmp/x' }, true).dataDir).toBe('/tmp/x');
  });
});

describe('Electron fuses of the packaged app', () => {
  let dir: string | null = null;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = null;
  });

  it('switches off RunAsNode, NODE_OPTIONS and --inspect, and loads only an integrity-checked app.asar', () => {
    expect(FUSES).toMatchObject({
      version: FuseVersion.V1,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
    });
  });

  it('flips them in a binary carrying the fuse wire, as @electron/fuses reads it back', async () => {
    // A stand-in for the Electron binary: the sentinel, wire version 1, eight fuses all "on".
    dir = await mkdtemp(join(tmpdir(), 'alertdesk-fuses-'));
    const binary = join(dir, 'AlertDesk');
    await writeFile(
      binary,
      Buffer.concat([
        Buffer.from('padding before '),
        Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'),
        Buffer.from([1, 8]),
        Buffer.from('11111111'),
        Buffer.from(' padding after'),
      ]),
    );
    // What electron-builder's packager does with the hook's config.
    await afterPack({
      packager: {
        addElectronFuses: (_context, fuses) =>
          flipFuses(binary, { ...fuses, resetAdHocDarwinSignature: false }),
      },
    });
    const wire = await getCurrentFuseWire(binary);
    const on = '1'.charCodeAt(0);
    const off = '0'.charCodeAt(0);
    expect(wire[FuseV1Options.RunAsNode]).toBe(off);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(off);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(off);
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(off);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(on);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(on);
  });

  it('is the afterPack hook of the packaging config', async () => {
    const yml = await readFile(new URL('../../electron-builder.yml', import.meta.url), 'utf8');
    expect(yml).toMatch(/^afterPack: \.\/scripts\/after-pack\.mjs$/m);
  });
});

describe('the log file', () => {
  let dir: string | null = null;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = null;
  });

  it('rotates at its size limit, keeping one older file, both readable by the owner only', async () => {
    dir = await mkdtemp(join(tmpdir(), 'alertdesk-log-'));
    const log = fileLogger(dir, 4096);
    for (let i = 0; i < 200; i++)
      log.info('delivery finished', { id: i, status: 'sent', filler: 'x'.repeat(40) });
    const files = (await readdir(join(dir, 'logs'))).sort();
    expect(files).toEqual(['alertdesk.log', 'alertdesk.old.log']);
    for (const name of files) {
      const info = await stat(join(dir, 'logs', name));
      expect(info.size).toBeLessThanOrEqual(4096 + 200);
      if (process.platform !== 'win32') expect(info.mode & 0o077).toBe(0);
    }
    const current = await readFile(join(dir, 'logs', 'alertdesk.log'), 'utf8');
    expect(current).toMatch(/info delivery finished \{"id":199,"status":"sent"/);
    if (process.platform !== 'win32') expect((await stat(join(dir, 'logs'))).mode & 0o077).toBe(0);
  });
});
