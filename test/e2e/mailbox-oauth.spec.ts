import { expect, test, type Page } from '@playwright/test';
import { unwrap } from '../helpers/core.ts';
import { fakeBrowser, startFakeAuthServer, type FakeAuthServer, useFakeApps } from '../helpers/fake-oauth.ts';
import { deliver } from '../helpers/watchers.ts';
import { SKIP_ENV, startMailServer, type MailServer } from '../mailserver/mailserver.ts';
import { startHarness, type Harness } from './harness.ts';
import { shot } from './shots.ts';

/**
 * A watched mailbox with OAuth2 in Chromium, on the real core and real Dovecot (its oauth2 pass
 * database asking the fake authorization server about each token): created through the form with
 * the Microsoft sign-in (device code), tested and watched; then its consent revoked — login
 * rejected, "sign in again", and the button beside the verdict that signs in again.
 */

test.describe.configure({ mode: 'serial' });
test.skip(process.env[SKIP_ENV] === '1', `${SKIP_ENV}=1: no Postfix/Dovecot for the watchers`);

let harness: Harness;
let server: MailServer;
let fake: FakeAuthServer;
const browser = fakeBrowser();
let user: { address: string; password: string };

test.beforeAll(async () => {
  fake = await startFakeAuthServer();
  fake.deviceInterval = 1;
  server = await startMailServer({ oauth2: { introspectionUrl: fake.introspectionUrl } });
  user = server.users.oauth;
  fake.signInAs = { email: user.address, name: 'Control Room' };
  harness = await startHarness({ watchMailboxes: true, core: { browser, oauthEndpoints: fake.endpoints } });
  const { api } = harness.t;
  await useFakeApps(api, fake);
  const harbour = unwrap(await api.sites.create({ name: 'Harbour Terminal', customer: 'Portside Ltd' })).id;
  for (const name of ['Quay cam 01', 'Quay cam 02', 'Gate PTZ'])
    unwrap(await api.cameras.create({ siteId: harbour, name, recipients: [user.address] }));
  await deliver(server, user.address, 'Quay cam 01 heartbeat', { from: 'quay01@harbour.test' });
  await server.waitForMessage(
    user.address,
    user.password,
    (m) => m.parsed.subject === 'Quay cam 01 heartbeat',
  );
});

test.afterAll(async () => {
  await harness?.close();
  await server?.stop();
  await fake?.close();
});

async function openPage(page: Page, path = 'mailboxes') {
  await harness.attach(page);
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto(`${harness.url}#/${path}`);
}

