import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { AppError } from '../../../shared/result.ts';

/**
 * The data folder belongs to one opener at a time and to its owner only. Two cores writing one
 * folder each keep their own copy of the inventory in memory and overwrite the other's changes
 * (and on a fresh folder each creates its own key, so secrets become unreadable); files readable by
 * other users would hand them the sealed secrets to attack offline.
 */

export const LOCK_FILE = 'alertdesk.lock';
const HOLDER_FILE = 'alertdesk.lock-holder.json';

/** Mode of every folder AlertDesk creates: the owner only. */
export const PRIVATE_DIR = 0o700;
/** Mode of every file AlertDesk creates: the owner only. */
export const PRIVATE_FILE = 0o600;

export interface DataFolderLock {
  readonly dataDir: string;
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  program: string;
  since: string;
}

/**
 * Takes the data folder's exclusive lock, or refuses with `data-folder-in-use`. The lock is an
 * operating-system file lock (SQLite's, on `alertdesk.lock`): the OS drops it when the holder
 * exits in any way, SIGKILL included, so a crash never leaves a folder locked. Node's own fs calls
 * must never open that file: closing any descriptor of it would drop a POSIX lock.
 */
export function lockDataFolder(dataDir: string, program: string): DataFolderLock {
  makePrivateDir(dataDir);
  const file = join(dataDir, LOCK_FILE);
  const db = new DatabaseSync(file);
  try {
    // No waiting: a second opener is told at once. EXCLUSIVE blocks other connections, in this
    // process too, for as long as the transaction is open — which is until release().
    db.exec('PRAGMA busy_timeout = 0; BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if (/locked|busy/i.test(String(error))) throw folderInUse(dataDir, readHolder(dataDir));
    throw error;
  }
  chmodSync(file, PRIVATE_FILE);
  const holder: Holder = {
    pid: process.pid,
    host: hostname(),
    program,
    since: new Date().toISOString(),
  };
  writePrivateFile(join(dataDir, HOLDER_FILE), JSON.stringify(holder));
  let held = true;
  return {
    dataDir,
    release() {
      if (!held) return;
      held = false;
      rmSync(join(dataDir, HOLDER_FILE), { force: true });
      db.close();
    },
  };
}

function readHolder(dataDir: string): Holder | null {
  try {
    return JSON.parse(readFileSync(join(dataDir, HOLDER_FILE), 'utf8')) as Holder;
  } catch {
    return null;
  }
}

export function folderInUse(dataDir: string, holder: Holder | null): AppError {
  const who = holder
    ? ` by ${holder.program} (process ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}, since ${holder.since.slice(0, 16).replace('T', ' ')} UTC)`
    : '';
  return new AppError(
    'data-folder-in-use',
    `The data folder ${dataDir} is already open${who}. Close that AlertDesk window or script first, then try again: two programs writing one data folder would overwrite each other's changes.`,
  );
}

/** Creates a folder (and its parents) for the owner only, and tightens one that exists. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  tighten(dir, PRIVATE_DIR);
}

/** Writes a whole file readable by its owner only. */
export function writePrivateFile(file: string, data: string): void {
  writeFileSync(file, data, { mode: PRIVATE_FILE });
  tighten(file, PRIVATE_FILE);
}

/**
 * Removes the bits a mode does not allow (group and others) from a file or folder that exists.
 * Data folders made by earlier versions were 0644/0755.
 */
export function tighten(path: string, mode: number): void {
  if (process.platform === 'win32') return; // ACLs there: the user profile is private already
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat && (stat.mode & 0o777 & ~mode) !== 0) chmodSync(path, stat.mode & 0o777 & mode);
}

/** Tightens every file directly in the folder (the store, the history and its log, the key file). */
export function tightenFolder(dir: string): void {
  tighten(dir, PRIVATE_DIR);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) tighten(join(dir, entry.name), PRIVATE_FILE);
  }
}

/**
 * Deletes temporary files an atomic write left behind when the process was killed between writing
 * the copy and renaming it over the store (`alertdesk.json.tmp-<time><random>`). Only with the lock
 * held: then no write of ours is in progress.
 */
export function removeStaleTempFiles(storePath: string): string[] {
  const dir = dirname(storePath);
  const pattern = new RegExp(`^${escapeRegExp(basename(storePath))}\\.tmp-[0-9a-f]+$`);
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (pattern.test(name)) {
      rmSync(join(dir, name), { force: true });
      removed.push(name);
    }
  }
  return removed;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
