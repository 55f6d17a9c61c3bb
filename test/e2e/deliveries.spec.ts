import { expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { makeCertificate } from '../helpers/certs.ts';
import { unwrap } from '../helpers/core.ts';
import { fillHistory } from '../helpers/history-fill.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { startHarness, type Harness } from './harness.ts';
import { shot } from './shots.ts';

test.describe.configure({ mode: 'serial' });

const USER = 'alerts@relay.test';
const PASSWORD = 'relay-password-77';
const cert = makeCertificate();
let harness: Harness;
let good: TestSmtpServer;
let throttling: TestSmtpServer;
let connectorId: string;
let throttledId: string;

test.beforeAll(async () => {
  good = await startSmtpServer({ mode: 'starttls', cert, users: { [USER]: PASSWORD } });
  throttling = await startSmtpServer({
    mode: 'starttls',
    cert,
    users: { [USER]: PASSWORD },
    extra: {
      onMailFrom(_address, _session, callback) {
        const err = new Error('4.7.0 Too many messages, try again later') as Error & { responseCode: number };
        err.responseCode = 421;
        callback(err);
      },
    },
  });
  harness = await startHarness();
  const { api, core } = harness.t;
  fillHistory(core.deliveries, {
    deliveries: 600,
    sites: 4,
    connectorsPerSite: 2,
    camerasPerSite: 12,
    spanMs: 20 * 86_400_000,
    now: Date.now(),
    seed: 3,
  });
  const site = unwrap(await api.sites.create({ name: 'Harbour Warehouse', customer: 'Portside Ltd' }));
  const base = {
    siteId: site.id,
    host: '127.0.0.1',
    portIsManual: true,
    security: 'starttls',
    auth: 'login',
    username: USER,
    password: PASSWORD,
    sender: USER,
    trustedCertificatePem: cert.cert,
    connectionTimeoutSec: 5,
  } as const;
  connectorId = unwrap(await api.connectors.create({ ...base, title: 'Relay alerts', port: good.port })).id;
  throttledId = unwrap(
    await api.connectors.create({
      ...base,
      title: 'Throttled relay',
      port: throttling.port,
      retryDelaysSec: [3, 3],
    }),
  ).id;
});
test.afterAll(async () => {
  await harness?.close();
  await good?.close();
  await throttling?.close();
});

test('a throttled test e-mail waits, retries and ends with its class and fix', async ({ page }) => {
  await harness.attach(page);
  await page.goto(`${harness.url}#/connectors/${throttledId}?tab=test`);
  await page.getByLabel('To', { exact: true }).fill('ops@example.test');
  await page.getByRole('button', { name: 'Send test e-mail' }).click();
  const result = page.getByTestId('delivery-result');
  await expect(result.getByText('Waiting to retry')).toBeVisible();
  await expect(result.getByText(/next try in \d s/)).toBeVisible();
  await expect(result.locator('.verdict code.class-code')).toHaveText('rate-limited');
  await expect(result.locator('.verdict .explanation')).toContainText('421');
  await shot(page, 'test-email-retrying');
  await expect(result.getByText('Failed', { exact: true })).toBeVisible({ timeout: 30_000 });
  await expect(result.locator('.verdict .fix')).toContainText('throttling');
  await expect(result.locator('details.attempt')).toHaveCount(3);
});

test('the Delivery table filters, sorts, shows the detail with transcript and fix, and exports CSV', async ({
  page,
}) => {
  await harness.attach(page);
  await page.goto(`${harness.url}#/connectors/${connectorId}?tab=test`);
  await page.getByLabel('To', { exact: true }).fill('ops@example.test');
  await page.getByRole('button', { name: 'Send test e-mail' }).click();
  await expect(page.getByTestId('delivery-result').getByText('Passed', { exact: true })).toBeVisible();

  await page.getByRole('link', { name: 'Deliveries' }).click();
  const table = page.getByRole('table', { name: 'Deliveries' });
  await expect(page.getByText(/^60[2-9] rows$/)).toBeVisible();
  await expect(table.getByRole('row').nth(1)).toContainText('Harbour Warehouse');
  await shot(page, 'deliveries-table');

  await page.getByLabel('Filter by status').selectOption('failed');
  // On a laptop-sized window the less used filters are behind one button, keeping the bar one row.
  await page.getByRole('button', { name: /^More filters/ }).click();
  await page.getByLabel('Filter by failure class').selectOption({ label: 'Login rejected' });
  await expect(page.getByRole('button', { name: 'More filters (1) ▾' })).toBeVisible();
  await expect(page.getByText(/^\d+ rows?$/)).not.toHaveText('0 rows');
  const count = Number((await page.getByText(/^\d+ rows?$/).textContent())!.split(' ')[0]);
  const expected = harness.t.core.db
    .prepare("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'failed' AND failure_class = 'auth-failed'")
    .get() as { n: number };
  expect(count).toBe(expected.n);
  await table.getByRole('columnheader', { name: /Took/ }).getByRole('button').click();
  await expect(table.getByRole('columnheader', { name: /Took/ })).toHaveAttribute('aria-sort', 'ascending');

  await table.locator('[data-row-id]').first().click();
  const panel = page.getByRole('complementary');
  await expect(panel.locator('.verdict code.class-code')).toHaveText('auth-failed');
  await expect(panel.locator('.verdict .fix')).toContainText('app password');
  await panel.locator('details.attempt').last().locator('summary').click();
  await expect(panel.getByLabel('SMTP transcript').last()).toContainText('AUTH PLAIN /* redacted */');
  await shot(page, 'delivery-detail');
  await panel.getByRole('button', { name: 'Close', exact: true }).click();

  const downloadPromise = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/^alertdesk-deliveries-.*\.csv$/);
  const csv = await readFile((await download.path())!, 'utf8');
  expect(csv.trim().split('\r\n')).toHaveLength(expected.n + 1);
  expect(csv).toContain('auth-failed');
});

test('a connector is diagnosed step by step without sending, and working settings are found', async ({
  page,
}) => {
  await harness.attach(page);
  await page.goto(`${harness.url}#/connectors/${connectorId}?tab=diagnose`);
  const before = good.received.length;
  await page.getByRole('button', { name: 'Diagnose', exact: true }).click();
  const diagnosis = page.getByRole('region', { name: 'Diagnosis' });
  await expect(diagnosis.getByText('all steps passed')).toBeVisible();
  for (const step of ['connect', 'greeting', 'ehlo', 'starttls', 'auth']) {
    await expect(diagnosis.locator(`li.step[data-step="${step}"]`).first()).toHaveAttribute(
      'data-status',
      /passed|warning/,
    );
  }
  await expect(diagnosis.locator('li.step[data-step="starttls"]')).toContainText(/TLSv1\.[23]/);
  await shot(page, 'connector-diagnosis');
  expect(good.received.length).toBe(before);

  // Nothing listens on 127.0.0.1 ports 465/587/25 here: every combination is tried and explained.
  await page.getByRole('button', { name: 'Find working settings' }).click();
  const found = page.getByRole('region', { name: 'Working settings' });
  await expect(found.locator('table.candidates tbody tr')).toHaveCount(9);
  await expect(found.getByText(/answered on none of the usual ports/)).toBeVisible();
  await expect(found.locator('tbody tr').first()).toContainText('refused');
});
