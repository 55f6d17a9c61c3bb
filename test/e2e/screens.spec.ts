import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeCertificate } from '../helpers/certs.ts';
import { unwrap } from '../helpers/core.ts';
import { closedPort } from '../helpers/faults.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import {
  CONTROL_ROOM,
  FAILING,
  SITE_NAMES,
  UNRECORDED,
  createFleet,
  fleetUsers,
  type Fleet,
} from './fleet.ts';
import { startHarness, type Harness } from './harness.ts';
import { SHOTS, shot } from './shots.ts';

/**
 * The UI an integrator with 30 sites lives in, on laptop screens and a desktop one: a handover run
 * over all 30 sites (330 cameras) through the real core against smtp-server on loopback, in which
 * two whole sites fail; then every page at 1024×768, 1366×768 and 1920×1080, each saved as
 * `<page>-<width>.png` and checked for what a small screen cuts off.
 */
test.describe.configure({ mode: 'serial' });

const cert = makeCertificate();
let harness: Harness;
let server: TestSmtpServer;
let fleet: Fleet;
let runId = '';

test.beforeAll(async () => {
  server = await startSmtpServer({ mode: 'starttls', cert, users: fleetUsers() });
  harness = await startHarness();
  fleet = await createFleet(harness.t.api, { port: server.port, closedPort: await closedPort(), cert });
  expect(fleet.siteIds.size).toBe(SITE_NAMES.length);
  expect(fleet.cameras).toBe(330);
});
test.afterAll(async () => {
  await harness?.close();
  await server?.close();
});

const VIEWPORTS = [
  { width: 1024, height: 768 },
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
];

/** What a small screen must not do: wrap a filter bar, clip a badge, push a page's action or a status column out of view. */
async function expectNothingCutOff(page: Page, where: string): Promise<void> {
  const problems = await page.evaluate(() => {
    const out: string[] = [];
    const vw = window.innerWidth;
    for (const bar of document.querySelectorAll('.table-toolbar'))
      if (bar.getBoundingClientRect().height > 60) out.push('a filter bar wraps onto several rows');
    for (const badge of document.querySelectorAll<HTMLElement>(
      '.table-body .badge, .table-body .count-chip',
    )) {
      const b = badge.getBoundingClientRect();
      const cell = badge.closest<HTMLElement>('.cell')!;
      const scroll = badge.closest('.table-scroll')!.getBoundingClientRect();
      if (b.width === 0 || b.bottom < scroll.top || b.top > scroll.bottom) continue;
      // Past the cell's padding the cell's ellipsis cuts the badge; past the table's edge, its frame.
      const inside = cell.getBoundingClientRect().right - parseFloat(getComputedStyle(cell).paddingRight);
      if (b.right > inside + 0.5 || b.right > scroll.right + 0.5)
        out.push(`badge "${badge.textContent}" is clipped`);
    }
    for (const button of document.querySelectorAll('.page-actions .btn, .side-panel footer .btn')) {
      const r = button.getBoundingClientRect();
      if (r.right > vw || r.bottom > window.innerHeight) out.push(`"${button.textContent}" is off screen`);
    }
    for (const head of document.querySelectorAll<HTMLElement>('[role="columnheader"].pin')) {
      const r = head.getBoundingClientRect();
      if (r.left < 0 || r.right > vw) out.push(`the pinned column "${head.textContent}" is out of view`);
    }
    return out;
  });
  expect.soft(problems, where).toEqual([]);
}

