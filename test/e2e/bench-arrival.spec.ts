import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { landMessage, relayConnector, watchedMailbox } from '../helpers/arrival.ts';
import { unwrap } from '../helpers/core.ts';
import { closedPort } from '../helpers/faults.ts';
import { header } from '../helpers/runs.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { startHarness, type Harness } from './harness.ts';
import { shot } from './shots.ts';

test.describe.configure({ mode: 'serial' });

const SNAPSHOTS = join(import.meta.dirname, '..', '..', 'assets', 'snapshots');
const LOGIN = { user: 'gate-cam@harbour.test', pass: 'gatecamapppassword' };
let harness: Harness;
let server: TestSmtpServer;
let siteId: string;
let connectorId: string;
let benchPort: number;

test.beforeAll(async () => {
  server = await startSmtpServer({ mode: 'none' });
  harness = await startHarness();
  const { api, core } = harness.t;
  siteId = unwrap(await api.sites.create({ name: 'Harbour Terminal', customer: 'Portside Ltd' })).id;
  connectorId = await relayConnector(api, siteId, 'Harbour relay', server.port);
  const record = unwrap(
    await api.vault.create({ account: LOGIN.user, provider: 'other', label: 'Gate PTZ', secret: LOGIN.pass }),
  ).id;
  const recipients = ['control@portside.test', 'night@portside.test', 'owner@elsewhere.test'];
  for (const [i, name] of ['Gate PTZ', 'Pier dome', 'Shed bullet'].entries()) {
    unwrap(
      await api.cameras.create({
        siteId,
        name,
        vendor: 'Hikvision',
        host: `10.10.0.${i + 11}`,
        connectorId,
        ...(i === 0 ? { smtpLogin: LOGIN.user, appPasswordId: record } : {}),
        recipients: [recipients[i]!],
      }),
    );
  }
  core.inventory.commit({
    mailboxes: [
      watchedMailbox('mb-control', 'Control room', ['control@portside.test']),
      watchedMailbox('mb-night', 'Night desk', ['night@portside.test']),
    ],
  });
  core.inbound.reportHealth('mb-control', 'connected', true);
  core.inbound.reportHealth('mb-night', 'connected', true);
  benchPort = await closedPort();
  unwrap(await api.bench.configure({ port: benchPort, listenAddress: '127.0.0.1' }));
});

test.afterAll(async () => {
  await harness?.close();
  await server?.close();
});

async function open(page: Page, hash: string) {
  await page.setViewportSize({ width: 1366, height: 768 });
  await harness.attach(page);
  await page.goto(`${harness.url}#/${hash}`);
}

