import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { unwrap } from '../helpers/core.ts';
import { makeCertificate } from '../helpers/certs.ts';
import {
  fakeBrowser,
  signInEnded,
  startFakeAuthServer,
  xoauth2Smtp,
  type FakeAuthServer,
  useFakeApps,
} from '../helpers/fake-oauth.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { startHarness, type Harness } from './harness.ts';
import { shot } from './shots.ts';

test.describe.configure({ mode: 'serial' });

let harness: Harness;
let fake: FakeAuthServer;
let smtp: TestSmtpServer;
const cert = makeCertificate();
const browser = fakeBrowser();
const ids: Record<string, string> = {};

test.beforeAll(async () => {
  fake = await startFakeAuthServer();
  fake.deviceInterval = 1;
  smtp = await startSmtpServer({ mode: 'starttls', cert, users: {}, extra: xoauth2Smtp(fake).extra });
  harness = await startHarness({ core: { browser, oauthEndpoints: fake.endpoints } });
  const { api } = harness.t;
  await useFakeApps(api, fake);
  const site = async (name: string, customer: string) =>
    unwrap(await api.sites.create({ name, customer })).id;
  ids.harbour = await site('Harbour Terminal', 'Portside Ltd');
  ids.depot = await site('North Depot', 'Portside Ltd');
  ids.school = await site('Riverside School', 'County Council');
  const connector = async (siteId: string, title: string, host: string, username: string, extra = {}) =>
    unwrap(
      await api.connectors.create({
        siteId,
        title,
        host,
        port: 587,
        security: 'starttls',
        auth: 'login',
        username,
        password: 'Password-123',
        sender: username,
        ...extra,
      }),
    ).id;
  ids.m365 = await connector(
    ids.harbour,
    'Security alerts',
    'smtp.office365.com',
    'alerts@portside.example',
    {
      presetId: 'office365',
    },
  );
  ids.outlook = await connector(ids.depot, 'Depot NVR', 'smtp-mail.outlook.com', 'depotcams@outlook.com');
  ids.gmail = await connector(ids.school, 'School alerts', 'smtp.gmail.com', 'school.alerts@gmail.com', {
    port: 465,
    security: 'tls',
  });
  const gate = unwrap(
    await api.vault.create({
      account: 'cam-gate@portside.example',
      provider: 'office365',
      label: 'Gate camera',
      secret: 'qwertyuiopasdfgh',
    }),
  ).id;
  for (const [name, extra] of [
    ['Gate PTZ', { smtpLogin: 'cam-gate@portside.example', appPasswordId: gate }],
    ['Quay 1 bullet', {}],
    ['Quay 2 bullet', {}],
    ['Warehouse dome', {}],
  ] as const)
    unwrap(await api.cameras.create({ siteId: ids.harbour, name, connectorId: ids.m365, ...extra }));
  for (const name of ['Depot gate', 'Depot yard'])
    unwrap(await api.cameras.create({ siteId: ids.depot, name, connectorId: ids.outlook }));
  unwrap(await api.cameras.create({ siteId: ids.school, name: 'Main hall', connectorId: ids.gmail }));
});

test.afterAll(async () => {
  await harness?.close();
  await fake?.close();
  await smtp?.close();
});

test('the readiness view lists what stops, by site and account, and exports it for the customer', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await harness.attach(page);
  await page.goto(`${harness.url}#/readiness`);
  await expect(page.locator('[data-readiness-ready]')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Summary' })).toContainText(
    '7 cameras and 3 connectors at 3 sites (4 accounts) log in with a password.',
  );
  const table = page.locator('table.readiness-table');
  await expect(table.locator('tr.readiness-site')).toHaveText([
    'Harbour Terminal · Portside Ltd',
    'North Depot · Portside Ltd',
    'Riverside School · County Council',
  ]);
  const gate = table.getByRole('row', { name: /^Camera Gate PTZ/ });
  await expect(gate).toContainText('Stops at the cutoff');
  await expect(gate).toContainText('An SMTP relay on site');
  const row = (name: string) => table.getByRole('row', { name: new RegExp(`^(Connector|Camera) ${name}`) });
  await expect(row('Depot NVR')).toContainText('Already refused');
  await expect(row('School alerts')).toContainText('At risk');
  await expect(page.getByRole('region', { name: 'Ways out' })).toContainText(
    "Microsoft 365 relay connector by the site's IP",
  );
  await shot(page, 'readiness-affected-1366');

  await page.getByLabel('Customer').selectOption('Portside Ltd');
  await expect(table.locator('tr.readiness-site')).toHaveCount(2);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^basic-auth-readiness-portside-ltd-.*\.csv$/);
  const csv = await readFile(await file.path(), 'utf8');
  expect(csv).toContain('Gate PTZ');
  expect(csv).not.toContain('Riverside School');
  expect(csv).not.toContain('Password-123');

  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('.readiness-print-head h1')).toHaveText('Portside Ltd');
  await expect(page.locator('.sidebar')).toBeHidden();
  await shot(page, 'readiness-print-1366');
  await page.emulateMedia({ media: 'screen' });
});

