import type { AppPasswordInput, ConnectorInput } from '../../shared/schemas.ts';

/** Records the hardening tests create again and again, in one place. */

/** A connector that never has to be reached: a plain relay on port 25, no login. */
export const relayConnector = (siteId: string, title = 'Relay'): ConnectorInput => ({
  siteId,
  title,
  host: 'relay.example.test',
  port: 25,
  portIsManual: true,
  security: 'none',
  auth: 'none',
  sender: 'cams@example.test',
});

/** A Gmail app-password record. */
export const gmailRecord = (account = 'cam@example.test', secret = 'abcdefghijklmnop'): AppPasswordInput => ({
  account,
  provider: 'gmail',
  label: account.slice(0, account.indexOf('@')),
  secret,
});
