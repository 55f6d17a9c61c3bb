import { expect, test, type Page } from '@playwright/test';
import { unwrap } from '../helpers/core.ts';
import { addMailbox, heartbeatMail, seedCameras } from '../helpers/heartbeats.ts';
import { startHarness, type Harness } from './harness.ts';
import { shot } from './shots.ts';

test.describe.configure({ mode: 'serial' });

const MIN = 60_000;
let harness: Harness;
const ids: Record<string, string> = {};

/**
 * Three sites as an integrator has them: Harbour Terminal mostly up with some cameras late or
 * down (one of them filing into Junk, one paused for maintenance), North Yard all up, and
 * Riverside Depot whose mailbox is reconnecting (its cameras unknown). A camera nobody wrote a
 * rule for sends from its own address: its mail is unmatched.
 */
test.beforeAll(async () => {
  harness = await startHarness();
  const { core, api } = harness.t;
  const site = async (name: string, customer: string) => unwrap(await api.sites.create({ name, customer }));
  const harbour = await site('Harbour Terminal', 'Portside Ltd');
  const north = await site('North Yard', 'Borealis Storage');
  const river = await site('Riverside Depot', 'Acme Logistics');
  Object.assign(ids, { harbour: harbour.id, north: north.id, river: river.id });
  const harbourCams = seedCameras(
    core,
    harbour.id,
    [
      'Gate PTZ',
      'Quay Crane 1',
      'Quay Crane 2',
      'Dock Camera',
      'Fence East',
      'Fence West',
      'Reefer Yard',
      'Lobby',
      'Truck Lane 1',
      'Truck Lane 2',
      'Workshop',
      'Fuel Depot',
    ],
    60,
  );
  seedCameras(core, north.id, ['North Gate', 'Silo 1', 'Silo 2', 'Weighbridge', 'Office', 'Car Park'], 30);
  const riverCams = seedCameras(core, river.id, ['River Gate', 'Loading Bay', 'Warehouse', 'Perimeter'], 60);
  seedCameras(core, river.id, ['Old Analog Encoder'], null);
  addMailbox(core, { id: 'mbx-1', title: 'alerts@portside (Gmail)', siteIds: [harbour.id, north.id] });
  addMailbox(core, { id: 'mbx-2', title: 'riverside-alerts (Office 365)', siteIds: [river.id] });
  core.inbound.reportHealth('mbx-1', 'connected', true);
  core.inbound.reportHealth('mbx-2', 'connected', true);
  for (const s of [harbour, north, river])
    unwrap(
      await api.heartbeats.createRule({
        scope: 'site',
        siteId: s.id,
        subject: '%Camera_Name% Health Mail *',
      }),
    );

  const now = Date.now();
  const ago = (minutes: number) => new Date(now - minutes * MIN);
  const beats = [];
  const lastAgo: Record<string, number> = {
    'Quay Crane 2': 70,
    'Reefer Yard': 68,
    'Fence West': 180,
    'Fuel Depot': 240,
  };
  for (const cam of core.inventory.cameras) {
    if (cam.name === 'Dock Camera' || cam.heartbeatMinutes === null) continue;
    const last = lastAgo[cam.name] ?? 5 + (cam.name.length % 20);
    const period = cam.heartbeatMinutes ?? 60;
    for (let k = 3; k >= 0; k--) {
      const at = ago(last + k * period + (k === 0 ? 0 : k % 2 ? 0.5 : -0.5));
      const sourceId = cam.siteId === river.id ? 'mbx-2' : 'mbx-1';
      const junk = cam.name === 'Lobby';
      beats.push(
        heartbeatMail(now, {
          sourceId,
          folder: junk ? 'Junk' : 'INBOX',
          folderRole: junk ? 'junk' : 'inbox',
          subject: `${cam.name} Health Mail ${at.toISOString().slice(0, 16)}`,
          receivedAt: at,
        }),
      );
    }
  }
  // The dock camera sends from its own address with its own subject: no rule takes it.
  for (let k = 0; k < 3; k++)
    beats.push(
      heartbeatMail(now, {
        from: 'ipc-0471@cams.portside.example',
        subject: `[IPC] Dock Camera alive ${ago(10 + k * 60)
          .toISOString()
          .slice(0, 16)}`,
        receivedAt: ago(10 + k * 60),
      }),
    );
  core.inbound.publish(beats);
  const workshop = harbourCams.find((c) => c.name === 'Workshop')!;
  unwrap(
    await api.heartbeats.pause({
      scope: 'camera',
      siteId: harbour.id,
      cameraId: workshop.id,
      endsAt: new Date(now + 6 * 60 * MIN).toISOString(),
      reason: 'Roof works, camera unplugged',
    }),
  );
  // Riverside's mailbox loses its connection: its cameras cannot be seen.
  core.inbound.reportHealth('mbx-2', 'reconnecting', false);
  ids.quayCrane2 = harbourCams.find((c) => c.name === 'Quay Crane 2')!.id;
  ids.dock = harbourCams.find((c) => c.name === 'Dock Camera')!.id;
  ids.riverGate = riverCams[0]!.id;
});

