import Conf from 'conf';
import type { DocumentStore } from '../adapters.ts';
import { PRIVATE_FILE } from './data-folder.ts';

/**
 * Document store on `conf` (the library electron-store is built on), used by tests and scripts.
 * conf writes the whole file atomically on every change, so callers batch a change into one
 * `setMany`.
 */
export function createConfStore(dataDir: string): DocumentStore {
  const conf = new Conf<Record<string, unknown>>({
    cwd: dataDir,
    configName: 'alertdesk',
    projectName: 'alertdesk',
    clearInvalidConfig: false,
    configFileMode: PRIVATE_FILE,
  });
  return storeOnConf(conf);
}

/** Adapts any conf-compatible object (conf itself, or electron-store in the app). */
export function storeOnConf(conf: {
  path: string;
  get(key: string): unknown;
  set(entries: Record<string, unknown>): void;
}): DocumentStore {
  return {
    path: conf.path,
    get: (key) => conf.get(key),
    setMany: (entries) => conf.set(entries),
  };
}
