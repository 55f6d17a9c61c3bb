import type { CameraParsed } from '../../../shared/schemas.ts';
import { AppError, notFound } from '../../../shared/result.ts';
import { plural } from '../../../shared/words.ts';
import type { Camera } from '../../../shared/vault.ts';
import { coverageWithout } from '../inbound/coverage.ts';
import type { Inventory, StoredCamera } from './inventory.ts';
import { cameraEvent } from '../history/audit.ts';

type CameraUpdateParsed = CameraParsed & { id: string };

/** Every device that sends alert mail, per site; one table across all sites. */
export class CameraService {
  private readonly inventory: Inventory;
  private readonly now: () => number;

  constructor(inventory: Inventory, now: () => number) {
    this.inventory = inventory;
    this.now = now;
  }

  list(siteId?: string): Camera[] {
    return this.inventory.cameras.filter((c) => !siteId || c.siteId === siteId);
  }

  get(id: string): Camera {
    const c = this.inventory.camera(id);
    if (!c) throw notFound('Camera', id);
    return c;
  }

  countBySite(siteId: string): number {
    let n = 0;
    for (const c of this.inventory.cameras) if (c.siteId === siteId) n++;
    return n;
  }

  create(input: CameraParsed): Camera {
    this.check(input, null);
    const at = new Date(this.now()).toISOString();
    const camera: StoredCamera = { id: crypto.randomUUID(), ...input, createdAt: at, updatedAt: at };
    this.inventory.commit({ cameras: [...this.inventory.cameras, camera] }, [
      {
        action: 'create',
        recordType: 'camera',
        recordId: camera.id,
        recordLabel: camera.name,
        siteId: camera.siteId,
        cameraId: camera.id,
      },
    ]);
    return camera;
  }

  update(input: CameraUpdateParsed): Camera {
    const existing = this.get(input.id);
    this.check(input, existing.id);
    const updated: StoredCamera = { ...existing, ...input, updatedAt: new Date(this.now()).toISOString() };
    const changed = Object.keys(input).filter(
      (k) => JSON.stringify(existing[k as keyof Camera]) !== JSON.stringify(updated[k as keyof Camera]),
    );
    this.inventory.commit(
      { cameras: this.inventory.cameras.map((c) => (c.id === updated.id ? updated : c)) },
      [
        {
          action: 'update',
          recordType: 'camera',
          recordId: updated.id,
          recordLabel: updated.name,
          siteId: updated.siteId,
          cameraId: updated.id,
          detail: changed.length ? `changed: ${changed.join(', ')}` : 'no change',
        },
      ],
    );
    return updated;
  }

  remove(id: string): { id: string } {
    const c = this.get(id);
    const mailboxes = coverageWithout(this.inventory.mailboxes, { cameraIds: [id] });
    this.inventory.commit(
      {
        cameras: this.inventory.cameras.filter((x) => x.id !== id),
        ...(mailboxes ? { mailboxes } : {}),
      },
      [
        {
          action: 'delete',
          recordType: 'camera',
          recordId: id,
          recordLabel: c.name,
          siteId: c.siteId,
          cameraId: id,
        },
      ],
    );
    return { id };
  }

  /** Sets the connector and/or recipients of many cameras in one write. */
  bulkUpdate(input: {
    ids: string[];
    connectorId?: string | null | undefined;
    recipients?: string[] | undefined;
    recipientsMode: 'replace' | 'add';
  }): {
    updated: number;
  } {
    const wanted = new Set(input.ids);
    const targets = this.inventory.cameras.filter((c) => wanted.has(c.id));
    if (targets.length !== wanted.size)
      throw new AppError('not-found', 'Some selected cameras no longer exist; reload the list.', 'ids');
    if (input.connectorId) {
      const connector = this.inventory.connector(input.connectorId);
      if (!connector) throw new AppError('invalid-input', 'Choose an existing connector.', 'connectorId');
      const elsewhere = targets.filter((c) => c.siteId !== connector.siteId);
      if (elsewhere.length > 0) {
        throw new AppError(
          'invalid-input',
          `${plural(elsewhere.length, 'selected camera')} ${elsewhere.length === 1 ? 'is' : 'are'} at another site than the connector "${connector.title}". Select cameras of one site, or choose a connector of their site.`,
          'connectorId',
        );
      }
    }
    const at = new Date(this.now()).toISOString();
    const cameras = this.inventory.cameras.map((c) => {
      if (!wanted.has(c.id)) return c;
      const next = { ...c, updatedAt: at };
      if (input.connectorId !== undefined) next.connectorId = input.connectorId;
      if (input.recipients !== undefined) {
        next.recipients =
          input.recipientsMode === 'add'
            ? [...new Set([...c.recipients, ...input.recipients])]
            : [...input.recipients];
      }
      return next;
    });
    const what = [
      input.connectorId !== undefined
        ? `connector ${input.connectorId ? this.inventory.connector(input.connectorId)!.title : 'none'}`
        : null,
      input.recipients !== undefined
        ? `recipients ${input.recipientsMode === 'add' ? 'added' : 'set'}: ${input.recipients.join(', ')}`
        : null,
    ]
      .filter(Boolean)
      .join('; ');
    this.inventory.commit(
      { cameras },
      targets.map((c) => cameraEvent(c, `bulk edit: ${what}`)),
    );
    return { updated: targets.length };
  }

  private check(input: CameraParsed, selfId: string | null): void {
    const site = this.inventory.site(input.siteId);
    if (!site) throw new AppError('invalid-input', 'Choose an existing site for the camera.', 'siteId');
    const sameName = this.inventory.cameras.find(
      (c) =>
        c.id !== selfId && c.siteId === input.siteId && c.name.toLowerCase() === input.name.toLowerCase(),
    );
    if (sameName)
      throw new AppError(
        'duplicate',
        `"${site.name}" already has a camera named "${sameName.name}".`,
        'name',
      );
    if (input.serial) {
      const sameSerial = this.inventory.cameras.find(
        (c) => c.id !== selfId && c.serial.toLowerCase() === input.serial.toLowerCase(),
      );
      if (sameSerial)
        throw new AppError(
          'duplicate',
          `Serial/MAC ${input.serial} is already recorded for "${sameSerial.name}".`,
          'serial',
        );
    }
    if (input.connectorId) {
      const connector = this.inventory.connector(input.connectorId);
      if (!connector) throw new AppError('invalid-input', 'Choose an existing connector.', 'connectorId');
      if (connector.siteId !== input.siteId) {
        throw new AppError(
          'invalid-input',
          `The connector "${connector.title}" belongs to another site; choose one of "${site.name}".`,
          'connectorId',
        );
      }
    }
    if (input.appPasswordId && !this.inventory.appPassword(input.appPasswordId)) {
      throw new AppError('invalid-input', 'Choose an existing app-password record.', 'appPasswordId');
    }
  }
}