test('an OAuth2 connector: the device code is shown, the sign-in completes and the connector saves', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await harness.attach(page);
  fake.signInAs = { email: 'alerts@portside.example', name: 'Portside Alerts' };
  fake.deviceScript = []; // pending until the test lets the integrator "sign in"
  await page.goto(`${harness.url}#/connectors/new?site=${ids.harbour}`);
  await page.getByRole('button', { name: /Microsoft 365 — OAuth2/ }).click();
  await expect(page.getByLabel('Authentication')).toHaveValue('xoauth2');
  await expect(page.getByLabel('Password')).toHaveCount(0);
  await page.getByLabel('User name (the mailbox)').fill('alerts@portside.example');
  await page.getByRole('button', { name: 'Sign-in apps (client IDs)…' }).click();
  const apps = page.getByRole('dialog', { name: 'Sign-in apps' });
  await expect(apps.getByLabel('Microsoft client ID (Application ID)')).toHaveValue(fake.clientId);
  await expect(apps.getByLabel('Microsoft tenant')).toHaveValue('common');
  await shot(page, 'oauth-sign-in-apps-1366');
  await apps.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
  const code = page.getByLabel('Sign-in code');
  await expect(code).toHaveText(/^[0-9A-F]{8}$/);
  await page.getByRole('button', { name: /^Open / }).click();
  await expect.poll(() => browser.opened.at(-1)).toBe(`${fake.base}/ms/device`);
  await shot(page, 'connector-oauth-device-code-1366');

  fake.deviceScript = ['approve'];
  const box = page.getByLabel('OAuth2 sign-in');
  await expect(box).toContainText('Signed in as alerts@portside.example');
  await page.getByLabel('Sender address').fill('alerts@portside.example');
  await page.getByRole('button', { name: 'Create connector' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'saved' })).toBeVisible();
  await page.getByRole('tab', { name: 'Settings' }).click();
  await expect(box).toContainText('signed in');
  await box.scrollIntoViewIfNeeded();
  await expect(page.getByLabel('Microsoft 365 alerts')).toContainText('OAuth2 as alerts@portside.example');
  await shot(page, 'connector-oauth-signed-in-1366');

  const saved = unwrap(await harness.t.api.connectors.list()).find((c) => c.auth === 'xoauth2');
  expect(saved?.oauthAccountId).toBeTruthy();
  const audit = unwrap(await harness.t.api.audit.query({ filter: { action: 'sign-in' } })).rows;
  expect(audit[0]).toMatchObject({ result: 'ok', recordLabel: 'Microsoft · alerts@portside.example' });

  // The mailbox's owner revokes AlertDesk's access: the table and the form say to sign in again.
  fake.revoke('alerts@portside.example');
  expect(unwrap(await harness.t.api.oauth.check({ id: saved!.oauthAccountId! })).status).toBe(
    'consent-revoked',
  );
  await page.goto(`${harness.url}#/connectors`);
  await page.reload();
  const row = page.getByRole('row', { name: /Microsoft 365 alerts/ });
  await expect(row).toContainText('sign in again');
  await row.click();
  await expect(box).toContainText('consent revoked');
  await expect(box.getByRole('alert')).toContainText('Sign in again with the mailbox');
  await expect(box.getByRole('button', { name: 'Sign in again' })).toBeVisible();
  await box.scrollIntoViewIfNeeded();
  await shot(page, 'connector-oauth-revoked-1366');
});

test('a sign-in as the wrong mailbox is refused with the fix in plain words', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await harness.attach(page);
  fake.signInAs = { email: 'reception@portside.example' };
  fake.deviceScript = ['pending', 'approve'];
  await page.goto(`${harness.url}#/connectors/new?site=${ids.depot}`);
  await page.getByRole('button', { name: /Microsoft 365 — OAuth2/ }).click();
  await page.getByLabel('User name (the mailbox)').fill('alerts@portside.example');
  await page.getByRole('button', { name: 'Sign in with Microsoft' }).click();
  const box = page.getByLabel('OAuth2 sign-in');
  await expect(box.getByRole('alert')).toContainText(
    'You signed in as reception@portside.example, but this connector logs in as alerts@portside.example',
  );
  await shot(page, 'connector-oauth-wrong-account-1366');
});

test('an OAuth2 test e-mail is sent with the sign-in; once consent is revoked it says to sign in again', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await harness.attach(page);
  const { api } = harness.t;
  fake.signInAs = { email: 'cams@portside.example' };
  fake.deviceScript = ['approve'];
  const start = unwrap(await api.oauth.startSignIn({ provider: 'microsoft' }));
  expect(start.method).toBe('device-code');
  const account = (await signInEnded(api, start.flowId)).account!;
  const id = unwrap(
    await api.connectors.create({
      siteId: ids.depot!,
      title: 'Depot OAuth2',
      host: '127.0.0.1',
      port: smtp.port,
      portIsManual: true,
      security: 'starttls',
      auth: 'xoauth2',
      username: 'cams@portside.example',
      oauthAccountId: account.id,
      sender: 'cams@portside.example',
      trustedCertificatePem: cert.cert,
      connectionTimeoutSec: 10,
    }),
  ).id;
  await page.goto(`${harness.url}#/connectors/${id}?tab=test`);
  await page.getByLabel('To', { exact: true }).fill('ops@example.test');
  await page.getByRole('button', { name: 'Send test e-mail' }).click();
  const result = page.getByTestId('delivery-result');
  await expect(result.getByText('Passed', { exact: true })).toBeVisible();
  expect(smtp.received.at(-1)?.user).toBe('cams@portside.example');

  fake.revoke('cams@portside.example');
  await page.getByRole('button', { name: 'Send test e-mail' }).click();
  await expect(result.locator('.verdict code.class-code')).toHaveText('oauth-consent-revoked');
  await expect(result.locator('.verdict .explanation')).toContainText('Sign in again with the mailbox');
  await shot(page, 'test-email-oauth-revoked-1366');
  await result.getByRole('button', { name: "Open the connector's sign-in" }).click();
  await expect(page.getByLabel('OAuth2 sign-in')).toContainText('consent revoked');
});
