import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCore } from '../../electron/core/node.ts';
import { failure, startTestCore, TEST_PASSPHRASE, unwrap, type TestCore } from '../helpers/core.ts';
import { filesUnder } from '../helpers/files.ts';

let t: TestCore;
beforeAll(async () => {
  t = await startTestCore();
});
afterAll(() => t.close());

describe('sites and connectors', () => {
  it('asks what to do with connectors before deleting their site, then moves or deletes them', async () => {
    const a = unwrap(await t.api.sites.create({ name: 'Site A', customer: 'Acme' }));
    const b = unwrap(await t.api.sites.create({ name: 'Site B' }));
    const base = {
      host: 'relay.example.test',
      port: 25,
      security: 'none',
      auth: 'none',
      sender: 'cams@example.test',
    } as const;
    unwrap(await t.api.connectors.create({ ...base, siteId: a.id, title: 'Relay 1' }));
    unwrap(await t.api.connectors.create({ ...base, siteId: a.id, title: 'Relay 2' }));
    expect(unwrap(await t.api.sites.list()).find((s) => s.id === a.id)?.connectorCount).toBe(2);

    const asked = failure(await t.api.sites.remove({ id: a.id }));
    expect(asked).toMatchObject({ code: 'site-has-connectors', field: 'connectors' });
    expect(asked.message).toMatch(/has 2 connectors/);
    expect(
      failure(await t.api.sites.remove({ id: a.id, connectors: 'move', moveToSiteId: a.id })).field,
    ).toBe('moveToSiteId');

    const moved = unwrap(await t.api.sites.remove({ id: a.id, connectors: 'move', moveToSiteId: b.id }));
    expect(moved).toEqual({
      siteId: a.id,
      connectorsDeleted: 0,
      connectorsMoved: 2,
      camerasDeleted: 0,
      camerasMoved: 0,
    });
    expect(
      unwrap(await t.api.connectors.list({ siteId: b.id }))
        .map((c) => c.title)
        .sort(),
    ).toEqual(['Relay 1', 'Relay 2']);

    const deleted = unwrap(await t.api.sites.remove({ id: b.id, connectors: 'delete' }));
    expect(deleted).toEqual({
      siteId: b.id,
      connectorsDeleted: 2,
      connectorsMoved: 0,
      camerasDeleted: 0,
      camerasMoved: 0,
    });
    expect(unwrap(await t.api.connectors.list()).filter((c) => c.title.startsWith('Relay'))).toEqual([]);
  });

  it('makes the port follow the security mode until it is typed by hand', async () => {
    const site = unwrap(await t.api.sites.create({ name: 'Port rules' }));
    const base = {
      siteId: site.id,
      title: 'P',
      host: 'smtp.example.test',
      auth: 'none',
      sender: 'a@example.test',
    } as const;
    expect(unwrap(await t.api.connectors.create({ ...base, security: 'tls', port: 25 })).port).toBe(465);
    expect(unwrap(await t.api.connectors.create({ ...base, security: 'starttls', port: 1 })).port).toBe(587);
    expect(unwrap(await t.api.connectors.create({ ...base, security: 'none', port: 1 })).port).toBe(25);
    expect(
      unwrap(await t.api.connectors.create({ ...base, security: 'starttls', port: 2525, portIsManual: true }))
        .port,
    ).toBe(2525);
  });

  it('starts a new connector STOPPED and lets the user start and stop it, with audit events', async () => {
    const site = unwrap(await t.api.sites.create({ name: 'States' }));
    const c = unwrap(
      await t.api.connectors.create({
        siteId: site.id,
        title: 'S',
        host: 'smtp.example.test',
        port: 587,
        security: 'starttls',
        auth: 'none',
        sender: 'a@example.test',
      }),
    );
    expect(c.state).toBe('STOPPED');
    expect(unwrap(await t.api.connectors.setState({ id: c.id, state: 'RUN' })).state).toBe('RUN');
    expect(unwrap(await t.api.connectors.setState({ id: c.id, state: 'STOPPED' })).state).toBe('STOPPED');
    const actions = t.core.db
      .prepare('SELECT action FROM audit WHERE record_id = ? ORDER BY seq')
      .all(c.id) as Array<{ action: string }>;
    expect(actions.map((a) => a.action)).toEqual(['create', 'start', 'stop']);
  });

  it('never lets the renderer see a stored password, and keeps it when an update leaves it empty', async () => {
    const site = unwrap(await t.api.sites.create({ name: 'Secrets' }));
    const c = unwrap(
      await t.api.connectors.create({
        siteId: site.id,
        title: 'Gmail',
        host: 'smtp.gmail.com',
        port: 465,
        security: 'tls',
        auth: 'login',
        username: 'cam@gmail.test',
        password: 'abcd efgh ijkl mnop',
        sender: 'cam@gmail.test',
      }),
    );
    expect(c.hasPassword).toBe(true);
    expect(JSON.stringify(c)).not.toMatch(/abcd|efgh|Sealed|sealed/);
    const {
      id,
      hasPassword: _h,
      trustedCertificate: _t,
      pop: _p,
      state: _s,
      lastTest: _l,
      createdAt: _c,
      updatedAt: _u,
      ...rest
    } = c;
    const updated = unwrap(
      await t.api.connectors.update({
        ...rest,
        id,
        title: 'Gmail (renamed)',
        trustedCertificatePem: null,
        pop: null,
      }),
    );
    expect(updated.hasPassword).toBe(true);
    const stored = t.core.inventory.connector(id)!;
    // Sealed under the data folder's keyring, bound to this connector (keyring.ts).
    expect(stored.passwordSealed).toMatch(/^k1:/);
    // Google's grouping spaces are removed before sealing.
    expect(await t.core.secrets.open(stored.passwordSealed!, `connector/${id}/password`)).toBe(
      'abcdefghijklmnop',
    );
    const cleared = unwrap(
      await t.api.connectors.update({
        ...rest,
        id,
        clearPassword: true,
        trustedCertificatePem: null,
        pop: null,
      }),
    );
    expect(cleared.hasPassword).toBe(false);
  });

  it('keeps no password in clear anywhere in the data folder', async () => {
    const site = unwrap(await t.api.sites.create({ name: 'Scan' }));
    const passwords = ['Xy7#unique-relay-password', 'qwertyuiopasdfgh', 'PopPass-4711-unique'];
    for (const [i, password] of passwords.slice(0, 2).entries()) {
      unwrap(
        await t.api.connectors.create({
          siteId: site.id,
          title: `C${i}`,
          host: 'smtp.example.test',
          port: 587,
          security: 'starttls',
          auth: 'plain',
          username: `user${i}@example.test`,
          password,
          sender: `user${i}@example.test`,
        }),
      );
    }
    unwrap(
      await t.api.connectors.create({
        siteId: site.id,
        title: 'POP',
        host: 'smtp.example.test',
        port: 25,
        security: 'none',
        auth: 'pop-before-smtp',
        sender: 'pop@example.test',
        pop: {
          host: 'pop.example.test',
          port: 110,
          security: 'none',
          username: 'pop',
          password: passwords[2],
        },
      }),
    );
    const forms = passwords.flatMap((p) => [
      p,
      Buffer.from(p).toString('base64'),
      Buffer.from(p).toString('hex'),
    ]);
    const files = await filesUnder(t.dir);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const bytes = await readFile(file);
      for (const form of forms) {
        expect(bytes.includes(Buffer.from(form)), `${form} found in ${file}`).toBe(false);
        expect(bytes.includes(Buffer.from(form, 'utf16le')), `${form} (UTF-16) found in ${file}`).toBe(false);
      }
    }
  });
});

describe('the plain-Node entry point', () => {
  it('reopens the same data folder with the passphrase and refuses a wrong one', async () => {
    const own = await startTestCore();
    const site = unwrap(await own.api.sites.create({ name: 'Persisted' }));
    await own.core.close();
    const again = await openCore({ dataDir: own.dir, passphrase: TEST_PASSPHRASE });
    try {
      expect(again.sites.list().some((s) => s.id === site.id)).toBe(true);
    } finally {
      await again.close();
    }
    await expect(openCore({ dataDir: own.dir, passphrase: 'not the passphrase' })).rejects.toMatchObject({
      code: 'wrong-passphrase',
    });
    await rm(own.dir, { recursive: true, force: true });
  });
});
