import { expect, test } from '@playwright/test';
import { unwrap } from '../helpers/core.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { startHarness, type Harness } from './harness.ts';
import { shot } from './shots.ts';

/**
 * Security "none" with a login (issue 11): without STARTTLS on the server, AlertDesk refuses to
 * send the password until the connector's visible "Allow login without encryption" switch is on.
 */

test.describe.configure({ mode: 'serial' });

const USER = 'nvr@depot.test';
const PASSWORD = 'depot-relay-pass';
let harness: Harness;
let relay: TestSmtpServer;

test.beforeAll(async () => {
  relay = await startSmtpServer({ mode: 'none', users: { [USER]: PASSWORD } });
  harness = await startHarness();
  const { api } = harness.t;
  const site = unwrap(await api.sites.create({ name: 'Inland Depot', customer: 'Acme Logistics' }));
  unwrap(
    await api.connectors.create({
      siteId: site.id,
      title: 'Depot relay',
      host: '127.0.0.1',
      port: relay.port,
      portIsManual: true,
      security: 'none',
      auth: 'login',
      username: USER,
      password: PASSWORD,
      sender: USER,
      connectionTimeoutSec: 5,
      retryDelaysSec: [],
    }),
  );
});
test.afterAll(async () => {
  await harness?.close();
  await relay?.close();
});

for (const [width, height] of [
  [1366, 768],
  [1024, 768],
] as const) {
  test(`a login that would go in clear text is refused until the switch is on (${width})`, async ({
    page,
  }) => {
    await page.setViewportSize({ width, height });
    await harness.attach(page);
    await page.goto(`${harness.url}#/connectors`);
    await page.getByRole('row', { name: /Depot relay/ }).click();

    const toggle = page.getByLabel('Allow login without encryption');
    if (await toggle.isChecked()) {
      // (the first run turned it on: start from the default again)
      await toggle.uncheck();
      await page.getByRole('button', { name: 'Save changes' }).click();
      await expect(page.getByText('Connector "Depot relay" saved.')).toBeVisible();
    }
    await expect(toggle).not.toBeChecked();
    await expect(
      page.getByText(/AlertDesk logs in only after upgrading with STARTTLS/).first(),
    ).toBeVisible();

    const logins = relay.logins.length;
    await page.getByRole('tab', { name: 'Test e-mail' }).click();
    await page.getByLabel('To', { exact: true }).fill('ops@depot.test');
    await page.getByRole('button', { name: 'Send test e-mail' }).click();
    const result = page.getByTestId('delivery-result');
    await expect(result.getByText('Failed', { exact: true })).toBeVisible();
    const verdict = result.locator('.verdict');
    await expect(verdict.locator('code.class-code')).toHaveText('login-not-encrypted');
    await expect(verdict.locator('.explanation')).toContainText('would cross the network in clear text');
    await expect(verdict.locator('.fix')).toContainText('Allow login without encryption');
    expect(relay.logins.length).toBe(logins);
    await shot(page, `connector-plain-login-refused-${width}`);

    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByLabel('Allow login without encryption').check();
    await expect(page.getByText(/the user name and password cross the network in clear text/)).toBeVisible();
    await shot(page, `connector-plain-login-switch-${width}`);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText('Connector "Depot relay" saved.')).toBeVisible();

    await page.getByRole('tab', { name: 'Test e-mail' }).click();
    await page.getByLabel('To', { exact: true }).fill('ops@depot.test');
    await page.getByRole('button', { name: 'Send test e-mail' }).click();
    await expect(result.getByText('Passed', { exact: true })).toBeVisible();
    expect(relay.logins.at(-1)).toEqual({ method: 'LOGIN', user: USER, ok: true });
  });
}