test('a run over 30 sites: a short title, sites worst first, failures first, one reports menu', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await harness.attach(page);
  await page.goto(`${harness.url}#/runs`);
  await page.getByRole('button', { name: 'New handover run' }).click();
  const dialog = page.getByRole('dialog', { name: 'New handover run' });
  await dialog.getByRole('button', { name: 'Select all 30 sites' }).click();
  const plan = dialog.getByRole('region', { name: 'Plan' });
  await expect(plan.getByText('329 test e-mails through 30 connectors')).toBeVisible();
  await shot(page, 'new-run-30-sites-1366');
  await expect(
    plan.getByText(/Crane 2 PTZ: This camera logs in as crane2@harbour-terminal\.example/),
  ).toBeVisible();
  await expect(plan.getByText(/"Marina East relay" is STOPPED: its 11 cameras will fail/)).toBeVisible();
  await dialog.getByRole('button', { name: 'Send 329 test e-mails' }).click();

  await expect(page.getByRole('heading', { name: 'Handover run: 30 sites' })).toBeVisible();
  const progress = page.getByRole('region', { name: 'Run progress' });
  await expect(progress.getByText('330 of 330 done')).toBeVisible({ timeout: 120_000 });
  await expect(progress.getByText('307 passed')).toBeVisible();
  await expect(progress.getByText('22 failed')).toBeVisible();
  await expect(progress.getByText('1 not tested')).toBeVisible();
  runId = page.url().split('/').pop()!;

  const perSite = page.getByRole('region', { name: 'Sites in this run' });
  const siteRows = perSite.getByRole('row');
  await expect(siteRows.nth(0)).toContainText('30 sites, worst first');
  await expect(siteRows.nth(1)).toContainText(FAILING.stopped);
  await expect(siteRows.nth(2)).toContainText(FAILING.closedPort);
  await expect(siteRows.nth(3)).toContainText(UNRECORDED.site);

  const items = page.getByRole('table', { name: 'Run items' });
  await expect(items.getByRole('row').nth(1)).toContainText('failed');
  await page.getByLabel('Filter by outcome').selectOption('skipped');
  await expect(page.getByRole('region', { name: 'Run items' }).getByText('1 of 330')).toBeVisible();
  const crane = items.getByRole('row', { name: new RegExp(UNRECORDED.camera) });
  await expect(crane).toContainText('not tested');
  await expect(crane).toContainText('App password not recorded');
  await expect(crane.getByRole('button', { name: 'Record it…' })).toBeVisible();
  await page.getByLabel('Filter by outcome').selectOption('');

  await perSite.getByRole('button', { name: FAILING.closedPort }).click();
  await expect(page.getByRole('region', { name: 'Run items' }).getByText('11 of 330')).toBeVisible();
  await perSite.getByRole('button', { name: FAILING.closedPort }).click();

  await page.getByRole('button', { name: 'Handover reports' }).click();
  const menu = page.getByRole('menu', { name: 'Handover reports' });
  await expect(menu.getByRole('menuitem')).toHaveCount(30);
  await expect(menu.getByRole('menuitem').first()).toContainText(FAILING.stopped);
  await shot(page, 'run-reports-menu-1366');
  await page.keyboard.press('Escape');
  expect(server.received).toHaveLength(307);
});