test.afterAll(async () => {
  await harness?.close();
});

async function open(page: Page, path: string) {
  await page.setViewportSize({ width: 1366, height: 768 });
  await harness.attach(page);
  await page.goto(`${harness.url}#/${path}`);
}

const row = (page: Page, name: string) =>
  page.getByRole('table', { name: 'Heartbeat status' }).getByRole('row').filter({ hasText: name });

test('the heartbeat table shows every camera worst first, with late, down, paused and unknown ones explained', async ({
  page,
}) => {
  await open(page, 'heartbeats');
  await expect(page.getByRole('heading', { name: 'Heartbeats' })).toBeVisible();
  const table = page.getByRole('table', { name: 'Heartbeat status' });
  await expect(table.getByRole('row').nth(1)).toContainText('down');
  await expect(row(page, 'Fuel Depot')).toContainText('down');
  await expect(row(page, 'Quay Crane 2')).toContainText('late');
  await expect(row(page, 'Quay Crane 2')).toContainText(/1[01] min/); // late by
  await expect(row(page, 'River Gate')).toContainText('unknown');
  await expect(row(page, 'River Gate')).toContainText('reconnecting');
  await expect(row(page, 'Workshop')).toContainText('paused');
  await expect(row(page, 'Lobby')).toContainText('Junk');
  await expect(row(page, 'Dock Camera')).toContainText('new');
  await expect(row(page, 'Old Analog Encoder')).toContainText('not set up');
  await expect(page.getByLabel('Cameras by heartbeat state')).toContainText('2 down');
  await shot(page, 'heartbeats-states-1366');

  // Filter: the late ones, then one site.
  await page.getByLabel('Filter by state').selectOption('late');
  await expect(table.getByRole('row')).toHaveCount(3); // header + 2
  await page.getByLabel('Filter by state').selectOption('');
  await page.getByLabel('Filter by site').selectOption({ label: 'Riverside Depot' });
  await expect(page.locator('section[aria-label="Heartbeat status"] .table-count')).toHaveText('5 of 23');
  await shot(page, 'heartbeats-unknown-1366');
  await page.getByLabel('Filter by site').selectOption('');

  // A camera's detail: its state in words, the time line and the rule that matched.
  await row(page, 'Quay Crane 2').click();
  const panel = page.getByRole('complementary', { name: 'Quay Crane 2' });
  await expect(panel.getByText('The camera is late')).toBeVisible();
  await expect(panel.getByText(/No heartbeat for 1 h 10 min/).first()).toBeVisible();
  await expect(panel.getByRole('img', { name: /4 heartbeats between/ })).toBeVisible();
  await expect(
    panel.getByText('matched by mail subject “%Camera_Name% Health Mail *”').first(),
  ).toBeVisible();
  await shot(page, 'heartbeats-detail-1366');
});

test('a heartbeat pushed by the core turns a late camera up in the open table, without a reload', async ({
  page,
}) => {
  await open(page, 'heartbeats');
  await expect(row(page, 'Reefer Yard')).toContainText('late');
  harness.t.core.inbound.publish([heartbeatMail(Date.now(), { subject: 'Reefer Yard Health Mail now' })]);
  await expect(row(page, 'Reefer Yard')).toContainText('up');
  await expect(row(page, 'Reefer Yard')).toContainText('just now');
});

test('the Sites page rolls heartbeats up per site, and a count opens the filtered table', async ({
  page,
}) => {
  await open(page, 'sites');
  const harbour = page.getByRole('row').filter({ hasText: 'Harbour Terminal' });
  await expect(harbour).toContainText('2 down');
  await expect(harbour).toContainText('1 late');
  const river = page.getByRole('row').filter({ hasText: 'Riverside Depot' });
  await expect(river).toContainText('4 unknown');
  await shot(page, 'sites-heartbeats-1366');
  await harbour.getByRole('button', { name: '2 down' }).click();
  await expect(page.getByRole('heading', { name: 'Heartbeats' })).toBeVisible();
  await expect(page.locator('section[aria-label="Heartbeat status"] .table-count')).toHaveText('2 of 23');
});

test('the Overview rolls heartbeats into each site’s health: down cameras fail it, with the heartbeat as the reason', async ({
  page,
}) => {
  await open(page, 'overview');
  const harbour = page.getByRole('row').filter({ hasText: 'Harbour Terminal' }).first();
  await expect(harbour).toContainText('failing');
  await expect(harbour).toContainText('2 cameras: heartbeat down');
  await shot(page, 'overview-heartbeats-1366');
});

