import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificate } from '../helpers/certs.ts';
import { unwrap } from '../helpers/core.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { startHarness, type Harness } from './harness.ts';
import { shot } from './shots.ts';

test.describe.configure({ mode: 'serial' });

const cert = makeCertificate();
let harness: Harness;
let server: TestSmtpServer;
const cameraNames: string[] = [];
const users: Record<string, string> = { 'harbour.alerts@gmail.test': 'harbourharbourha' };

test.beforeAll(async () => {
  for (let i = 1; i <= 10; i++)
    users[`quay${i}@gmail.test`] = `quayquayquayqua${String.fromCharCode(96 + i)}`;
  server = await startSmtpServer({
    mode: 'tls',
    cert,
    users,
    // A slow provider, so the run can be watched while it fills in.
    dataDelayMs: 350,
  });
  harness = await startHarness();
  const { api } = harness.t;
  const site = unwrap(
    await api.sites.create({
      name: 'Harbour Terminal',
      customer: 'Portside Ltd',
      address: 'Quay Road 1, Port Town',
      contact: 'Dana Ortiz, +1 555 0100',
    }),
  ).id;
  const connector = unwrap(
    await api.connectors.create({
      siteId: site,
      title: 'Harbour Gmail',
      host: '127.0.0.1',
      port: server.port,
      portIsManual: true,
      security: 'tls',
      auth: 'login',
      username: 'harbour.alerts@gmail.test',
      password: 'harbourharbourha',
      sender: 'harbour.alerts@gmail.test',
      trustedCertificatePem: cert.cert,
      presetId: 'gmail-ssl',
      maxSessions: 2,
      retryDelaysSec: [],
      connectionTimeoutSec: 10,
    }),
  ).id;
  unwrap(await api.connectors.setState({ id: connector, state: 'RUN' }));
  for (let i = 1; i <= 10; i++) {
    const account = `quay${i}@gmail.test`;
    // Quay 4 and Quay 8 hold app passwords that were revoked at Google.
    const secret = i === 4 || i === 8 ? 'revokedrevokedre' : users[account]!;
    const record = unwrap(
      await api.vault.create({ account, provider: 'gmail', label: `Quay ${i} PTZ`, secret }),
    ).id;
    const name = `Quay ${i} PTZ`;
    cameraNames.push(name);
    unwrap(
      await api.cameras.create({
        siteId: site,
        name,
        vendor: 'Hikvision',
        model: 'DS-2DE4425IW',
        host: `10.10.${i}.15`,
        location: `Quay ${i}`,
        connectorId: connector,
        smtpLogin: account,
        appPasswordId: record,
        recipients: ['control-room@portside.test'],
        subjectTemplate: '%Site_Name% – %Camera_Name% – %Event_Type%',
      }),
    );
  }
  cameraNames.push('Gatehouse dome');
  unwrap(
    await api.cameras.create({
      siteId: site,
      name: 'Gatehouse dome',
      location: 'Gate',
      recipients: ['control-room@portside.test'],
    }),
  );
});
test.afterAll(async () => {
  await harness?.close();
  await server?.close();
});

test('a handover run fills in live, then the site report is printed to PDF listing every camera', async ({
  page,
  context,
}) => {
  harness.usePrinter(() => context.newPage());
  await harness.attach(page);
  await page.goto(`${harness.url}#/runs`);
  await page.getByRole('button', { name: 'New handover run' }).click();
  const dialog = page.getByRole('dialog', { name: 'New handover run' });
  await dialog.getByLabel(/Harbour Terminal/).check();
  await dialog.getByLabel('Sample snapshots').selectOption('3');
  const plan = dialog.getByRole('region', { name: 'Plan' });
  await expect(plan.getByText('10 test e-mails through 1 connector')).toBeVisible();
  await expect(plan.getByText(/Gatehouse dome: The camera has no connector/)).toBeVisible();
  await expect(plan.getByRole('cell', { name: '10.0 MB' })).toBeVisible();
  await expect(dialog.getByText(/Each test e-mail is about \d+ KB/)).toBeVisible();
  await dialog.getByRole('button', { name: 'Send 10 test e-mails' }).click();

  const progress = page.getByRole('region', { name: 'Run progress' });
  await expect(progress.getByText(/[1-9] of 11 done/)).toBeVisible();
  await expect(page.getByRole('table', { name: 'Run items' }).getByText('sending').first()).toBeVisible();
  await shot(page, 'run-in-progress');

  await expect(progress.getByText('11 of 11 done')).toBeVisible({ timeout: 60_000 });
  await expect(progress.getByText('8 passed')).toBeVisible();
  await expect(progress.getByText('2 failed')).toBeVisible();
  const rows = page.getByRole('table', { name: 'Run items' });
  await expect(rows.getByRole('row', { name: /Quay 4 PTZ/ })).toContainText('Login rejected');
  await expect(rows.getByRole('row', { name: /Gatehouse dome/ })).toContainText('not tested');
  await expect(page.getByRole('button', { name: 'Re-run 2 failed' })).toBeVisible();
  expect(server.received).toHaveLength(8);
  expect(server.received.every((m) => m.parsed.attachments.length === 3)).toBe(true);
  expect(new Set(server.received.map((m) => m.user))).toEqual(
    new Set([
      'quay1@gmail.test',
      'quay2@gmail.test',
      'quay3@gmail.test',
      'quay5@gmail.test',
      'quay6@gmail.test',
      'quay7@gmail.test',
      'quay9@gmail.test',
      'quay10@gmail.test',
    ]),
  );

  await page.getByRole('button', { name: 'Handover report' }).click();
  const sheet = page.getByRole('article', { name: 'Handover report' });
  await expect(sheet.getByRole('heading', { name: 'Harbour Terminal' })).toBeVisible();
  await expect(sheet.getByText(/3 of 11 alert paths did not deliver/)).toBeVisible();
  await shot(page, 'handover-report');

  const pdfDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save PDF' }).click();
  const pdf = await pdfDownload;
  expect(pdf.suggestedFilename()).toMatch(/^handover-harbour-terminal-\d{4}-\d{2}-\d{2}\.pdf$/);
  const pdfPath = join(tmpdir(), `report-${Date.now()}.pdf`);
  await writeFile(pdfPath, await readFile((await pdf.path())!));
  // Text as read from the PDF, whitespace folded (a name may wrap inside its table cell).
  const text = execFileSync('pdftotext', [pdfPath, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
  for (const name of cameraNames) expect(text, `${name} in the PDF`).toContain(name);
  expect(text).toContain('Harbour Terminal');
  expect(text).toContain('Portside Ltd');
  for (const secret of Object.values(users)) expect(text).not.toContain(secret);
  expect(text).not.toContain('revokedrevokedre');

  const csvDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save CSV' }).click();
  const csv = await readFile((await (await csvDownload).path())!, 'utf8');
  expect(csv.trim().split('\r\n')).toHaveLength(12);
  expect(csv).toContain('quay4@gmail.test');
  for (const secret of Object.values(users)) expect(csv).not.toContain(secret);
});
