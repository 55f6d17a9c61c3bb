import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Electron's npm package holds no app binary: Electron 45 fetches it from GitHub the first time it
 * is started (node_modules/electron/install.js, into node_modules/electron/dist). These helpers
 * find it without triggering that download (requiring 'electron' would), and fetch it with a plain
 * explanation when that fails, instead of Electron's "fetch failed" and a stack trace.
 */

export const ROOT = join(import.meta.dirname, '..');
export const ELECTRON_DIR = join(ROOT, 'node_modules', 'electron');
/** Where the README explains what to do without GitHub. */
export const README_SECTION = "README.md → “Electron's binary (the app window)”";

export type BinaryState = { path: string } | { missing: string };

/** The Electron binary's path, or why it is not there. */
export function electronBinary(dir = ELECTRON_DIR): BinaryState {
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile))
    return { missing: 'no Electron binary is installed yet (it is downloaded from GitHub on first start)' };
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { path: binary } : { missing: `the Electron binary ${binary} is missing` };
}

export function electronVersion(dir = ELECTRON_DIR): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Runs Electron's own installer and waits for it. Its error output is kept: on failure the first
 * line of it ("TypeError: fetch failed", "getaddrinfo ENOTFOUND github.com"…) is the reason.
 */
export function downloadElectron(
  dir = ELECTRON_DIR,
  node = process.execPath,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const child = spawn(node, [join(dir, 'install.js')], { stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => resolve({ ok: false, reason: error.message }));
    child.on('close', (code) => {
      if (code === 0) resolve({ ok: true });
      else
        resolve({
          ok: false,
          reason:
            stderr
              .split('\n')
              .map((l) => l.trim())
              .find((l) => l !== '' && !l.startsWith('at ')) ?? `the installer exited with code ${code}`,
        });
    });
  });
}

/** What `npm start` says when the download failed: what failed, what to do, where to read more. */
export function downloadFailedMessage(version: string, reason: string): string {
  return [
    '',
    `AlertDesk cannot open its window: downloading Electron ${version}'s binary from GitHub failed (${reason}).`,
    '',
    'What to do:',
    '  • Check that this computer can reach github.com, then run `npm start` again.',
    '  • Behind a proxy: ELECTRON_GET_USE_PROXY=1 HTTPS_PROXY=http://proxy:port npm start',
    '  • With a mirror of Electron releases: ELECTRON_MIRROR=https://your-mirror/electron/ npm start',
    '  • Everything but the window works without it: `npm test`, and the core from your own scripts.',
    '',
    `More: ${README_SECTION}.`,
    '',
  ].join('\n');
}
