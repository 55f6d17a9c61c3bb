import { expect, test } from '@playwright/test';
import { makeCertificate } from '../helpers/certs.ts';
import { unwrap } from '../helpers/core.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { startHarness, type Harness } from './harness.ts';
import { shot } from './shots.ts';

test.describe.configure({ mode: 'serial' });

const ACCOUNT = 'alerts.harbour@gmail.test';
const cert = makeCertificate();
let harness: Harness;
let server: TestSmtpServer;

test.beforeAll(async () => {
  // The provider accepts only this app password; the one typed in the test was revoked.
  server = await startSmtpServer({
    mode: 'tls',
    cert,
    users: { [ACCOUNT]: 'currentvalidpass', 'ops.north@gmail.test': 'northnorthnorthn' },
  });
  harness = await startHarness();
  const { api } = harness.t;
  const harbour = unwrap(await api.sites.create({ name: 'Harbour Terminal', customer: 'Portside Ltd' })).id;
  const north = unwrap(await api.sites.create({ name: 'North Yard', customer: 'Borealis Storage' })).id;
  const connector = (siteId: string, title: string) =>
    api.connectors.create({
      siteId,
      title,
      host: '127.0.0.1',
      port: server.port,
      portIsManual: true,
      security: 'tls',
      auth: 'login',
      username: ACCOUNT,
      password: 'currentvalidpass',
      sender: ACCOUNT,
      trustedCertificatePem: cert.cert,
      presetId: 'gmail-ssl',
      connectionTimeoutSec: 5,
    });
  unwrap(await connector(harbour, 'Gmail alerts'));
  const northConnector = unwrap(await connector(north, 'North Gmail')).id;
  const northRecord = unwrap(
    await api.vault.create({
      account: 'ops.north@gmail.test',
      provider: 'gmail',
      label: 'North NVR',
      secret: 'north north north north',
    }),
  );
  unwrap(
    await api.vault.create({
      account: 'nvr@outlook.com',
      provider: 'outlook',
      label: 'Old NVR',
      secret: 'outlookoutlookou',
    }),
  );
  unwrap(
    await api.vault.create({
      account: 'alerts@contoso.test',
      provider: 'office365',
      label: 'Reception',
      secret: 'contosocontosoco',
    }),
  );
  const vendors = [
    ['Hikvision', 'DS-2CD2387G2'],
    ['Axis', 'Q6135-LE'],
    ['Dahua', 'SD49425XB'],
  ];
  for (let i = 1; i <= 8; i++) {
    const [vendor, model] = vendors[i % 3]!;
    unwrap(
      await api.cameras.create({
        siteId: north,
        name: `North cam ${String(i).padStart(2, '0')}`,
        vendor,
        model,
        host: `10.20.0.${20 + i}`,
        serial: `NX-${1000 + i}`,
        location: i % 2 ? 'Perimeter fence' : 'Loading dock',
        connectorId: northConnector,
        smtpLogin: 'ops.north@gmail.test',
        appPasswordId: i <= 6 ? northRecord.id : null,
        recipients: ['security@borealis.test'],
      }),
    );
  }
});
test.afterAll(async () => {
  await harness?.close();
  await server?.close();
});

