import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { deliver, mailboxOn, until } from '../helpers/watchers.ts';
import { startMailServer, type MailServer } from '../mailserver/mailserver.ts';
import { describeMailServer } from '../mailserver/describe.ts';

/**
 * Heartbeats end to end: a camera's Health Mail sent through Postfix (as the domain's MX), filed
 * by Dovecot's LMTP and Sieve into the Inbox or Junk, read by the mailbox watcher, matched by a
 * site rule, and the camera's state changed — nothing faked between the camera and the table.
 */

const tag = () => crypto.randomUUID().slice(0, 8);

describeMailServer('heartbeats through Postfix and Dovecot', () => {
  let server: MailServer;
  let t: TestCore;

  beforeAll(async () => {
    server = await startMailServer();
    t = await startTestCore({ watchMailboxes: true });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await server?.stop();
  });

  it('turns a camera new → up when its Health Mail arrives, and counts mail filed to Junk, saying it was in Junk', async () => {
    const { api, core } = t;
    const user = server.users.manager;
    const site = unwrap(await api.sites.create({ name: `Harbour ${tag()}`, customer: 'Portside' }));
    const gate = unwrap(
      await api.cameras.create({ siteId: site.id, name: 'Gate PTZ', heartbeatMinutes: 60 }),
    );
    const dock = unwrap(await api.cameras.create({ siteId: site.id, name: 'Dock', heartbeatMinutes: 60 }));
    unwrap(
      await api.heartbeats.createRule({
        scope: 'site',
        siteId: site.id,
        subject: '%Camera_Name% Health Mail *',
      }),
    );
    const mailbox = unwrap(
      await api.mailboxes.create(mailboxOn(server, user, { siteIds: [site.id], pollSeconds: 15 })),
    );
    const row = async (cameraId: string) => unwrap(await api.heartbeats.camera({ cameraId })).row;
    const state = (cameraId: string) => core.heartbeats.cameraState(cameraId)?.state;
    await until(
      t,
      () => state(gate.id) === 'new',
      'the camera to be watched (new) once the mailbox is connected',
    );
    expect((await row(gate.id)).mailboxes).toEqual([
      { id: mailbox.id, title: mailbox.title, state: 'connected', watching: true },
    ]);

    await deliver(server, user.address, `Gate PTZ Health Mail ${tag()}`, {
      from: 'gate-ptz@cams.site.test',
    });
    await until(t, () => state(gate.id) === 'up', "the Gate camera's heartbeat (up)");
    const up = await row(gate.id);
    expect(up.lastBeatFolder).toBe('inbox');
    const transitions = unwrap(await api.heartbeats.camera({ cameraId: gate.id })).transitions.map(
      (x) => x.to,
    );
    expect(transitions.slice(0, 2)).toEqual(['up', 'new']);

    // Sieve files this one into Junk (its \Junk-flagged folder): it is still the Dock's heartbeat.
    await deliver(server, user.address, `Dock Health Mail ${tag()} [junk-me]`, {
      from: 'dock@cams.site.test',
    });
    await until(t, () => state(dock.id) === 'up', "the Dock camera's heartbeat from Junk (up)", 60_000);
    const dockRow = await row(dock.id);
    expect(dockRow.lastBeatFolder).toBe('junk');
    expect(dockRow.detail).toMatch(/filed in Junk/);
    const detail = unwrap(await api.heartbeats.camera({ cameraId: dock.id }));
    expect(detail.beats[0]).toMatchObject({ folderRole: 'junk', mailboxTitle: mailbox.title });
  }, 90_000);
});
