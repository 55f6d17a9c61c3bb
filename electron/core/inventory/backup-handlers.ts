import type { Handlers } from '../../../shared/contract.ts';
import type { CoreContext } from '../context.ts';
import { exportBackup, importBackup, type BackupDeps } from './backup.ts';

/** The `backup` calls: the whole inventory, secrets included, under a passphrase. */
export function backupHandlers(
  ctx: Pick<CoreContext, 'inventory' | 'options' | 'vault' | 'audit' | 'now'>,
): Handlers['backup'] {
  const deps: BackupDeps = {
    inventory: ctx.inventory,
    secrets: ctx.options.secrets,
    records: ctx.vault,
    audit: ctx.audit,
    now: ctx.now,
    appVersion: ctx.options.appVersion,
  };
  return {
    export: ({ passphrase }) => exportBackup(deps, passphrase),
    import: ({ content, passphrase }) => importBackup(deps, content, passphrase),
  };
}
