import type { StoredConnector } from '../electron/core/inventory/inventory.ts';

/**
 * A connector as the inventory stores it, for benchmarks that write their fleet straight into
 * the inventory: STARTTLS on 587 with a login and no password, the app's defaults for the rest.
 */
export function storedConnector(
  fields: Pick<StoredConnector, 'id' | 'siteId' | 'title' | 'host' | 'username'> & Partial<StoredConnector>,
  at: string,
): StoredConnector {
  return {
    port: 587,
    portIsManual: false,
    security: 'starttls',
    auth: 'login',
    passwordSealed: null,
    oauthAccountId: null,
    sender: fields.username,
    senderName: '',
    replyTo: '',
    connectionTimeoutSec: 60,
    trustedCertificatePem: null,
    allowPlainLogin: false,
    state: 'RUN',
    presetId: null,
    extraProperties: [],
    mailDebug: false,
    pop: null,
    maxSessions: 4,
    rateLimitPerMinute: null,
    dailyLimit: null,
    retryDelaysSec: [10, 30],
    lastTest: null,
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
}
