import type { Handlers } from '../../../shared/contract.ts';
import type { CoreContext } from '../context.ts';
import type { AuditAction } from '../history/audit.ts';

/** The `bench` calls: the bench inbox started, stopped and configured from the app (audited), and what it received. */
export function benchHandlers({ bench, audit }: Pick<CoreContext, 'bench' | 'audit'>): Handlers['bench'] {
  const record = (action: AuditAction, detail: string, result: 'ok' | 'failed' = 'ok') =>
    audit.record({ action, recordType: 'inventory', recordLabel: 'bench inbox', detail, result });
  return {
    status: () => bench.status(),
    configure: async (input) => {
      const status = await bench.configure(input);
      record(
        'update',
        Object.entries(input)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(', '),
      );
      return status;
    },
    start: async () => {
      const s = bench.config.settings;
      const where = `port ${s.port}, ${s.security}, ${s.authMode === 'any' ? 'any login' : 'camera logins'}`;
      try {
        const status = await bench.start();
        record('start', where);
        return status;
      } catch (error) {
        record('start', `${where}: ${error instanceof Error ? error.message : String(error)}`, 'failed');
        throw error;
      }
    },
    stop: async () => {
      const status = await bench.stop();
      record('stop', 'stopped from the app');
      return status;
    },
    renewCertificate: async () => {
      const status = await bench.renewCertificate();
      record('update', `new certificate ${status.certificate?.fingerprint256 ?? ''}`);
      return status;
    },
    messages: (q) => bench.messages(q),
    snapshot: ({ id, index }) => bench.snapshot(id, index),
    log: () => bench.recentLog(),
    clear: () => {
      const out = bench.clear();
      record('delete', `${out.removed} message(s) cleared`);
      return out;
    },
  };
}
