import type { Inventory, StoredCamera, StoredMailbox } from '../inventory/inventory.ts';

/**
 * Which watched mailboxes would show a camera's mail (its heartbeats), and which one receives a
 * recipient address (arrival proof). Only mailboxes the user has not stopped count: a stopped one
 * shows nothing, so what it covers reads as unknown rather than silent.
 */
export function mailboxesCovering(
  inventory: Pick<Inventory, 'mailboxes'>,
  camera: Pick<StoredCamera, 'id' | 'siteId'>,
): StoredMailbox[] {
  return inventory.mailboxes.filter(
    (m) => m.enabled && (m.cameraIds.includes(camera.id) || m.siteIds.includes(camera.siteId)),
  );
}

/** The enabled mailbox that receives mail for `address` (its `addresses`, case-insensitive), or null. */
export function mailboxForAddress(
  inventory: Pick<Inventory, 'mailboxes'>,
  address: string,
): StoredMailbox | null {
  const wanted = address.trim().toLowerCase();
  return (
    inventory.mailboxes.find(
      (m) => m.enabled && m.addresses.some((a) => a.trim().toLowerCase() === wanted),
    ) ?? null
  );
}
