import type { Handlers } from '../../../shared/contract.ts';
import type { CoreContext } from '../context.ts';

/** The `settings` calls: app-wide settings, audited; a new retention prunes the history at once. */
export function settingsHandlers({
  inventory,
  prune,
}: Pick<CoreContext, 'inventory' | 'audit' | 'prune'>): Handlers['settings'] {
  return {
    get: () => inventory.settings,
    update: (input) => {
      inventory.commit({ settings: { ...inventory.settings, ...input } }, [
        {
          action: 'update',
          recordType: 'inventory',
          recordLabel: 'settings',
          detail: Object.entries(input)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(', '),
        },
      ]);
      prune();
      return inventory.settings;
    },
  };
}