test('an integrator records an app password and a camera, reveals it, and a failed verify marks it suspected revoked', async ({
  page,
}) => {
  await harness.attach(page);
  await page.goto(`${harness.url}#/vault`);

  await page.getByRole('button', { name: 'New app password' }).click();
  const dialog = page.getByRole('dialog', { name: 'New app password' });
  await dialog.getByLabel('Account').fill(ACCOUNT);
  await dialog.getByLabel('Label at the provider').fill('PTZ Quay 3');
  await dialog.getByLabel('App password', { exact: true }).fill('abcd efgh ijkl');
  await expect(dialog.getByText(/16 letters; this has 12 characters/)).toBeVisible();
  await dialog.getByLabel('App password', { exact: true }).fill('oldo ldol dold oldo');
  await dialog.getByRole('button', { name: 'Save record' }).click();
  await expect(page.getByRole('row', { name: /PTZ Quay 3/ })).toBeVisible();

  await page.getByRole('link', { name: 'Cameras' }).click();
  await page.getByRole('button', { name: 'New camera' }).click();
  const panel = page.getByRole('complementary');
  await panel.getByLabel('Camera name').fill('Quay 3 PTZ');
  await panel.getByLabel('Site', { exact: true }).selectOption({ label: 'Harbour Terminal' });
  await panel.getByLabel('Vendor').fill('Hikvision');
  await panel.getByLabel('Model').fill('DS-2DE4425IW-DE');
  await panel.getByLabel('IP address or host').fill('10.10.3.15');
  await panel.getByLabel('Serial / MAC').fill('44:19:B6:AA:03:15');
  await panel.getByLabel('Location').fill('Quay 3, crane rail');
  await panel.getByLabel('Connector').selectOption({ label: `Gmail alerts (127.0.0.1)` });
  await panel.getByLabel('SMTP login the camera uses').fill(ACCOUNT);
  await panel.getByLabel('App password record').selectOption({ label: `${ACCOUNT} · PTZ Quay 3 (active)` });
  await panel.getByLabel('Recipients').fill('control-room@portside.test');
  await panel
    .getByLabel('Subject template')
    .fill('%Site_Name% – %Camera_Name% – %Event_Type% at %Camera_Location%');
  await expect(panel.getByTestId('subject-preview')).toHaveText(
    'Harbour Terminal – Quay 3 PTZ – Motion detected at Quay 3, crane rail',
  );
  await panel.getByRole('button', { name: 'Create camera' }).click();
  await expect(page.getByRole('row', { name: /Quay 3 PTZ/ })).toBeVisible();
  await shot(page, 'inventory-cameras');

  await page.getByRole('link', { name: 'App passwords' }).click();
  await page.getByRole('row', { name: /PTZ Quay 3/ }).click();
  const record = page.getByRole('complementary');
  await expect(record.getByTestId('secret')).toHaveText('•'.repeat(16));
  await record.getByRole('button', { name: 'Reveal' }).click();
  await expect(record.getByTestId('secret')).toHaveText('oldoldoldoldoldo');
  await record.getByRole('button', { name: 'Close panel' }).click();

  await page.getByRole('link', { name: 'Audit log' }).click();
  const audit = page.getByRole('table', { name: 'Audit log' });
  await expect(
    audit.getByRole('row').filter({ hasText: 'reveal' }).filter({ hasText: 'PTZ Quay 3' }),
  ).toHaveCount(1);

  await page.getByRole('link', { name: 'App passwords' }).click();
  await page.getByRole('row', { name: /PTZ Quay 3/ }).click();
  await page.getByRole('complementary').getByRole('button', { name: 'Verify (no e-mail)' }).click();
  await expect(
    page
      .getByRole('region', { name: 'Verification' })
      .getByText(/Verification finished: 0 accepted, 1 rejected/),
  ).toBeVisible();
  await page.getByRole('complementary').getByRole('button', { name: 'Close panel' }).click();
  await expect(page.getByRole('row', { name: /PTZ Quay 3/ }).getByText('suspected-revoked')).toBeVisible();
  expect(server.received).toHaveLength(0);

  const findings = page.getByRole('region', { name: 'Findings' });
  await expect(findings.getByText(/1 app password suspected revoked/)).toBeVisible();
  await expect(findings.getByText(/at Outlook\.com/)).toBeVisible();
  await expect(findings.getByText(/at Office 365/)).toBeVisible();
  await expect(findings.getByText(/2 cameras without an app-password record/)).toBeVisible();
  // The Outlook.com finding and the row agree; the format flag says what it means.
  await expect(page.getByRole('row', { name: /nvr@outlook\.com/ })).toContainText('blocked by Outlook.com');
  const flag = page.getByRole('row', { name: /ops\.north@gmail\.test/ }).getByText('not 16 letters');
  await expect(flag.locator('xpath=..')).toHaveAttribute(
    'title',
    /Expected 16 letters for a Google app password/,
  );
  await shot(page, 'vault-findings');

  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(
    page.getByRole('table', { name: 'Audit log' }).getByRole('row').filter({ hasText: 'verify' }).first(),
  ).toContainText('auth-failed');
  // Sortable: by action, A to Z and back.
  const log = page.getByRole('table', { name: 'Audit log' });
  const action = log.getByRole('columnheader', { name: /Action/ });
  await action.getByRole('button').click();
  await expect(action).toHaveAttribute('aria-sort', 'ascending');
  await expect(log.getByRole('row').nth(1)).toContainText('create');
  await action.getByRole('button').click();
  await expect(action).toHaveAttribute('aria-sort', 'descending');
  await expect(log.getByRole('row').nth(1)).toContainText('verify');
  await shot(page, 'audit-log');
});

