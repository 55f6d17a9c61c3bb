import type { Handlers } from '../../../shared/contract.ts';
import type { CoreContext } from '../context.ts';

/** The `health` calls: the Overview, and the health and last result of every connector and camera. */
export function healthHandlers(ctx: Pick<CoreContext, 'health'>): Handlers['health'] {
  const { health } = ctx;
  return {
    overview: () => health.overview(),
    connectors: () => health.connectors(),
    cameras: () => health.cameras(),
  };
}
