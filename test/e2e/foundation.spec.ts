import { expect, test } from '@playwright/test';
import { makeCertificate } from '../helpers/certs.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { startHarness, type Harness } from './harness.ts';
import { shot } from './shots.ts';

const USER = 'alerts.riverside@gmail.test';
const APP_PASSWORD = 'abcdefghijklmnop';

test.describe.configure({ mode: 'serial' });

let harness: Harness;
let server: TestSmtpServer;
const cert = makeCertificate();

test.beforeAll(async () => {
  server = await startSmtpServer({
    mode: 'tls',
    cert,
    users: { [USER]: APP_PASSWORD },
    authMethods: ['PLAIN', 'LOGIN'],
  });
  harness = await startHarness();
});
test.afterAll(async () => {
  await harness?.close();
  await server?.close();
});

test('an integrator creates a site, adds a Gmail connector, sends a test e-mail, and sees a wrong password explained', async ({
  page,
}) => {
  await harness.attach(page);
  await page.goto(harness.url);

  // ── The Overview comes first; with nothing in it, it leads to Sites ──
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(page.getByText('No sites yet')).toBeVisible();
  await page.getByRole('button', { name: 'Create the first site' }).click();

  // ── Sites ──
  await expect(page.getByRole('heading', { name: 'Sites' })).toBeVisible();
  await expect(page.getByText('No sites yet')).toBeVisible();
  await page.getByRole('button', { name: 'New site' }).click();
  await page.getByRole('button', { name: 'Save site' }).click();
  await expect(page.getByText('Site name is required.').first()).toBeVisible();
  await page.getByLabel('Site name').fill('Riverside Depot');
  await page.getByLabel('Customer').fill('Acme Logistics');
  await page.getByLabel('Address').fill('12 Quay Road, Riverside');
  await page.getByLabel('Contact').fill('Dana Ortiz, +1 555 0100');
  await page.getByRole('button', { name: 'Save site' }).click();
  await expect(page.getByRole('row', { name: /Riverside Depot/ })).toBeVisible();

  await page.getByRole('button', { name: 'New site' }).click();
  await page.getByLabel('Site name').fill('North Yard');
  await page.getByLabel('Customer').fill('Borealis Storage');
  await page.getByLabel('Handover', { exact: true }).selectOption('handed-over');
  await page.getByRole('button', { name: 'Save site' }).click();
  await expect(page.getByRole('row', { name: /North Yard/ })).toBeVisible();
  await shot(page, 'sites-table');

  // ── A connector from the Gmail preset, pointed at the local server ──
  await page.getByRole('link', { name: 'Connectors' }).click();
  await page.getByRole('button', { name: 'New connector' }).click();
  await page.getByRole('button', { name: /Gmail — SSL on 465/ }).click();
  await expect(page.getByLabel('SMTP host')).toHaveValue('smtp.gmail.com');
  await expect(page.getByLabel('Port')).toHaveValue('465');
  await expect(page.getByText(/needs an app password/)).toBeVisible();
  await page.getByLabel('Site', { exact: true }).selectOption({ label: 'Riverside Depot' });
  await page.getByLabel('Title (its purpose)').fill('Security alerts');
  await page.getByLabel('SMTP host').fill('127.0.0.1');
  await page.getByLabel('Port').fill(String(server.port));
  await page.getByLabel('User name').fill(USER);
  await page.getByLabel('Password').fill('abcd efgh ijkl mnop');
  await page.getByLabel('Sender address').fill('alerts.riverside@gmail.test');
  await page.getByText('Trusted certificate (self-signed relays)').click();
  await page.getByLabel('Certificate (PEM)').fill(cert.cert);
  await page.getByRole('button', { name: 'Check certificate' }).click();
  await expect(page.getByText('(self-signed)')).toBeVisible();
  await shot(page, 'connector-form');
  await page.getByRole('button', { name: 'Create connector' }).click();

  // ── Test e-mail: success ──
  await expect(page.getByRole('tab', { name: 'Test e-mail' })).toHaveAttribute('aria-selected', 'true');
  await page.getByLabel('To', { exact: true }).fill('ops@example.test, night-shift@example.test');
  await page.getByLabel('Cc', { exact: true }).fill('manager@example.test');
  await page.getByLabel('Importance').selectOption('high');
  await page.getByRole('button', { name: 'Send test e-mail' }).click();
  const result = page.getByTestId('delivery-result');
  await expect(result.getByText('Passed', { exact: true })).toBeVisible();
  await expect(
    result.getByText('ops@example.test, night-shift@example.test, manager@example.test'),
  ).toBeVisible();
  await expect(result.getByText(/^250 /)).toBeVisible();
  expect(server.received).toHaveLength(1);
  expect(server.received[0]!.parsed.subject).toBe('AlertDesk test — Security alerts');
  await result.locator('details.attempt summary').click();
  await shot(page, 'test-email-success');

  // ── The connector is now RUN ──
  await page.getByRole('button', { name: 'Close panel' }).click();
  const row = page.getByRole('row', { name: /Security alerts/ });
  await expect(row.getByText('RUN')).toBeVisible();
  await expect(row.getByText(/passed/)).toBeVisible();
  await shot(page, 'connectors-table');

  // ── A wrong password, explained ──
  await row.click();
  await page.getByLabel(/Password \(stored/).fill('wrongwrongwrongw');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Connector "Security alerts" saved.')).toBeVisible();
  await page.getByRole('tab', { name: 'Test e-mail' }).click();
  await page.getByLabel('To', { exact: true }).fill('ops@example.test');
  await page.getByRole('button', { name: 'Send test e-mail' }).click();
  await expect(result.getByText('Failed', { exact: true })).toBeVisible();
  const verdict = result.locator('.verdict');
  await expect(verdict.getByRole('heading', { name: /Login rejected/ })).toBeVisible();
  await expect(verdict.locator('code.class-code')).toHaveText('auth-failed');
  await expect(verdict.locator('.explanation')).toContainText(
    'rejected the login of alerts.riverside@gmail.test',
  );
  await expect(verdict.locator('.fix')).toContainText('app password');
  await expect(verdict.getByText(/^AUTH (PLAIN|LOGIN)/)).toBeVisible();
  await expect(verdict.getByText(/^535 /)).toBeVisible();
  await shot(page, 'test-email-failure');
  expect(server.received).toHaveLength(1);
});

test('a bad address in the test e-mail is shown at its field and nothing is sent', async ({ page }) => {
  await harness.attach(page);
  await page.goto(`${harness.url}#/connectors`);
  await page.getByRole('row', { name: /Security alerts/ }).click();
  await page.getByRole('tab', { name: 'Test e-mail' }).click();
  await page.getByLabel('To', { exact: true }).fill('ops@example.test, nobody-at-example.test');
  await page.getByRole('button', { name: 'Send test e-mail' }).click();
  await expect(page.getByText(/"nobody-at-example.test" has no @/).first()).toBeVisible();
  await expect(page.getByLabel('To', { exact: true })).toHaveValue(
    'ops@example.test, nobody-at-example.test',
  );
  await expect(page.getByLabel('To', { exact: true })).toHaveAttribute('aria-invalid', 'true');
});