test('cameras are imported from a semicolon CSV with a preview, and bad rows are listed, not imported', async ({
  page,
}) => {
  await harness.attach(page);
  await page.goto(`${harness.url}#/cameras`);
  await page.getByRole('button', { name: 'Import CSV…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import cameras from CSV' });
  const csv = [
    '\uFEFFSite;Camera name;IP address;MAC;Recipients;Location',
    'Harbour Terminal;Quay 1 fixed;10.10.1.11;44:19:B6:AA:01:11;control-room@portside.test;"Quay 1; north end"',
    'Harbour Terminal;Quay 2 fixed;10.10.2.12;44:19:B6:AA:02:12;control-room@portside.test;Quay 2',
    'Harbour Terminal;Quay 1 fixed;10.10.1.99;44:19:B6:AA:01:99;control-room@portside.test;duplicate name',
    'Nowhere Site;Ghost cam;10.0.0.1;00:00:00:00:00:01;ops@example.test;unknown site',
    'Harbour Terminal;Gate cam;10.10.0.5;44:19:B6:AA:00:05;not-an-address;Gate',
  ].join('\r\n');
  await dialog
    .getByLabel('CSV file')
    .setInputFiles({ name: 'harbour-cameras.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  await expect(dialog.getByText(/5 rows: 2 ready to import, 3 with problems/)).toBeVisible();
  await expect(dialog.getByRole('combobox', { name: 'Column IP address' })).toHaveValue('host');
  const problems = dialog.getByRole('list', { name: 'Rows with problems' });
  await expect(problems).toContainText('Line 4');
  await expect(problems).toContainText('Line 5');
  await expect(problems).toContainText('Line 6');
  await shot(page, 'camera-import-preview');
  await dialog.getByRole('button', { name: 'Import 2 good rows' }).click();
  await expect(dialog.getByText('2 cameras imported.')).toBeVisible();
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(page.getByRole('row', { name: /Quay 2 fixed/ })).toBeVisible();
  await expect(page.getByRole('row', { name: /Ghost cam/ })).toHaveCount(0);
});

test('the inventory is exported as an encrypted backup, and a wrong passphrase restores nothing', async ({
  page,
}) => {
  await harness.attach(page);
  await page.goto(`${harness.url}#/backup`);
  await page.getByLabel('Passphrase', { exact: true }).fill('short');
  await page.getByLabel('Repeat the passphrase').fill('short');
  await page.getByRole('button', { name: 'Export backup…' }).click();
  await expect(page.getByText('Use a passphrase of at least 10 characters.')).toBeVisible();
  await page.getByLabel('Passphrase', { exact: true }).fill('harbour backup 2026');
  await page.getByLabel('Repeat the passphrase').fill('harbour backup 2026');
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export backup…' }).click();
  const file = await downloading;
  expect(file.suggestedFilename()).toMatch(/\.adbackup$/);
  const content = await (await import('node:fs/promises')).readFile((await file.path())!, 'utf8');
  expect(content).not.toContain('oldoldoldoldoldo');

  await page.getByLabel('Backup file').setInputFiles({
    name: file.suggestedFilename(),
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(content),
  });
  await page.getByLabel('Passphrase of the backup').fill('not the passphrase');
  await page.getByRole('button', { name: 'Restore…' }).click();
  await page.getByRole('button', { name: 'Replace with the backup' }).click();
  await expect(page.getByText(/passphrase is wrong|changed or damaged/).first()).toBeVisible();
  await page.getByLabel('Passphrase of the backup').fill('harbour backup 2026');
  await page.getByRole('button', { name: 'Restore…' }).click();
  await page.getByRole('button', { name: 'Replace with the backup' }).click();
  await expect(
    page.getByText(/Restored \d+ sites, \d+ connectors, \d+ cameras, \d+ app passwords/),
  ).toBeVisible();
  await shot(page, 'backup');
});
