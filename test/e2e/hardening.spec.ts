import { expect, test, type Page } from '@playwright/test';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { startHarness, type Harness } from './harness.ts';
import { shot } from './shots.ts';

/**
 * What the hardening shows the integrator: a run AlertDesk was killed in the middle of (a real
 * SIGKILL of a program running it) says so and re-runs its unfinished cameras; the audit log says
 * it is tamper-evident, and says so loudly once it was edited; a big CSV import shows progress.
 */

test.describe.configure({ mode: 'serial' });

const CAMERAS = 24;
let server: TestSmtpServer;
let harness: Harness;
let dir: string;

/** Runs a handover run in another program and SIGKILLs it once the server accepted a few messages. */
async function interruptedFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'alertdesk-e2e-crash-'));
  const reported = `${folder}-reported.txt`;
  await writeFile(reported, '');
  const child = spawn(
    process.execPath,
    [
      new URL('../helpers/crash-child.ts', import.meta.url).pathname,
      folder,
      String(server.port),
      String(CAMERAS),
      reported,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  await once(lines, 'line');
  await expect.poll(() => server.received.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(8);
  child.kill('SIGKILL');
  await once(child, 'exit');
  await rm(reported, { force: true });
  return folder;
}

test.beforeAll(async () => {
  // A provider that takes a moment per message, so the kill lands in the middle of the run.
  server = await startSmtpServer({ mode: 'none', dataDelayMs: 60 });
  dir = await interruptedFolder();
  harness = await startHarness({ dataDir: dir });
});
test.afterAll(async () => {
  await harness?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(page: Page, route: string) {
  await harness.attach(page);
  await page.goto(`${harness.url}#/${route}`);
}

test('an interrupted run says so in the list and offers to re-run its unfinished cameras', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await open(page, 'runs');
  const badge = page.locator('.badge.warn', { hasText: /^\d+ interrupted$/ });
  await expect(badge).toBeVisible();
  await shot(page, 'runs-interrupted-1366');
  await badge.click();
  const rerun = page.getByRole('button', { name: /Re-run \d+ unfinished or failed/ });
  await expect(rerun).toBeVisible();
  await expect(page.getByText(/\d+ of 24 done · \d+ passed · 0 failed · \d+ interrupted/)).toBeVisible();
  await page.getByPlaceholder(/Search cameras/).fill('Not finished');
  await expect(page.getByText('Not finished: AlertDesk stopped').first()).toBeVisible();
  await shot(page, 'run-interrupted-1366');
  await page.getByPlaceholder(/Search cameras/).fill('');

  // Cancel is not offered: nothing of it is running any more.
  await expect(page.getByRole('button', { name: 'Cancel run' })).toHaveCount(0);
  await rerun.click();
  await expect(page.getByRole('heading', { name: /Re-run of failures/ })).toBeVisible();
  await expect(page.getByText('all passed')).toBeVisible({ timeout: 60_000 });
  await shot(page, 'run-rerun-passed-1366');
});

test('an interrupted delivery explains that its outcome is unknown and what to do', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await open(page, 'deliveries');
  await page.getByLabel('Filter by status').selectOption('interrupted');
  const row = page.getByRole('row').filter({ hasText: 'Interrupted' }).first();
  await expect(row).toBeVisible();
  await row.click();
  await expect(page.getByTestId('interrupted-verdict')).toContainText('Outcome unknown: AlertDesk stopped');
  await expect(page.getByRole('button', { name: 'Re-run unfinished cameras' })).toBeVisible();
  await shot(page, 'delivery-interrupted-1366');
});

test('the audit log says it is tamper-evident, and names the first edited event once it was edited', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await open(page, 'audit');
  await expect(page.getByTestId('audit-integrity')).toContainText('Tamper-evident');
  await shot(page, 'audit-intact-1366');

  // Another program edits an event behind AlertDesk's back.
  const db = harness.t.core.db;
  const { seq } = db.prepare("SELECT seq FROM audit WHERE record_type = 'site' LIMIT 1").get() as {
    seq: number;
  };
  db.exec('DROP TRIGGER audit_no_update');
  db.prepare("UPDATE audit SET detail = 'nothing happened here' WHERE seq = ?").run(seq);
  await page.reload();
  await expect(page.getByRole('alert')).toContainText(
    `The audit log was changed outside AlertDesk, from event #${seq}`,
  );
  await expect(page.getByText(`#${seq} ⚠`)).toBeVisible();
  await shot(page, 'audit-broken-1366');

  await page.goto(`${harness.url}#/vault`);
  const finding = page.getByRole('button', {
    name: new RegExp(`audit log was changed outside AlertDesk \\(from event #${seq}\\)`),
  });
  await expect(finding).toBeVisible();
  await shot(page, 'vault-audit-finding-1366');
  await finding.click();
  await expect(page).toHaveURL(/#\/audit/);
});

test('a large camera CSV shows how far its check has got', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  const rows = ['Site,Name,IP,Serial,Recipients'];
  for (let i = 0; i < 120_000; i++)
    rows.push(`Crash Site,Bulk cam ${i},10.1.${(i >> 8) & 255}.${i & 255},SN${i},ops@example.test`);
  const csv = `${rows.join('\n')}\n`;
  await open(page, 'cameras');
  await page.getByRole('button', { name: /Import CSV/ }).click();
  await page
    .getByLabel('CSV file')
    .setInputFiles({ name: 'cameras.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  const progress = page.getByTestId('csv-progress');
  await expect(progress).toBeVisible();
  await expect(progress).toContainText(/Reading the file|Checking rows/);
  await shot(page, 'cameras-import-progress-1366');
  await expect(page.getByRole('button', { name: /Import 120000 good rows/ })).toBeVisible({
    timeout: 60_000,
  });
  await expect(progress).toHaveCount(0);
});