test('the site’s heartbeat settings apply one expectation to all its cameras and pause the whole site', async ({
  page,
}) => {
  await open(page, 'sites');
  await page.getByRole('row').filter({ hasText: 'North Yard' }).click();
  await page.getByRole('button', { name: 'Heartbeats…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Heartbeats of North Yard' });
  await dialog.getByLabel('Period (minutes)').fill('0');
  await dialog.getByRole('button', { name: 'Apply to all 6 cameras' }).click();
  await expect(dialog.getByText('Period is at least 1 minute.')).toBeVisible();
  await dialog.getByLabel('Period (minutes)').fill('15');
  await dialog.getByLabel('Grace (minutes)').fill('10');
  await dialog.getByRole('button', { name: 'Apply to all 6 cameras' }).click();
  await expect(page.getByText('Heartbeat expectation saved.')).toBeVisible();
  await dialog.getByLabel('Reason').fill('Fibre works on the yard');
  await dialog.getByRole('button', { name: 'Pause for maintenance' }).click();
  await expect(dialog.getByText(/The whole site is paused/)).toBeVisible();
  await shot(page, 'sites-heartbeat-settings-1366');
  await dialog.getByRole('button', { name: 'Close dialog' }).click();
  await page.getByRole('button', { name: 'Close panel' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'North Yard' })).toContainText('6 paused');

  await page.getByRole('link', { name: 'Heartbeats' }).click();
  await expect(row(page, 'Silo 1')).toContainText('paused');
  await expect(row(page, 'Silo 1')).toContainText('15 min');
});

test('unmatched mail is assigned to a camera: the rule is proposed, previewed and saved, and the camera is up', async ({
  page,
}) => {
  await open(page, 'heartbeats?tab=unmatched');
  const table = page.getByRole('table', { name: 'Unmatched mail' });
  const group = table.getByRole('row').filter({ hasText: 'ipc-0471@cams.portside.example' });
  await expect(group).toContainText('3');
  await group.getByRole('button', { name: 'Assign to camera…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Assign to a camera' });
  // The subject names the camera: it is chosen, and the rule proposed from the message.
  await expect(dialog.getByLabel('Camera', { exact: true })).toHaveValue(ids.dock!);
  await expect(dialog.getByLabel('Subject pattern')).toHaveValue('[IPC] %Camera_Name% alive *');
  await expect(dialog.getByText(/Matches 3 messages/)).toBeVisible();
  // A mistake in the pattern is said at the field while typing.
  await dialog.getByLabel('Subject pattern').fill('[IPC] %Camera% alive *');
  await expect(dialog.getByText(/%Camera% \(character 7\) is not a variable AlertDesk knows/)).toBeVisible();
  await dialog.getByLabel('Subject pattern').fill('[IPC] %Camera_Name% alive *');
  await expect(dialog.getByText(/Matches 3 messages/)).toBeVisible();
  await shot(page, 'heartbeats-assign-1366');
  await dialog.getByRole('button', { name: 'Assign and save rule' }).click();
  await expect(page.getByText(/Rule saved: 3 messages of Dock Camera matched/)).toBeVisible();
  await expect(table.getByRole('row').filter({ hasText: 'ipc-0471' })).toHaveCount(0);
  await shot(page, 'heartbeats-unmatched-1366');

  await page.getByRole('tab', { name: 'Status' }).click();
  await expect(row(page, 'Dock Camera')).toContainText('up');
  // The tabs move with the arrow keys, as in any desktop app; only the selected one takes Tab.
  await page.getByRole('tab', { name: 'Status' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: /Unmatched mail/ })).toBeFocused();
  await expect(page.getByRole('tab', { name: /Unmatched mail/ })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tab', { name: 'Status' })).toHaveAttribute('tabindex', '-1');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Rules' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('table', { name: 'Heartbeat rules' })).toContainText('from a message');
  await shot(page, 'heartbeats-rules-1366');
});

test('a rule with a pattern that is not valid is refused at its field; alerts can be set to e-mail', async ({
  page,
}) => {
  await open(page, 'heartbeats?tab=rules');
  await page.getByRole('button', { name: 'New rule' }).click();
  const dialog = page.getByRole('dialog', { name: 'New heartbeat rule' });
  await dialog.getByLabel('Subject pattern').fill('Health Mail *');
  await dialog.getByRole('button', { name: 'Add rule' }).click();
  await expect(dialog.getByText(/A site rule must say which camera sent the mail/)).toBeVisible();
  await expect(dialog.getByLabel('Subject pattern')).toHaveValue('Health Mail *');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('tab', { name: 'Alerts' }).click();
  await page.getByLabel('Also send alert e-mails').check();
  await page.getByRole('button', { name: 'Save alert settings' }).click();
  await expect(page.getByText('Choose the connector that sends the alert e-mails.')).toBeVisible();
  await shot(page, 'heartbeats-alerts-1366');
});
