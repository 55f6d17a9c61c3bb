import type { Notifier, OsNotification } from '../../electron/core/adapters.ts';
import type { Core } from '../../electron/core/core.ts';
import type { InboundInput } from '../../electron/core/inbound/hub.ts';
import type { StoredCamera, StoredMailbox } from '../../electron/core/inventory/inventory.ts';
import type { FolderRole } from '../../shared/inbound.ts';

/** A notifier that records what it would have shown. */
export function recordingNotifier(): Notifier & { shown: OsNotification[] } {
  const shown: OsNotification[] = [];
  return { shown, notify: (n) => void shown.push(n) };
}

/**
 * A watched mailbox as the watchers' side stores it, committed straight to the inventory (what the
 * Mailboxes page does), covering the sites and cameras given.
 */
export function addMailbox(core: Core, fields: Partial<StoredMailbox> & { id: string }): StoredMailbox {
  const at = new Date().toISOString();
  const mailbox: StoredMailbox = {
    title: `Alerts inbox ${fields.id}`,
    host: '127.0.0.1',
    port: 993,
    security: 'tls',
    auth: 'password',
    username: 'alerts@control.example',
    passwordSealed: null,
    presetId: null,
    extraFolders: [],
    watchJunk: true,
    siteIds: [],
    cameraIds: [],
    addresses: ['alerts@control.example'],
    enabled: true,
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
  core.inventory.commit({
    mailboxes: [...core.inventory.mailboxes.filter((m) => m.id !== mailbox.id), mailbox],
  });
  return mailbox;
}

let uid = 0;

/** A message as a watcher publishes it; `receivedAt` is the mailbox's arrival time (the clock's now by default). */
export function heartbeatMail(
  now: number,
  over: Partial<Omit<InboundInput, 'receivedAt'>> & { subject: string; receivedAt?: Date },
): InboundInput {
  uid += 1;
  const received = over.receivedAt ?? new Date(now);
  return {
    sourceId: 'mbx-1',
    folder: 'INBOX',
    folderRole: 'inbox' as FolderRole,
    uidValidity: 1,
    uid,
    messageId: `<hb${uid}@cam.example>`,
    from: 'cameras@site.example',
    fromName: 'NVR',
    to: ['alerts@control.example'],
    sentAt: received,
    size: 900,
    headers: `Message-ID: <hb${uid}@cam.example>\r\nSubject: ${over.subject}\r\n\r\n`,
    ...over,
    receivedAt: received,
  };
}

/** A camera record as the inventory stores it (a Dahua sending Health Mail, nothing else filled in). */
export function cameraRecord(
  siteId: string,
  name: string,
  heartbeatMinutes: number | null = 60,
): StoredCamera {
  const at = new Date().toISOString();
  return {
    id: crypto.randomUUID(),
    siteId,
    name,
    vendor: 'Dahua',
    model: 'IPC-HFW',
    host: '',
    serial: '',
    location: '',
    connectorId: null,
    smtpLogin: '',
    appPasswordId: null,
    recipients: [],
    subjectTemplate: '%Site_Name% – %Camera_Name% – %Event_Type%',
    heartbeatMinutes,
    notes: '',
    createdAt: at,
    updatedAt: at,
  };
}

/** Cameras written straight to the inventory in one commit (thousands at once, as a CSV import does). */
export function seedCameras(
  core: Core,
  siteId: string,
  names: string[],
  heartbeatMinutes: number | null = 60,
): StoredCamera[] {
  const cameras = names.map((name) => cameraRecord(siteId, name, heartbeatMinutes));
  core.inventory.commit({ cameras: [...core.inventory.cameras, ...cameras] });
  return cameras;
}
