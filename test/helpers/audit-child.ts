/**
 * Dies at the worst moment for the audit trail, for audit-trail.test.ts: opens a core on argv[2],
 * makes audited changes, and is SIGKILLed — `busy`: after a synchronous loop of changes (no turn of
 * the event loop in between); `between`: right after a change reached the store, before its event
 * reached the audit log.
 */
import { openCore } from '../../electron/core/node.ts';
import { TEST_PASSPHRASE } from './core.ts';

const [dir, mode, count = '1'] = process.argv.slice(2);
const core = await openCore({ dataDir: dir!, passphrase: TEST_PASSPHRASE, osUser: 'child' });
const kill = () => process.kill(process.pid, 'SIGKILL');
const site = (i: number) => ({
  name: `Site ${i}`,
  customer: '',
  address: '',
  contact: '',
  notes: '',
  handover: 'commissioning' as const,
});
if (mode === 'between') {
  (core.audit as unknown as { append: () => void }).append = kill;
  core.sites.create(site(0));
  kill();
} else {
  for (let i = 0; i < Number(count); i++) core.sites.create(site(i));
  kill();
}