test('the Overview puts the two failing sites first, and its counts lead to the filtered tables', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await harness.attach(page);
  await page.goto(harness.url);
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  const totals = page.getByRole('region', { name: 'Totals' });
  await expect(totals.getByRole('button', { name: 'Sites: 2 failing' })).toBeVisible();
  await expect(totals.getByRole('button', { name: 'Sites: 1 at risk' })).toBeVisible();
  await expect(totals.getByRole('button', { name: 'Sites: 27 healthy' })).toBeVisible();
  await expect(totals.getByRole('button', { name: 'Cameras: 22 failing' })).toBeVisible();

  const table = page.getByRole('table', { name: 'Sites by health' });
  const rows = table.getByRole('row');
  // Worst first: the two failing sites (by name when equally bad), the one at risk, then the rest.
  await expect(rows.nth(1)).toContainText(FAILING.stopped);
  await expect(rows.nth(1)).toContainText('failing');
  await expect(rows.nth(1)).toContainText('is STOPPED');
  await expect(rows.nth(2)).toContainText(FAILING.closedPort);
  await expect(rows.nth(2)).toContainText('Connection refused');
  await expect(rows.nth(3)).toContainText(UNRECORDED.site);
  await expect(rows.nth(3)).toContainText('at risk');
  await expect(rows.nth(3)).toContainText('1 camera: app password not recorded');
  await expect(rows.nth(4)).toContainText('healthy');

  await rows.nth(2).getByRole('link', { name: '11 cameras failing' }).click();
  await expect(page.getByRole('heading', { name: 'Cameras' })).toBeVisible();
  await expect(page.getByLabel('Filter by health')).toHaveValue('failing');
  const cameras = page.getByRole('region', { name: 'Cameras' });
  await expect(cameras.getByText('11 of 330')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Cameras' }).getByRole('row').nth(1)).toContainText(
    'Connection refused',
  );

  // A value cut short shows in full on hover; a column can be made wider by dragging its edge.
  await page.setViewportSize({ width: 1024, height: 768 });
  const table2 = page.getByRole('table', { name: 'Cameras' });
  const cell = table2.getByRole('row').nth(1).getByRole('cell').nth(4);
  await cell.hover();
  const text = (await cell.textContent())!;
  const clipped = await cell.evaluate((el) => el.scrollWidth > el.clientWidth);
  if (clipped) await expect(cell).toHaveAttribute('title', text);
  else await expect(cell).not.toHaveAttribute('title', /./);
  const header = table2.getByRole('columnheader', { name: /Site/ });
  const before = (await header.boundingBox())!.width;
  const edge = header.locator('.col-resizer');
  const box = (await edge.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 90, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  expect((await header.boundingBox())!.width).toBeGreaterThan(before + 60);
  await edge.dblclick();
  await expect.poll(async () => Math.round((await header.boundingBox())!.width)).toBe(Math.round(before));
  await page.setViewportSize({ width: 1366, height: 768 });

  // Every connector that carried a run says so: no "never tested" after 307 good deliveries.
  await page.getByRole('link', { name: 'Connectors' }).click();
  const healthy = page.getByRole('row', { name: /Riverside Depot relay/ });
  await expect(healthy).toContainText('healthy');
  await expect(healthy).toContainText('passed');
  await expect(page.getByRole('table', { name: 'Connectors' })).not.toContainText('not tested');
});

