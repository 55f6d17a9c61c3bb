import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { unwrap } from '../helpers/core.ts';
import { deliver, mailboxOn } from '../helpers/watchers.ts';
import { SKIP_ENV, startMailServer, type MailServer } from '../mailserver/mailserver.ts';
import { startHarness, type Harness } from './harness.ts';
import { shot } from './shots.ts';

/**
 * The Mailboxes page in Chromium, on the real core watching real Dovecot mailboxes: one connected
 * (Inbox, Junk, a snapshot), one whose login is rejected; a mailbox created through the form with
 * Test connection and the server's folders; a rejected login fixed from the panel.
 */

test.describe.configure({ mode: 'serial' });
test.skip(process.env[SKIP_ENV] === '1', `${SKIP_ENV}=1: no Postfix/Dovecot for the watchers`);

let harness: Harness;
let server: MailServer;
let connectedId = '';
const jpeg = readFileSync(new URL('../../assets/snapshots/snapshot-2.jpg', import.meta.url));

test.beforeAll(async () => {
  server = await startMailServer();
  harness = await startHarness({ watchMailboxes: true });
  const { api } = harness.t;
  const harbour = unwrap(await api.sites.create({ name: 'Harbour Terminal', customer: 'Portside Ltd' })).id;
  const north = unwrap(await api.sites.create({ name: 'North Yard', customer: 'Borealis Storage' })).id;
  for (let i = 1; i <= 6; i++) {
    unwrap(
      await api.cameras.create({
        siteId: i <= 4 ? harbour : north,
        name: `${i <= 4 ? 'Quay' : 'Fence'} cam ${String(i).padStart(2, '0')}`,
        recipients: [server.users.ops.address],
      }),
    );
  }
  const { ops, manager } = server.users;
  await deliver(server, ops.address, 'NVR-01 health report: 4 cameras online', {
    from: 'nvr01@harbour.test',
  });
  await deliver(server, ops.address, 'Quay cam 02 heartbeat [junk-me]', { from: 'quay02@harbour.test' });
  await deliver(server, ops.address, 'Quay cam 03 motion detected', {
    from: 'quay03@harbour.test',
    attachments: [{ filename: 'quay03-motion.jpg', content: jpeg, contentType: 'image/jpeg' }],
  });
  await server.waitForMessage(
    ops.address,
    ops.password,
    (m) => m.parsed.subject?.includes('motion') ?? false,
  );
  connectedId = unwrap(
    await api.mailboxes.create(
      mailboxOn(server, ops, { title: 'Harbour control room', siteIds: [harbour], presetId: null }),
    ),
  ).id;
  unwrap(
    await api.mailboxes.create(
      mailboxOn(server, manager, {
        title: 'North Yard alerts',
        siteIds: [north],
        password: 'revoked-app-password',
      }),
    ),
  );
});

test.afterAll(async () => {
  await harness?.close();
  await server?.stop();
});

async function openPage(page: Page, path = 'mailboxes') {
  await harness.attach(page);
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto(`${harness.url}#/${path}`);
}

test('the table shows a connected mailbox and a rejected login, worst first, with the verdict and fix', async ({
  page,
}) => {
  await openPage(page);
  const table = page.getByRole('table', { name: 'Mailboxes' });
  const rejectedRow = table.getByRole('row', { name: /North Yard alerts/ });
  const connectedRow = table.getByRole('row', { name: /Harbour control room/ });
  await expect(rejectedRow.getByText('login rejected', { exact: true })).toBeVisible();
  await expect(connectedRow.getByText('connected', { exact: true })).toBeVisible();
  await expect(connectedRow.getByText('3', { exact: true })).toBeVisible();
  await expect(connectedRow.getByText('Harbour Terminal')).toBeVisible();
  await expect(page.getByText('1 mailbox with a rejected login')).toBeVisible();
  // Worst first: the rejected login is the first row.
  await expect(table.getByRole('row').nth(1)).toContainText('North Yard alerts');
  await shot(page, 'mailboxes-watched-1366');

  await rejectedRow.click();
  const panel = page.getByRole('complementary', { name: 'North Yard alerts' });
  await expect(panel.getByText(/rejected the login of manager@example\.test/)).toBeVisible();
  await expect(panel.getByText(/What to do:.*app password/)).toBeVisible();
  await expect(panel.getByText(/Next try/)).toBeVisible();
  await shot(page, 'mailbox-login-rejected-1366');

  // The integrator types the new app password: the watcher connects at once.
  await panel.getByLabel('App password (stored — type to replace)').fill(server.users.manager.password);
  await panel.getByRole('button', { name: 'Save changes' }).click();
  await expect(
    table.getByRole('row', { name: /North Yard alerts/ }).getByText('connected', { exact: true }),
  ).toBeVisible();
  await expect(page.getByText('1 mailbox with a rejected login')).toBeHidden();
});

