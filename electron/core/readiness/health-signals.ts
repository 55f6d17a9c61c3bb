import type { HealthSignal } from '../../../shared/health.ts';
import { OAUTH_PROVIDER_LABELS } from '../../../shared/oauth.ts';
import { M365_BASIC_AUTH_CUTOFF } from '../../../shared/readiness.ts';
import type { Inventory } from '../inventory/inventory.ts';
import { readinessReport } from './readiness.ts';

/**
 * What the basic-auth cutoff and the OAuth2 sign-ins add to health at a glance (sources of the
 * health service): a password login to Microsoft 365 puts its connector or camera at risk, one
 * already refused fails it; an OAuth2 connector without a working sign-in fails (or, while its
 * renewal fails, is at risk).
 */
export function basicAuthSignals(inventory: Inventory, now: number): HealthSignal[] {
  const out: HealthSignal[] = [];
  for (const i of readinessReport(inventory, now).items) {
    if (i.verdict !== 'stops' && i.verdict !== 'stopped') continue;
    out.push({
      subject: i.kind,
      id: i.id,
      level: i.verdict === 'stopped' ? 'failing' : 'at-risk',
      // A few words: health shows a signal's text as its short reason too.
      text:
        i.verdict === 'stopped'
          ? 'Password login already refused (see Basic-auth readiness)'
          : `Password login stops on ${M365_BASIC_AUTH_CUTOFF} (see Basic-auth readiness)`,
    });
  }
  return out;
}

export function signInSignals(inventory: Inventory): HealthSignal[] {
  const out: HealthSignal[] = [];
  for (const c of inventory.connectors) {
    if (c.auth !== 'xoauth2') continue;
    const account = c.oauthAccountId ? inventory.oauthAccount(c.oauthAccountId) : undefined;
    if (!account) {
      out.push({
        subject: 'connector',
        id: c.id,
        level: 'failing',
        text: 'OAuth2: not signed in',
      });
    } else if (account.status !== 'signed-in') {
      const name = OAUTH_PROVIDER_LABELS[account.provider];
      out.push({
        subject: 'connector',
        id: c.id,
        level: account.status === 'consent-revoked' ? 'failing' : 'at-risk',
        text:
          account.status === 'consent-revoked'
            ? `${name} sign-in revoked: sign in again`
            : `${name} sign-in renewal failing`,
      });
    }
  }
  return out;
}