for (const viewport of VIEWPORTS) {
  test(`every page at ${viewport.width}×${viewport.height}: nothing important cut off (screenshots)`, async ({
    page,
  }) => {
    await page.setViewportSize(viewport);
    await harness.attach(page);
    const w = viewport.width;
    const sidebar = async () => (await page.locator('.sidebar').boundingBox())!.width;
    const screens: Array<[string, string, () => Promise<void>]> = [
      [
        'overview',
        '',
        () =>
          expect(page.getByRole('region', { name: 'Sites by health' }).getByText('30 rows')).toBeVisible(),
      ],
      [
        'sites',
        'sites',
        () => expect(page.getByRole('region', { name: 'Sites' }).getByText('30 rows')).toBeVisible(),
      ],
      [
        'connectors',
        'connectors',
        () => expect(page.getByRole('region', { name: 'Connectors' }).getByText('30 rows')).toBeVisible(),
      ],
      [
        'cameras',
        'cameras',
        () => expect(page.getByRole('region', { name: 'Cameras' }).getByText('330 rows')).toBeVisible(),
      ],
      ['vault', 'vault', () => expect(page.getByRole('region', { name: 'Findings' })).toBeVisible()],
      [
        'runs',
        'runs',
        () => expect(page.getByRole('table', { name: 'Handover runs' }).getByText('30 sites')).toBeVisible(),
      ],
      ['run', `runs/${runId}`, () => expect(page.getByText('330 of 330 done')).toBeVisible()],
      [
        'report',
        `report/${runId}/${fleet.siteIds.get(FAILING.closedPort)}`,
        () => expect(page.getByRole('article', { name: 'Handover report' })).toBeVisible(),
      ],
      [
        'deliveries',
        'deliveries',
        () => expect(page.getByRole('region', { name: 'Deliveries' }).getByText(/rows/)).toBeVisible(),
      ],
      [
        'audit',
        'audit',
        () => expect(page.getByRole('region', { name: 'Audit log' }).getByText(/rows/)).toBeVisible(),
      ],
      [
        'heartbeats',
        'heartbeats',
        () => expect(page.getByRole('heading', { name: 'Heartbeats', exact: true })).toBeVisible(),
      ],
      [
        'mailboxes',
        'mailboxes',
        () => expect(page.getByRole('heading', { name: 'Mailboxes', exact: true })).toBeVisible(),
      ],
      [
        'readiness',
        'readiness',
        () => expect(page.getByRole('heading', { name: 'Basic-auth readiness', exact: true })).toBeVisible(),
      ],
      [
        'bench',
        'bench',
        () => expect(page.getByRole('heading', { name: 'Bench inbox', exact: true })).toBeVisible(),
      ],
      [
        'backup',
        'backup',
        () => expect(page.getByRole('heading', { name: 'Backup', exact: true })).toBeVisible(),
      ],
    ];
    for (const [name, path, ready] of screens) {
      await page.goto(`${harness.url}#/${path}`);
      await ready();
      await expectNothingCutOff(page, `${name} at ${w}`);
      await shot(page, `${name}-${w}`);
    }
    if (w <= 1366) expect(await sidebar()).toBeLessThan(80);
    else expect(await sidebar()).toBeGreaterThan(180);
    // Collapsed, the sidebar's links keep their names (for hover and screen readers).
    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();

    // A camera's detail holds what the narrow table hides.
    await page.goto(`${harness.url}#/cameras?health=at-risk`);
    await page.getByRole('row', { name: new RegExp(UNRECORDED.camera) }).click();
    const panel = page.getByRole('complementary', { name: UNRECORDED.camera });
    await expect(panel.getByRole('region', { name: 'Health' })).toContainText('not recorded in AlertDesk');
    await expect(panel.getByRole('button', { name: 'Record its app password…' })).toBeVisible();
    await expect(panel.getByLabel('Serial / MAC')).toHaveValue(/^SN-0-10-/);
    await expectNothingCutOff(page, `camera panel at ${w}`);
    await shot(page, `camera-panel-${w}`);
  });
}

