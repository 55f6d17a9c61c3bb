import type { Handlers } from '../../../shared/contract.ts';
import type { CoreContext } from '../context.ts';
import { exportBackup, importBackup, type BackupDeps } from './backup.ts';

/** The `backup` calls: the whole inventory, secrets included, under a passphrase. */
export function backupHandlers(
  ctx: Pick<CoreContext, 'inventory' | 'options' | 'vault' | 'audit' | 'now' | 'watchers' | 'oauth'>,
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
    import: async ({ content, passphrase }) => {
      const counts = await importBackup(deps, content, passphrase);
      // The restored sign-ins and mailboxes replace this computer's.
      ctx.oauth.replaced();
      await ctx.watchers.reconcile();
      // A mailbox that was waiting for a sign-in tries at once with the restored one.
      for (const account of ctx.inventory.oauthAccounts) ctx.watchers.accountChanged(account, 'signed-in');
      return counts;
    },
  };
}
