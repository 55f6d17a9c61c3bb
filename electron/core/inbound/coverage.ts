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

/**
 * The mailboxes once sites or cameras are deleted: their ids leave the coverage lists, and the
 * cameras of a deleted site that were moved to another site stay covered, now by name. Null when
 * no mailbox changes (the caller commits the result with its own change, in one write).
 */
export function coverageWithout(
  mailboxes: readonly StoredMailbox[],
  gone: { siteIds?: readonly string[]; cameraIds?: readonly string[]; movedCameraIds?: readonly string[] },
): StoredMailbox[] | null {
  const sites = new Set(gone.siteIds ?? []);
  const cameras = new Set(gone.cameraIds ?? []);
  let changed = false;
  const next = mailboxes.map((m) => {
    const losesSite = m.siteIds.some((s) => sites.has(s));
    const losesCamera = m.cameraIds.some((c) => cameras.has(c));
    if (!losesSite && !losesCamera) return m;
    changed = true;
    const keep = losesSite ? (gone.movedCameraIds ?? []) : [];
    return {
      ...m,
      siteIds: m.siteIds.filter((s) => !sites.has(s)),
      cameraIds: [...new Set([...m.cameraIds.filter((c) => !cameras.has(c)), ...keep])],
    };
  });
  return changed ? next : null;
}