test('a mailbox with OAuth2 through the form: preset, Microsoft sign-in with a code, Test connection, watched', async ({
  page,
}) => {
  await openPage(page);
  await page.getByRole('button', { name: 'New mailbox' }).click();
  const panel = page.getByRole('complementary', { name: 'New mailbox' });
  await panel.getByRole('button', { name: /Microsoft 365 — OAuth2/ }).click();
  await expect(panel.getByLabel('Login method')).toHaveValue('oauth2');
  await expect(panel.getByLabel('App password')).toHaveCount(0);
  await expect(panel.getByLabel('IMAP host')).toHaveValue('outlook.office365.com');
  // The site's own test server stands in for Exchange Online: its host, port and certificate.
  await panel.getByLabel('IMAP host').fill('127.0.0.1');
  await panel.getByLabel('Security').selectOption('starttls');
  await panel.getByLabel('Port').fill(String(server.imapPort));
  await panel.getByText('Trusted certificate (self-signed IMAP servers)').click();
  await panel.getByLabel('Certificate (PEM)').fill(server.certPem);

  // Saving before anyone signed in says what to do, at the sign-in.
  await panel.getByLabel('User name (the mailbox)').fill(user.address);
  await panel.getByRole('button', { name: 'Create mailbox' }).click();
  const box = panel.getByLabel('OAuth2 sign-in');
  await expect(box).toContainText(`Sign in with ${user.address} first`);
  await expect(box).toContainText('AlertDesk asks to read the mailbox (IMAP) and to stay signed in.');

  fake.deviceScript = []; // pending until the integrator has signed in at "Microsoft"
  await box.getByRole('button', { name: 'Sign in with Microsoft' }).click();
  await expect(box.getByLabel('Sign-in code')).toHaveText(/^[0-9A-F]{8}$/);
  await box.getByRole('button', { name: /^Open / }).click();
  await expect.poll(() => browser.opened.at(-1)).toBe(`${fake.base}/ms/device`);
  await box.scrollIntoViewIfNeeded();
  await shot(page, 'mailbox-oauth-device-code-1366');

  fake.deviceScript = ['approve'];
  await expect(box).toContainText(`Signed in as ${user.address}`);
  await expect(box).toContainText('allows reading mail');
  await panel.getByRole('button', { name: 'Test connection' }).click();
  await expect(panel.getByText('Test connection passed')).toBeVisible();
  await expect(panel.getByText(/Junk: Junk \(by its \\Junk flag\)/)).toBeVisible();
  await panel.getByRole('checkbox', { name: /Harbour Terminal/ }).check();
  await panel.getByLabel('Title').fill('Harbour control room (M365)');
  await box.scrollIntoViewIfNeeded();
  await shot(page, 'mailbox-form-oauth-1366');

  await panel.getByRole('button', { name: 'Create mailbox' }).click();
  const created = page.getByRole('complementary', { name: 'Harbour control room (M365)' });
  await expect(created.getByText('connected').first()).toBeVisible();
  await expect(created).toContainText('OAuth2');
  const row = page
    .getByRole('table', { name: 'Mailboxes' })
    .getByRole('row', { name: /Harbour control room/ });
  await expect(row.getByText('connected', { exact: true })).toBeVisible();
  await expect(row.getByText('signed in', { exact: true })).toBeVisible();
  await expect(row.getByText('1', { exact: true })).toBeVisible();
  const saved = unwrap(await harness.t.api.mailboxes.list())[0]!;
  expect(saved).toMatchObject({ auth: 'oauth2', hasPassword: false, signIn: { state: 'signed-in' } });
  await shot(page, 'mailbox-oauth-connected-1366');
  await created.getByRole('button', { name: 'Close' }).first().click();
  await expect(created).toBeHidden();
  await shot(page, 'mailboxes-oauth-1366');
});

test('a revoked consent: login rejected with "sign in again", and the button beside the verdict signs in again', async ({
  page,
}) => {
  const { api } = harness.t;
  const mailbox = unwrap(await api.mailboxes.list())[0]!;
  fake.revoke(user.address);
  await server.mailboxes.kick(user.address); // the server ends the session; the next login is refused
  await openPage(page);
  const table = page.getByRole('table', { name: 'Mailboxes' });
  const row = table.getByRole('row', { name: /Harbour control room/ });
  await expect(row.getByText('login rejected', { exact: true })).toBeVisible();
  await expect(row.getByText('Sign-in revoked')).toBeVisible();
  await expect(row.getByText('consent revoked', { exact: true })).toBeVisible();
  await expect(page.getByText('1 mailbox with a rejected login')).toBeVisible();
  await shot(page, 'mailboxes-oauth-revoked-1366');

  await row.click();
  const panel = page.getByRole('complementary', { name: 'Harbour control room (M365)' });
  const verdict = panel.getByRole('alert').filter({ hasText: 'Sign-in revoked' });
  await expect(verdict).toContainText('What to do: Sign in again with the mailbox');
  await expect(verdict).toContainText('The watcher does not try again by itself');
  await expect(verdict.getByText(/Next try/)).toHaveCount(0);
  await shot(page, 'mailbox-oauth-revoked-1366');
  expect(
    harness.t.core.watchers.status(harness.t.core.inventory.mailbox(mailbox.id)!).nextAttemptAt,
  ).toBeNull();

  fake.deviceScript = ['pending', 'approve'];
  await verdict.getByRole('button', { name: 'Sign in again' }).click();
  const box = panel.getByLabel('OAuth2 sign-in');
  await expect(box.getByLabel('Sign-in code')).toBeVisible();
  await expect(box).toContainText(`Signed in as ${user.address}`);
  await expect(row.getByText('connected', { exact: true })).toBeVisible();
  await expect(row.getByText('signed in', { exact: true })).toBeVisible();
  await expect(page.getByText('1 mailbox with a rejected login')).toBeHidden();
});
