import type { Handlers } from '../../../shared/contract.ts';
import { AppError } from '../../../shared/result.ts';
import type { CoreContext } from '../context.ts';
import { integrityFindings } from './integrity-findings.ts';

/** The `vault` calls: app-password records, reveal and copy, verification and rotation. */
export function vaultHandlers(
  ctx: Pick<CoreContext, 'vault' | 'verifier' | 'audit' | 'misplacedSecrets'>,
): Handlers['vault'] {
  const { vault, verifier, audit } = ctx;
  return {
    list: () => vault.list(),
    create: (input) => vault.create(input),
    update: (input) => vault.update(input),
    remove: ({ id }) => vault.remove(id),
    reveal: ({ id }) => vault.reveal(id),
    copy: ({ id }) => vault.copy(id),
    verify: (scope) => {
      const { runId, total } = verifier.start(scope);
      return { runId, total };
    },
    cancelVerify: ({ runId }) => ({ cancelled: verifier.cancel(runId) }),
    rotate: async ({ id, secret, label, verify }) => {
      const old = vault.stored(id);
      let verified: { ok: boolean; failureClass: string | null; message: string } | null = null;
      if (verify) {
        verified = await verifier.probe(old, secret);
        if (!verified.ok) {
          audit.record({
            action: 'rotate',
            recordType: 'app-password',
            recordId: id,
            recordLabel: `${old.account} · ${old.label}`,
            result: 'refused',
            detail: `new secret rejected: ${verified.message}`,
          });
          throw new AppError(
            'verify-failed',
            `The new app password did not work, so nothing was changed: ${verified.message}`,
            'secret',
          );
        }
      }
      return vault.rotate(id, secret, label, verified);
    },
    findings: () => [...integrityFindings(audit.integrity(), ctx.misplacedSecrets), ...vault.findings()],
  };
}
