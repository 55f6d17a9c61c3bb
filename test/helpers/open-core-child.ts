/**
 * A second program on a data folder, for the lock tests: opens a core on argv[2] and says so on
 * stdout as one JSON line ({"opened":true} or {"opened":false,"code","message"}), then, when told
 * `hold`, keeps it open until its stdin closes (or it is killed).
 */
import { openCore } from '../../electron/core/node.ts';
import { TEST_PASSPHRASE } from './core.ts';

const [dir, mode = 'try'] = process.argv.slice(2);
try {
  const core = await openCore({ dataDir: dir!, passphrase: TEST_PASSPHRASE, osUser: `child-${process.pid}` });
  let siteId: string | null = null;
  if (mode === 'hold-and-write')
    siteId = core.sites.create({
      name: `Site of ${process.pid}`,
      customer: '',
      address: '',
      contact: '',
      notes: '',
      handover: 'commissioning',
    }).id;
  process.stdout.write(`${JSON.stringify({ opened: true, siteId })}\n`);
  if (mode === 'try') {
    await core.close();
  } else {
    await new Promise((resolve) => process.stdin.on('close', resolve).resume());
    await core.close();
  }
} catch (error) {
  const e = error as { code?: string; message?: string };
  process.stdout.write(
    `${JSON.stringify({ opened: false, code: e.code ?? null, message: e.message ?? String(error) })}\n`,
  );
}
