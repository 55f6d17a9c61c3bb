import { headerBlockOf } from '../../electron/core/bench/bench-parse.ts';
import type { InboundHub } from '../../electron/core/inbound/hub.ts';
import type { StoredMailbox } from '../../electron/core/inventory/inventory.ts';
import { TOKEN_HEADER, type FolderRole } from '../../shared/inbound.ts';
import type { AlertDeskApi } from '../../shared/contract.ts';
import { unwrap } from './core.ts';
import type { ReceivedMessage } from './smtp.ts';

/** A plain relay connector (no TLS, no login, no retries) on a loopback port, started; returns its id. */
export async function relayConnector(api: AlertDeskApi, siteId: string, title: string, port: number) {
  const id = unwrap(
    await api.connectors.create({
      siteId,
      title,
      host: '127.0.0.1',
      port,
      portIsManual: true,
      security: 'none',
      auth: 'none',
      sender: 'alerts@harbour.test',
      retryDelaysSec: [],
    }),
  ).id;
  unwrap(await api.connectors.setState({ id, state: 'RUN' }));
  return id;
}

/** A watched mailbox as the inventory stores it, receiving mail for `addresses`. */
export function watchedMailbox(id: string, title: string, addresses: string[]): StoredMailbox {
  const at = new Date().toISOString();
  return {
    id,
    title,
    host: 'imap.customer.test',
    port: 993,
    security: 'tls',
    auth: 'password',
    username: addresses[0]!,
    passwordSealed: null,
    presetId: null,
    extraFolders: [],
    watchJunk: true,
    siteIds: [],
    cameraIds: [],
    addresses,
    enabled: true,
    createdAt: at,
    updatedAt: at,
  };
}

let nextUid = 1;

/**
 * What a mailbox watcher does when it reads a message in a folder: publish it to the inbound hub.
 * The message is one a test SMTP server received; its header block goes along, with an
 * Authentication-Results header on top when given (as the receiving server adds it).
 */
export function landMessage(
  hub: InboundHub,
  mailboxId: string,
  m: ReceivedMessage,
  folderRole: FolderRole,
  options: { authResults?: string; stripToken?: boolean; receivedAt?: Date } = {},
) {
  let headers = headerBlockOf(m.raw);
  if (options.stripToken) headers = headers.replace(new RegExp(`^${TOKEN_HEADER}:.*\\r?\\n`, 'im'), '');
  if (options.authResults) headers = `Authentication-Results: ${options.authResults}\r\n${headers}`;
  const uid = nextUid++;
  return hub.publish([
    {
      sourceId: mailboxId,
      folder: folderRole === 'junk' ? 'Junk' : 'INBOX',
      folderRole,
      uidValidity: 7,
      uid,
      messageId: `${uid}-${m.parsed.messageId ?? ''}`,
      from: m.from,
      fromName: '',
      to: m.to,
      subject: m.parsed.subject ?? '',
      sentAt: null,
      receivedAt: options.receivedAt ?? new Date(),
      size: m.raw.length,
      headers,
    },
  ]);
}
