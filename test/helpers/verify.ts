import type { VerifyScopeInput } from '../../shared/schemas.ts';
import type { VerifyReport } from '../../shared/vault.ts';
import { unwrap, type TestCore } from './core.ts';

/** Starts a verification through the API and resolves with its final report (from the events). */
export async function verifyAndWait(t: TestCore, scope: VerifyScopeInput): Promise<VerifyReport> {
  let resolve!: (r: VerifyReport) => void;
  const done = new Promise<VerifyReport>((r) => (resolve = r));
  const off = t.api.events.on('verify', (p) => {
    if (p.report) resolve(p.report);
  });
  try {
    unwrap(await t.api.vault.verify(scope));
    return await done;
  } finally {
    off();
  }
}
