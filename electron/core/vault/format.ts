import type { Provider } from '../../../shared/vault.ts';

/** What an app password of each provider looks like. A mismatch is a warning, never a refusal. */
export function secretFormatWarning(provider: Provider, secret: string): string | null {
  switch (provider) {
    case 'gmail':
      return /^[a-z]{16}$/i.test(secret)
        ? null
        : `Google app passwords are 16 letters; this one has ${secret.length} characters. An account password is rejected by Gmail (534 5.7.9).`;
    case 'outlook':
    case 'office365':
      return /^[a-z]{16}$/i.test(secret)
        ? null
        : `Microsoft app passwords are 16 letters; this one has ${secret.length} characters. It may be the account password.`;
    case 'ses':
      return /^[A-Za-z0-9+/]{40,48}$/.test(secret)
        ? null
        : 'SES SMTP passwords are about 44 characters of letters, digits, + and /. An IAM secret access key does not work for SMTP.';
    default:
      return null;
  }
}

/** Stored length only; the length alone does not reveal the secret. */
export function secretLengthWarning(provider: Provider, length: number | null): string | null {
  if (length === null) return null;
  if ((provider === 'gmail' || provider === 'outlook' || provider === 'office365') && length !== 16) {
    return `Expected 16 letters for a ${provider === 'gmail' ? 'Google' : 'Microsoft'} app password; stored secret has ${length}.`;
  }
  return null;
}