test('the handover report of a failing site: failures grouped by cause, whole addresses on A4 and on Letter', async ({
  page,
  context,
}) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  harness.usePrinter(() => context.newPage());
  await harness.attach(page);
  const siteId = fleet.siteIds.get(FAILING.closedPort)!;
  await page.goto(`${harness.url}#/report/${runId}/${siteId}`);
  const sheet = page.getByRole('article', { name: 'Handover report' });
  const groups = sheet.getByRole('region', { name: 'What did not deliver' });
  await expect(groups.getByRole('heading', { name: /Connection refused — 11 cameras/ })).toBeVisible();
  // One explanation for the eleven cameras, not eleven.
  await expect(groups.getByText(/refused the connection/)).toHaveCount(1);
  await expect(groups.getByText('What to do:')).toBeVisible();

  const harbour = fleet.siteIds.get(UNRECORDED.site)!;
  for (const paper of ['a4', 'letter'] as const) {
    for (const site of [siteId, harbour]) {
      const pdf = unwrap(await harness.t.api.runs.reportPdf({ runId, siteId: site, paper }));
      // Kept beside the screenshots, to be looked at (pdftoppm turns them into pictures).
      const file = join(SHOTS, `report-${site === harbour ? 'harbour' : 'failing'}-${paper}.pdf`);
      await writeFile(file, Buffer.from(pdf.base64, 'base64'));
      const size = /Page size:\s+([\d.]+) x ([\d.]+)/.exec(
        execFileSync('pdfinfo', [file], { encoding: 'utf8' }),
      )!;
      // Landscape, in points: A4 is 842 × 595, Letter 792 × 612 (Chromium rounds to whole pixels).
      const [w, h] = paper === 'a4' ? [842, 595] : [792, 612];
      expect(Math.abs(Number(size[1]) - w), `${paper} width: ${size[0]}`).toBeLessThan(2);
      expect(Math.abs(Number(size[2]) - h), `${paper} height: ${size[0]}`).toBeLessThan(2);
      const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
      // Addresses wrap only between their parts: every part of every address is whole on one line.
      const lines = text.split('\n');
      const addresses = [
        CONTROL_ROOM,
        ...(site === harbour ? ['gatehouse-dome@harbour-terminal.example'] : []),
      ];
      for (const address of addresses)
        for (const part of address.split(/[.@]/))
          expect(
            lines.some((l) => l.includes(part)),
            `"${part}" of ${address} whole (${paper})`,
          ).toBe(true);
      // Nothing runs off the page: every word lies within the page's width.
      const boxes = execFileSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8' });
      const width = Number(/<page width="([\d.]+)"/.exec(boxes)![1]);
      const right = Math.max(...[...boxes.matchAll(/xMax="([\d.]+)"/g)].map((m) => Number(m[1])));
      expect(right, `text inside the ${paper} page`).toBeLessThan(width);
    }
  }
  await shot(page, 'report-failing-site-1366');
});

test('the missing-record verdict offers to record the app password, and recording it links the camera', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await harness.attach(page);
  await page.goto(`${harness.url}#/runs/${runId}`);
  await page.getByLabel('Filter by outcome').selectOption('skipped');
  await page.getByRole('button', { name: 'Record it…' }).click();
  const dialog = page.getByRole('dialog', { name: `Record the app password of ${UNRECORDED.camera}` });
  await expect(dialog.getByLabel('Account')).toHaveValue(UNRECORDED.login);
  await dialog.getByLabel('Label at the provider').fill('Harbour crane 2');
  await dialog.getByLabel('App password').fill('cranecranecranec');
  await dialog.getByRole('button', { name: 'Save record' }).click();
  await expect(
    page.getByText(`App password for ${UNRECORDED.login} recorded and linked to ${UNRECORDED.camera}.`),
  ).toBeVisible();
  const cameraId = fleet.cameraIds.get(`${UNRECORDED.site}/${UNRECORDED.camera}`)!;
  expect(unwrap(await harness.t.api.cameras.get({ id: cameraId })).appPasswordId).not.toBeNull();
  const health = unwrap(await harness.t.api.health.cameras()).find((c) => c.cameraId === cameraId)!;
  expect(health.reasons.map((r) => r.short)).not.toContain('App password not recorded');
});

test('a toast takes its own room and does not follow to another page', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 768 });
  await harness.attach(page);
  await page.goto(`${harness.url}#/sites`);
  await page.getByLabel('Search Sites').fill('Zenith');
  await page.getByRole('row', { name: /Zenith Tower/ }).click();
  await page.getByRole('button', { name: 'Save site' }).click();
  const toast = page.getByRole('status').filter({ hasText: 'Site "Zenith Tower" saved.' });
  await expect(toast).toBeVisible();
  // Below the table, not over its rows.
  const table = (await page.getByRole('region', { name: 'Sites' }).boundingBox())!;
  const box = (await toast.boundingBox())!;
  expect(box.y).toBeGreaterThanOrEqual(table.y + table.height);
  await expectNothingCutOff(page, 'site panel at 1024');
  await shot(page, 'toast-1024');
  await page.getByRole('link', { name: 'Cameras' }).click();
  await expect(page.getByRole('heading', { name: 'Cameras' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'saved' })).toHaveCount(0);
});
