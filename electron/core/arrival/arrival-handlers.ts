import type { Handlers } from '../../../shared/contract.ts';
import type { CoreContext } from '../context.ts';

/** The `arrival` calls: a delivery's second verdict, per recipient, with SPF/DKIM/DMARC. */
export function arrivalHandlers({ arrival }: Pick<CoreContext, 'arrival'>): Handlers['arrival'] {
  return {
    get: ({ id }) => arrival.forDelivery(id),
  };
}