test('the bench inbox: start it, a camera sends a burst of three snapshots, thumbnails show, one opens full size', async ({
  page,
}) => {
  await open(page, 'bench');
  await expect(page.getByRole('heading', { name: 'Bench inbox' })).toBeVisible();
  await expect(page.getByText('stopped', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Start bench inbox' }).click();
  const setup = page.getByRole('region', { name: 'Camera settings' });
  await expect(setup.getByText('listening', { exact: true })).toBeVisible();
  await expect(setup.getByText(String(benchPort), { exact: true })).toBeVisible();

  const camera = nodemailer.createTransport({
    host: '127.0.0.1',
    port: benchPort,
    secure: false,
    ignoreTLS: true,
    auth: { user: LOGIN.user, pass: LOGIN.pass },
  });
  const snapshots = await Promise.all(
    ['snapshot-1.jpg', 'snapshot-2.jpg', 'snapshot-3.jpg'].map(async (filename) => ({
      filename,
      content: await readFile(join(SNAPSHOTS, filename)),
    })),
  );
  await camera.sendMail({
    from: 'Gate PTZ <gate-cam@harbour.test>',
    to: 'control@portside.test',
    subject: 'Motion detected – Gate PTZ',
    text: 'Motion detected at the gate.',
    attachments: snapshots,
  });
  await camera.sendMail({
    from: 'gate-cam@harbour.test',
    to: 'control@portside.test',
    subject: 'Line crossing – Gate PTZ',
    text: 'x',
    attachments: [
      { filename: 'snapshot.jpg', content: Buffer.from('this is not a JPEG'), contentType: 'image/jpeg' },
    ],
  });

  const messages = page.getByRole('region', { name: 'Messages received' });
  await expect(messages.getByText('2 messages received')).toBeVisible();
  const burst = messages.getByTestId('bench-message').filter({ hasText: 'Motion detected – Gate PTZ' });
  for (const s of snapshots) await expect(burst.getByRole('img', { name: s.filename })).toBeVisible();
  await expect(burst.getByText('Gate PTZ · Harbour Terminal')).toBeVisible();
  await expect(burst.getByText('by login and address').or(burst.getByText('by login'))).toBeVisible();
  // the thumbnails are small JPEG data: URLs that really decode
  const sizes = await burst.getByRole('img').evaluateAll((imgs) =>
    (imgs as HTMLImageElement[]).map((i) => ({
      w: i.naturalWidth,
      h: i.naturalHeight,
      src: i.src.slice(0, 23),
    })),
  );
  expect(sizes).toEqual(Array(3).fill({ w: 240, h: 135, src: 'data:image/jpeg;base64,' }));
  const fake = messages.getByTestId('bench-message').filter({ hasText: 'Line crossing' });
  await expect(fake.getByText(/its bytes are not an image/)).toBeVisible();
  await expect(
    page.getByRole('region', { name: 'Cameras heard on the bench' }).getByText('Gate PTZ'),
  ).toBeVisible();
  await shot(page, 'bench-messages-1366');

  await burst.getByRole('button', { name: 'snapshot-2.jpg' }).click();
  const viewer = page.getByRole('dialog', { name: 'snapshot-2.jpg' });
  await expect(viewer.getByRole('img', { name: 'snapshot-2.jpg' })).toBeVisible();
  expect(await viewer.getByRole('img').evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBe(1280);
  await shot(page, 'bench-snapshot-1366');
  await page.keyboard.press('Escape');

  // a wrong password shows in the log with what to check
  await expect(
    nodemailer
      .createTransport({
        host: '127.0.0.1',
        port: benchPort,
        secure: false,
        ignoreTLS: true,
        auth: { user: LOGIN.user, pass: 'wrong' },
      })
      .sendMail({ from: 'gate-cam@harbour.test', to: 'x@y.test', text: 'x' }),
  ).rejects.toThrow(/535/);
  await expect(
    page
      .getByRole('complementary', { name: 'Bench log' })
      .getByText(/Login refused for "gate-cam@harbour\.test"/),
  ).toBeVisible();
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(setup.getByText('stopped', { exact: true })).toBeVisible();
});

test('a handover run that requires arrival proof: the report shows arrived, in Junk and not checked, with SPF/DKIM/DMARC', async ({
  page,
  context,
}) => {
  const { api, core } = harness.t;
  harness.usePrinter(() => context.newPage());
  const run = unwrap(await api.runs.start({ scope: { siteIds: [siteId] }, requireArrival: true }));
  await expect
    .poll(() => server.received.filter((m) => header(m, 'x-alertdesk-run') === run.id).length)
    .toBe(3);
  const sent = (to: string) =>
    server.received.find((m) => header(m, 'x-alertdesk-run') === run.id && m.to.includes(to))!;
  landMessage(core.inbound, 'mb-control', sent('control@portside.test'), 'inbox', {
    authResults:
      'mx.portside.test; spf=pass smtp.mailfrom=alerts@harbour.test; dkim=pass header.d=harbour.test; dmarc=pass header.from=harbour.test',
  });
  landMessage(core.inbound, 'mb-night', sent('night@portside.test'), 'junk', {
    authResults:
      'mx.portside.test; spf=fail smtp.mailfrom=alerts@harbour.test; dkim=none; dmarc=fail header.from=harbour.test',
  });
  await core.runs.settled(run.id);

  await open(page, `report/${run.id}/${siteId}`);
  const sheet = page.getByRole('article', { name: 'Handover report' });
  // every table (one per cause of what did not deliver — in Junk, not checked — and the delivered)
  // has the two arrival columns
  await expect(sheet.getByRole('columnheader', { name: 'Arrival' })).toHaveCount(3);
  await expect(sheet.getByRole('columnheader', { name: 'SPF · DKIM · DMARC' })).toHaveCount(3);
  await expect(sheet.getByRole('heading', { name: /^Landed in Junk — 1 camera/ })).toBeVisible();
  await expect(sheet.getByRole('heading', { name: /^Arrival not checked — 1 camera/ })).toBeVisible();
  await expect(sheet.getByTestId('report-arrival')).toHaveText(
    /Arrival proof required: a camera passed only when its mail arrived in the Inbox\. 1 arrived · 1 in Junk · 1 not checked/,
  );
  const row = (name: string) => sheet.getByRole('row', { name: new RegExp(name) });
  await expect(row('Gate PTZ')).toContainText('arrived');
  await expect(row('Gate PTZ')).toContainText('SPF pass');
  await expect(row('Pier dome')).toContainText('in Junk');
  await expect(row('Pier dome')).toContainText('SPF fail');
  // in Junk is a failure when arrival is required: the camera is listed under what did not deliver
  const notDelivered = sheet.getByRole('region', { name: 'What did not deliver' });
  await expect(notDelivered.getByRole('row', { name: /Pier dome/ })).toBeVisible();
  await expect(notDelivered.getByRole('row', { name: /Shed bullet/ })).toBeVisible();
  await expect(
    sheet.getByRole('region', { name: 'Delivered' }).getByRole('row', { name: /Gate PTZ/ }),
  ).toBeVisible();
  await expect(row('Shed bullet')).toContainText('not checked');
  await shot(page, 'report-arrival-1366');

  const pdfDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save PDF' }).click();
  const pdfPath = join(tmpdir(), `arrival-report-${Date.now()}.pdf`);
  await writeFile(pdfPath, await readFile((await (await pdfDownload).path())!));
  const text = execFileSync('pdftotext', [pdfPath, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
  expect(text).toContain('in Junk');
  expect(text).toContain('not checked');
  expect(text).toContain('SPF fail');

  // the Delivery table: the arrival column, its filter, and the detail with the fix
  await page.goto(`${harness.url}#/deliveries`);
  await page.getByLabel('Filter by arrival').selectOption('junk');
  await shot(page, 'deliveries-table-arrival-1366');
  const table = page
    .getByRole('table', { name: 'Deliveries' })
    .or(page.getByRole('grid', { name: 'Deliveries' }));
  await expect(table.getByText('in Junk')).toHaveCount(1);
  await table.getByText('Pier dome', { exact: true }).click();
  const panel = page.getByRole('complementary').filter({ has: page.getByTestId('arrival') });
  await expect(panel.getByTestId('arrival')).toContainText('Night desk');
  await expect(panel.getByTestId('arrival')).toContainText(/mark the message as not junk/);
  await expect(panel.getByTestId('arrival')).toContainText(/does not allow this server to send for it/);
  await shot(page, 'deliveries-arrival-1366');
});
