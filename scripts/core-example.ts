// The core without Electron: `npm run example:core` (from anywhere in the repository).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCore } from '../electron/core/node.ts';

const dataDir = process.env.ALERTDESK_DATA_DIR ?? join(tmpdir(), 'alertdesk-example');
const core = await openCore({ dataDir, passphrase: 'a long passphrase' });
try {
  // Run it again and again: the site is created once, then found.
  const site =
    core.sites.list().find((s) => s.name === 'Harbour Terminal') ??
    core.sites.create({
      name: 'Harbour Terminal',
      customer: 'Portside Ltd',
      address: '',
      contact: '',
      notes: '',
      handover: 'commissioning',
    });
  console.log(`${site.name} (${site.customer}) in ${dataDir}`);
  // Every call the app makes is in core.handlers, e.g. await core.handlers.mail.sendTest({...})
  const { sites } = core.health.overview();
  for (const s of sites) console.log(`${s.name}: ${s.level} — ${s.reasons[0]?.short ?? ''}`);
} finally {
  await core.close();
}