test('the messages read, Junk marked as such, and a snapshot shown only when asked', async ({ page }) => {
  await openPage(page, `mailboxes/${connectedId}?tab=messages`);
  const panel = page.getByRole('complementary', { name: 'Harbour control room' });
  const list = panel.getByRole('table', { name: 'Messages read' });
  await expect(
    list.getByRole('row', { name: /heartbeat \[junk-me\]/ }).getByText('Junk', { exact: true }),
  ).toBeVisible();
  await expect(
    list.getByRole('row', { name: /health report/ }).getByText('Inbox', { exact: true }),
  ).toBeVisible();
  await list.getByRole('row', { name: /motion detected/ }).click();
  const dialog = page.getByRole('dialog', { name: /motion detected/ });
  await expect(dialog.getByText('quay03@harbour.test')).toBeVisible();
  await expect(dialog.getByRole('img')).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Show body and snapshots' }).click();
  await expect(dialog.getByRole('img', { name: 'quay03-motion.jpg' })).toBeVisible();
  await expect(dialog.getByText('Camera online. Storage OK.')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Show body and snapshots' })).toBeHidden();
  await shot(page, 'mailbox-message-1366');
});

test('a new mailbox through the form: Test connection finds Inbox and Junk, folders come from the server', async ({
  page,
}) => {
  await openPage(page);
  await page.getByRole('button', { name: 'New mailbox' }).click();
  const panel = page.getByRole('complementary', { name: 'New mailbox' });
  await panel.getByRole('button', { name: /Custom/ }).click();
  await panel.getByLabel('Title').fill('Depot NVR mailbox');
  await panel.getByLabel('IMAP host').fill('127.0.0.1');
  await panel.getByLabel('Security').selectOption('starttls');
  await expect(panel.getByLabel('Port')).toHaveValue('143');
  await panel.getByLabel('Port').fill(String(server.imapPort));
  await panel.getByLabel('User name').fill(server.users.alerts.address);
  await panel.getByLabel('App password').fill(server.users.alerts.password);
  // Without the server's certificate pinned, the test says so in plain words.
  await panel.getByRole('button', { name: 'Test connection' }).click();
  await expect(panel.getByText('Test connection: Certificate not trusted')).toBeVisible();
  await panel.getByText('Trusted certificate (self-signed IMAP servers)').click();
  await panel.getByLabel('Certificate (PEM)').fill(server.certPem);
  await panel.getByRole('button', { name: 'Test connection' }).click();
  await expect(panel.getByText('Test connection passed')).toBeVisible();
  await expect(panel.getByText(/Junk: Junk \(by its \\Junk flag\)/)).toBeVisible();
  await panel.getByRole('checkbox', { name: 'Alarms' }).check();
  await panel.getByRole('checkbox', { name: /North Yard/ }).check();
  await panel.getByText('Test connection passed').scrollIntoViewIfNeeded();
  await shot(page, 'mailbox-form-1366');
  await panel.getByRole('button', { name: 'Create mailbox' }).click();
  const created = page.getByRole('complementary', { name: 'Depot NVR mailbox' });
  await expect(created.getByText('connected').first()).toBeVisible();
  await expect(created.getByText('Alarms', { exact: true })).toBeVisible();
  await expect(
    page.getByRole('table', { name: 'Mailboxes' }).getByRole('row', { name: /Depot NVR mailbox/ }),
  ).toContainText('North Yard');
});
