import type { Handlers } from '../../../shared/contract.ts';
import { parseJavaMailProperties } from '../../../shared/javamail.ts';
import { inspectCertificate } from '../certificates.ts';
import type { CoreContext } from '../context.ts';
import { diagnoseHandlers } from '../mail/diagnose-handlers.ts';

/** The `connectors` calls: the SMTP connectors, their JavaMail properties, diagnosis. */
export function connectorHandlers(
  ctx: Pick<CoreContext, 'inventory' | 'connectors' | 'cameras' | 'audit' | 'options' | 'emit' | 'oauth'>,
): Handlers['connectors'] {
  const { connectors } = ctx;
  return {
    list: (input) => connectors.list(input?.siteId),
    get: ({ id }) => connectors.get(id),
    create: (input) => connectors.create(input),
    update: (input) => connectors.update(input),
    remove: ({ id }) => connectors.remove(id),
    setState: ({ id, state }) => connectors.setState(id, state),
    inspectCertificate: ({ pem }) => inspectCertificate(pem, 'pem'),
    importProperties: ({ text }) => parseJavaMailProperties(text),
    exportProperties: ({ id }) => connectors.exportProperties(id),
    ...diagnoseHandlers(ctx),
  };
}
