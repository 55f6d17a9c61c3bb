import type { z } from 'zod';
import type { Site, SiteRemoval } from '../../../shared/domain.ts';
import { AppError, notFound } from '../../../shared/result.ts';
import type { SiteFields, SiteRemove, SiteUpdate } from '../../../shared/schemas.ts';
import { plural } from '../../../shared/words.ts';
import { coverageWithout } from '../inbound/coverage.ts';
import type { Inventory, StoredSite } from './inventory.ts';
import { cameraEvent } from '../history/audit.ts';

export class SiteService {
  private readonly inventory: Inventory;
  private readonly now: () => number;
  private readonly cameraCount: (siteId: string) => number;

  constructor(inventory: Inventory, now: () => number, cameraCount: (siteId: string) => number = () => 0) {
    this.inventory = inventory;
    this.now = now;
    this.cameraCount = cameraCount;
  }

  list(): Site[] {
    const connectors = new Map<string, number>();
    for (const c of this.inventory.connectors) connectors.set(c.siteId, (connectors.get(c.siteId) ?? 0) + 1);
    return this.inventory.sites.map((s) => ({
      ...s,
      connectorCount: connectors.get(s.id) ?? 0,
      cameraCount: this.cameraCount(s.id),
    }));
  }

  get(id: string): Site {
    const site = this.list().find((s) => s.id === id);
    if (!site) throw notFound('Site', id);
    return site;
  }

  create(input: z.output<typeof SiteFields>): Site {
    this.assertUniqueName(input.name);
    const at = new Date(this.now()).toISOString();
    const site: StoredSite = {
      id: crypto.randomUUID(),
      ...input,
      handedOverAt: input.handover === 'handed-over' ? at : null,
      createdAt: at,
      updatedAt: at,
    };
    this.inventory.commit({ sites: [...this.inventory.sites, site] }, [
      { action: 'create', recordType: 'site', recordId: site.id, recordLabel: site.name, siteId: site.id },
    ]);
    return this.get(site.id);
  }

  update(input: z.output<typeof SiteUpdate>): Site {
    const existing = this.inventory.site(input.id);
    if (!existing) throw notFound('Site', input.id);
    this.assertUniqueName(input.name, input.id);
    const at = new Date(this.now()).toISOString();
    const { id, ...fields } = input;
    const handedOverAt =
      fields.handover === 'handed-over'
        ? existing.handover === 'handed-over'
          ? existing.handedOverAt
          : at
        : null;
    const updated: StoredSite = { ...existing, ...fields, handedOverAt, updatedAt: at };
    const changed = Object.keys(fields).filter(
      (k) =>
        JSON.stringify(existing[k as keyof StoredSite]) !== JSON.stringify(updated[k as keyof StoredSite]),
    );
    this.inventory.commit({ sites: this.inventory.sites.map((s) => (s.id === id ? updated : s)) }, [
      {
        action: 'update',
        recordType: 'site',
        recordId: id,
        recordLabel: updated.name,
        siteId: id,
        detail: changed.length ? `changed: ${changed.join(', ')}` : 'no change',
      },
    ]);
    return this.get(id);
  }

  remove(input: z.output<typeof SiteRemove>): SiteRemoval {
    const site = this.inventory.site(input.id);
    if (!site) throw notFound('Site', input.id);
    const own = this.inventory.connectors.filter((c) => c.siteId === site.id);
    const ownCameras = this.inventory.cameras.filter((c) => c.siteId === site.id);
    if ((own.length > 0 || ownCameras.length > 0) && !input.connectors) {
      const what = [
        own.length ? `${own.length} connector${own.length === 1 ? '' : 's'}` : '',
        ownCameras.length ? `${ownCameras.length} camera${ownCameras.length === 1 ? '' : 's'}` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      throw new AppError(
        'site-has-connectors',
        `"${site.name}" has ${what}. Choose whether to delete them with the site or move them to another site.`,
        'connectors',
      );
    }
    let connectors = [...this.inventory.connectors];
    let cameras = [...this.inventory.cameras];
    if (input.connectors === 'move') {
      const target = input.moveToSiteId ? this.inventory.site(input.moveToSiteId) : undefined;
      if (!target || target.id === site.id) {
        throw new AppError(
          'invalid-input',
          'Choose another existing site to move the connectors and cameras to.',
          'moveToSiteId',
        );
      }
      const clash = ownCameras.find((c) =>
        this.inventory.cameras.some(
          (x) => x.siteId === target.id && x.name.toLowerCase() === c.name.toLowerCase(),
        ),
      );
      if (clash) {
        throw new AppError(
          'duplicate',
          `"${target.name}" already has a camera named "${clash.name}"; rename one first.`,
          'moveToSiteId',
        );
      }
      connectors = connectors.map((c) => (c.siteId === site.id ? { ...c, siteId: target.id } : c));
      cameras = cameras.map((c) => (c.siteId === site.id ? { ...c, siteId: target.id } : c));
    } else if (input.connectors === 'delete') {
      connectors = connectors.filter((c) => c.siteId !== site.id);
      cameras = cameras.filter((c) => c.siteId !== site.id);
    }
    // Cameras elsewhere that still send through a deleted connector (stores older than the check
    // that keeps a connector at its cameras' site) are left without one rather than dangling.
    const gone = new Set(own.filter(() => input.connectors === 'delete').map((c) => c.id));
    const stranded = cameras.filter((c) => c.connectorId !== null && gone.has(c.connectorId));
    if (stranded.length) {
      cameras = cameras.map((c) =>
        c.connectorId !== null && gone.has(c.connectorId) ? { ...c, connectorId: null } : c,
      );
    }
    const ownCameraIds = ownCameras.map((c) => c.id);
    const mailboxes = coverageWithout(this.inventory.mailboxes, {
      siteIds: [site.id],
      ...(input.connectors === 'move' ? { movedCameraIds: ownCameraIds } : { cameraIds: ownCameraIds }),
    });
    const moved = input.connectors === 'move';
    this.inventory.commit(
      {
        sites: this.inventory.sites.filter((s) => s.id !== site.id),
        connectors,
        cameras,
        ...(mailboxes ? { mailboxes } : {}),
      },
      [
        {
          action: 'delete',
          recordType: 'site',
          recordId: site.id,
          recordLabel: site.name,
          siteId: site.id,
          detail:
            own.length || ownCameras.length
              ? `${plural(own.length, 'connector')} and ${plural(ownCameras.length, 'camera')} ${moved ? 'moved' : 'deleted'}`
              : '',
        },
        ...stranded.map((c) =>
          cameraEvent(c, `connector deleted with the site "${site.name}"; camera has no connector now`),
        ),
      ],
    );
    return {
      siteId: site.id,
      connectorsDeleted: moved ? 0 : own.length,
      connectorsMoved: moved ? own.length : 0,
      camerasDeleted: moved ? 0 : ownCameras.length,
      camerasMoved: moved ? ownCameras.length : 0,
    };
  }

  private assertUniqueName(name: string, exceptId?: string): void {
    const clash = this.inventory.sites.find(
      (s) => s.id !== exceptId && s.name.toLowerCase() === name.toLowerCase(),
    );
    if (clash) throw new AppError('duplicate', `A site named "${clash.name}" already exists.`, 'name');
  }
}
