import type { Handlers } from '../../../shared/contract.ts';
import { parseJavaMailProperties } from '../../../shared/javamail.ts';
import { inspectCertificate } from '../certificates.ts';
import type { CoreContext } from '../context.ts';
import { diagnoseHandlers } from '../mail/diagnose-handlers.ts';

/** The `connectors` calls: the SMTP connectors, their JavaMail properties, diagnosis. */
export function connectorHandlers(
  ctx: Pick<CoreContext, 'inventory' | 'connectors' | 'cameras' | 'audit' | 'options' | 'emit' | 'oauth'>,
): Handlers['connectors'] {
  const { inventory, connectors, cameras, audit } = ctx;
  return {
    list: (input) => connectors.list(input?.siteId),
    get: ({ id }) => connectors.get(id),
    create: (input) => connectors.create(input),
    update: (input) => connectors.update(input),
    remove: ({ id }) => {
      const detached = inventory.cameras.filter((c) => c.connectorId === id);
      if (detached.length > 0) inventory.commit({ cameras: cameras.detachConnector(id) });
      for (const c of detached) {
        audit.record({
          action: 'update',
          recordType: 'camera',
          recordId: c.id,
          recordLabel: c.name,
          siteId: c.siteId,
          cameraId: c.id,
          detail: 'connector deleted; camera has no connector now',
        });
      }
      return connectors.remove(id);
    },
    setState: ({ id, state }) => connectors.setState(id, state),
    inspectCertificate: ({ pem }) => inspectCertificate(pem, 'pem'),
    importProperties: ({ text }) => parseJavaMailProperties(text),
    exportProperties: ({ id }) => connectors.exportProperties(id),
    ...diagnoseHandlers(ctx),
  };
}
