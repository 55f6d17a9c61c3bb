import type { Handlers } from '../../../shared/contract.ts';
import type { CoreContext } from '../context.ts';

/** The `sites` calls. */
export function siteHandlers({ sites }: Pick<CoreContext, 'sites'>): Handlers['sites'] {
  return {
    list: () => sites.list(),
    create: (input) => sites.create(input),
    update: (input) => sites.update(input),
    remove: (input) => sites.remove(input),
  };
}
