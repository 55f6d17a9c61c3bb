import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Every file below `folder`, at any depth (to search a data folder for what must not be in it). */
export async function filesUnder(folder: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(folder)) {
    const path = join(folder, name);
    if ((await stat(path)).isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}
