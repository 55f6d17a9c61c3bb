import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';

/**
 * The watched mailboxes as stored (no IMAP server needed): fields checked at their field, the
 * password sealed and never shown, audited, kept in backups, and their coverage kept consistent
 * when sites and cameras are deleted. The watchers themselves: mailbox-watchers.test.ts.
 */

let t: TestCore;
/** Opens a mailbox's sealed password as the core does: with the keyring, bound to that mailbox. */
const openSealed = (core: TestCore, mailboxId: string, sealed: string) =>
  core.core.secrets.open(sealed, `mailbox/${mailboxId}/password`);
beforeEach(async () => {
  t = await startTestCore();
});
afterEach(async () => {
  await t.close();
});

const settings = (over: object = {}) => ({
  title: 'Control room',
  host: 'imap.gmail.com',
  port: 993,
  security: 'tls' as const,
  username: 'alerts.harbour@gmail.com',
  password: 'abcd efgh ijkl mnop',
  presetId: 'gmail-imap',
  ...over,
});

describe('watched mailboxes as stored', () => {
  it('checks every field at its field and stores nothing when one is wrong', async () => {
    const site = unwrap(await t.api.sites.create({ name: 'Harbour' }));
    const bad = failure(
      await t.api.mailboxes.create({
        ...settings({ host: 'imaps://imap.gmail.com', port: 0, extraFolders: ['INBOX'] }),
        siteIds: [site.id],
      }),
    );
    expect(bad.fields).toMatchObject({
      host: expect.stringContaining('imaps://'),
      port: expect.stringContaining('between 1 and 65535'),
      'extraFolders.0': expect.stringContaining('The Inbox is always watched'),
    });
    const both = failure(await t.api.mailboxes.create(settings({ clearPassword: true })));
    expect(both.field).toBe('password');
    const gone = failure(await t.api.mailboxes.create(settings({ siteIds: ['no-such-site'] })));
    expect(gone).toMatchObject({ code: 'invalid-input', field: 'siteIds' });
    expect(unwrap(await t.api.mailboxes.list())).toEqual([]);
  });

  it('seals the password (spaces of a Google app password removed), never shows it, and audits every change', async () => {
    const created = unwrap(await t.api.mailboxes.create(settings()));
    expect(created).toMatchObject({
      hasPassword: true,
      addresses: ['alerts.harbour@gmail.com'],
      backfillDays: 7,
      pollSeconds: 60,
      enabled: true,
      trustedCertificatePem: null,
    });
    expect(created.status).toMatchObject({ state: 'stopped', watching: false });
    expect(created.status.note).toMatch(/without mailbox watchers/);
    const listed = JSON.stringify(unwrap(await t.api.mailboxes.list()));
    expect(listed).not.toContain('abcd');
    expect(listed).not.toContain('"password":');
    expect(listed).not.toContain('passwordSealed');
    const stored = await readFile(join(t.dir, 'alertdesk.json'), 'utf8');
    expect(stored).not.toContain('abcd efgh');
    expect(stored).not.toContain('abcdefghijklmnop');
    const sealed = t.core.inventory.mailbox(created.id)!.passwordSealed!;
    expect(await openSealed(t, created.id, sealed)).toBe('abcdefghijklmnop');

    const kept = unwrap(
      await t.api.mailboxes.update({
        ...settings({ title: 'Control room 2' }),
        password: undefined,
        id: created.id,
      }),
    );
    expect(kept.hasPassword).toBe(true);
    unwrap(await t.api.mailboxes.update({ ...settings(), password: 'qrst uvwx yzab cdef', id: created.id }));
    unwrap(await t.api.mailboxes.setEnabled({ id: created.id, enabled: false }));
    unwrap(await t.api.mailboxes.remove({ id: created.id }));
    const audit = unwrap(await t.api.audit.query({ filter: { recordType: 'mailbox' } })).rows;
    expect(audit.map((a) => a.action).reverse()).toEqual(['create', 'update', 'update', 'stop', 'delete']);
    expect(audit.find((a) => a.detail.includes('password (replaced)'))).toBeTruthy();
    expect(JSON.stringify(audit)).not.toMatch(/abcd|qrst/);
  });

  it('keeps coverage consistent when cameras and sites are deleted, and moved cameras covered', async () => {
    const harbour = unwrap(await t.api.sites.create({ name: 'Harbour' }));
    const north = unwrap(await t.api.sites.create({ name: 'North Yard' }));
    const depot = unwrap(await t.api.sites.create({ name: 'Depot' }));
    const camera = async (siteId: string, name: string) =>
      unwrap(await t.api.cameras.create({ siteId, name, recipients: ['ops@example.test'] })).id;
    const h1 = await camera(harbour.id, 'Gate');
    const n1 = await camera(north.id, 'Fence');
    const n2 = await camera(north.id, 'Dock');
    const d1 = await camera(depot.id, 'Yard');
    const mailbox = unwrap(
      await t.api.mailboxes.create(settings({ siteIds: [north.id, depot.id], cameraIds: [h1] })),
    );
    unwrap(await t.api.cameras.remove({ id: h1 }));
    expect(t.core.inventory.mailbox(mailbox.id)).toMatchObject({
      siteIds: [north.id, depot.id],
      cameraIds: [],
    });
    // North's cameras move to Harbour: still covered, now by name.
    unwrap(await t.api.sites.remove({ id: north.id, connectors: 'move', moveToSiteId: harbour.id }));
    expect(t.core.inventory.mailbox(mailbox.id)).toMatchObject({ siteIds: [depot.id], cameraIds: [n1, n2] });
    unwrap(await t.api.sites.remove({ id: depot.id, connectors: 'delete' }));
    expect(t.core.inventory.mailbox(mailbox.id)).toMatchObject({ siteIds: [], cameraIds: [n1, n2] });
    expect(t.core.inventory.camera(d1)).toBeUndefined();
  });

  it('goes into the encrypted backup with its password, and comes back from it', async () => {
    const site = unwrap(await t.api.sites.create({ name: 'Harbour' }));
    const created = unwrap(
      await t.api.mailboxes.create(
        settings({ siteIds: [site.id], extraFolders: ['Alarms'], backfillDays: 3 }),
      ),
    );
    const backup = unwrap(await t.api.backup.export({ passphrase: 'a long backup passphrase' }));
    expect(backup.content).not.toContain('abcdefghijklmnop');
    const target = await startTestCore();
    try {
      unwrap(
        await target.api.backup.import({ content: backup.content, passphrase: 'a long backup passphrase' }),
      );
      const [restored] = unwrap(await target.api.mailboxes.list());
      expect(restored).toMatchObject({
        id: created.id,
        title: 'Control room',
        siteIds: [site.id],
        extraFolders: ['Alarms'],
        backfillDays: 3,
        hasPassword: true,
      });
      const sealed = target.core.inventory.mailbox(created.id)!.passwordSealed!;
      expect(await openSealed(target, created.id, sealed)).toBe('abcdefghijklmnop');
    } finally {
      await target.close();
    }
  });

  it('deleting a mailbox forgets what was read from it and where reading stood', async () => {
    const created = unwrap(await t.api.mailboxes.create(settings()));
    t.core.inbound.publish([
      {
        sourceId: created.id,
        folder: 'INBOX',
        folderRole: 'inbox',
        uidValidity: 1,
        uid: 1,
        messageId: '<a@cam>',
        from: 'cam@site.test',
        fromName: '',
        to: [],
        subject: 'hb',
        sentAt: null,
        receivedAt: new Date(),
        size: 10,
        headers: '',
      },
    ]);
    expect(unwrap(await t.api.mailboxes.messages({ id: created.id })).total).toBe(1);
    unwrap(await t.api.mailboxes.remove({ id: created.id }));
    expect(t.core.inbound.count(created.id)).toBe(0);
    expect(failure(await t.api.mailboxes.messages({ id: created.id })).code).toBe('not-found');
  });
});
