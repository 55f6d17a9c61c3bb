import { AppError } from '../../../shared/result.ts';
import type { PlacedSecrets } from '../adapters.ts';

/**
 * The sealed value a form's password field leads to: cleared, kept (nothing typed), or the new
 * one sealed — refused at `field` when this computer offers no real encryption, since AlertDesk
 * never stores a password unprotected. `what` names the record in the refusal ("the connector");
 * `place` is the record the secret is sealed for (keyring.ts `secretPlace`): it opens nowhere else.
 */
export async function sealTyped(
  secrets: PlacedSecrets,
  typed: { password: string | undefined; clear: boolean; current: string | null },
  at: { field: string; place: string; what: string },
  normalize: (password: string) => string = (p) => p,
): Promise<string | null> {
  const { field, what } = at;
  if (typed.clear) return null;
  if (typed.password === undefined || typed.password === '') return typed.current;
  const status = await secrets.status();
  if (!status.available) {
    throw new AppError(
      'secret-storage-unavailable',
      `${status.reason ?? 'This computer offers no encrypted storage for passwords.'} AlertDesk does not store passwords unprotected, so ${what} was not saved.`,
      field,
    );
  }
  return secrets.seal(normalize(typed.password), at.place);
}
