/**
 * bench:inventory — the Cameras table with 5,000 cameras and 5,000 app-password records, in
 * Debian's Chromium, driving the real renderer wired to the real core (the browser test harness).
 * Measures (medians over repeated runs):
 *  - render_ms: from opening the Cameras page to its first rows painted (data fetched through the
 *               contract, table built, first frame after the rows appear);
 *  - filter_ms: one keystroke in the table's search box until the filtered rows are painted.
 * Last line is JSON: {"cameras": N, "render_ms": R, "filter_ms": F}. Targets: render < 300 ms, filter < 50 ms.
 */
import { chromium } from '@playwright/test';
import type { StoredAppPassword, StoredCamera } from '../electron/core/inventory/inventory.ts';
import { startHarness } from '../test/e2e/harness.ts';

const CAMERAS = Number(process.env.BENCH_CAMERAS ?? 5000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number) => Math.round(n * 10) / 10;

const harness = await startHarness();
const { core } = harness.t;
try {
  // ── Seed: 50 sites, 2 connectors each, 5,000 cameras, 5,000 records (one write each) ──
  const sites = [];
  for (let s = 0; s < 50; s++)
    sites.push(
      core.sites.create({
        name: `Site ${String(s).padStart(2, '0')}`,
        customer: `Customer ${s % 17}`,
        address: '',
        contact: '',
        notes: '',
        handover: 'commissioning',
      }),
    );
  const connectors = [];
  for (const site of sites) {
    for (const title of ['Gmail alerts', 'Relay']) {
      connectors.push(
        await core.connectors.create({
          siteId: site.id,
          title,
          host: 'smtp.gmail.com',
          port: 465,
          portIsManual: false,
          security: 'tls',
          auth: 'login',
          username: 'alerts@example.test',
          clearPassword: false,
          oauthAccountId: null,
          sender: 'alerts@example.test',
          senderName: '',
          replyTo: '',
          connectionTimeoutSec: 60,
          trustedCertificatePem: null,
          allowPlainLogin: false,
          presetId: 'gmail-ssl',
          extraProperties: [],
          mailDebug: false,
          pop: null,
          maxSessions: 4,
          rateLimitPerMinute: null,
          dailyLimit: 500,
          retryDelaysSec: [10, 30],
        }),
      );
    }
  }
  const now = new Date().toISOString();
  const records: StoredAppPassword[] = [];
  const cameras: StoredCamera[] = [];
  const vendors = [
    ['Hikvision', 'DS-2CD2387G2'],
    ['Axis', 'Q6135-LE'],
    ['Dahua', 'SD49425XB'],
    ['Hanwha', 'XNP-6400R'],
    ['Uniview', 'IPC2128'],
  ] as const;
  for (let i = 0; i < CAMERAS; i++) {
    const site = sites[i % sites.length]!;
    const secret = Array.from({ length: 16 }, (_, k) =>
      String.fromCharCode(97 + ((i * 7 + k * 13) % 26)),
    ).join('');
    const recordId = crypto.randomUUID();
    const sealed = await core.vault.seal(secret, recordId);
    records.push({
      id: recordId,
      account: `cam${i}@site${i % sites.length}.example.test`,
      provider: i % 9 === 0 ? 'office365' : 'gmail',
      label: `Camera ${i}`,
      notes: '',
      secretSealed: sealed.sealed,
      secretDigest: sealed.digest,
      secretLength: sealed.length,
      status: i % 50 === 0 ? 'suspected-revoked' : 'active',
      createdAt: now,
      createdBy: 'bench',
      lastVerified: null,
      replacesId: null,
      replacedById: null,
      retiredAt: null,
      secretDestroyedAt: null,
    });
    const [vendor, model] = vendors[i % vendors.length]!;
    cameras.push({
      id: crypto.randomUUID(),
      siteId: site.id,
      name: `Cam ${String(i).padStart(4, '0')} ${['Gate', 'Fence', 'Dock', 'Lobby', 'Yard'][i % 5]}`,
      vendor,
      model,
      host: `10.${Math.floor(i / 250)}.${i % 250}.${(i * 7) % 250}`,
      serial: `SN-${100000 + i}`,
      location: ['North fence', 'Loading dock', 'Reception', 'Car park'][i % 4]!,
      connectorId: connectors[(i % sites.length) * 2]!.id,
      smtpLogin: `cam${i}@site${i % sites.length}.example.test`,
      appPasswordId: recordId,
      recipients: ['control-room@example.test'],
      subjectTemplate: '%Site_Name% – %Camera_Name% – %Event_Type%',
      heartbeatMinutes: 60,
      notes: '',
      createdAt: now,
      updatedAt: now,
    });
  }
  core.inventory.commit({ appPasswords: records, cameras });
  console.log(
    `seeded ${cameras.length} cameras, ${records.length} app-password records, ${sites.length} sites`,
  );

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await harness.attach(page);
  await page.goto(`${harness.url}#/sites`);
  await page.getByRole('heading', { name: 'Sites' }).waitFor();

  /** Runs `action` in the page and resolves with the time until `done()` holds and a frame was painted. */
  const measure = (action: 'open-cameras' | 'leave' | 'type' | 'clear', needle = '') =>
    page.evaluate(
      ({ action, needle }) =>
        new Promise<number>((resolve) => {
          const table = () => document.querySelector('section[aria-label="Cameras"]');
          const count = () => table()?.querySelector('.table-count')?.textContent ?? '';
          const before = count();
          const done = () => {
            if (action === 'open-cameras') return Boolean(table()?.querySelector('[data-row-id]'));
            if (action === 'leave')
              return table() === null && document.querySelector('h1')?.textContent === 'Sites';
            return count() !== before;
          };
          const t0 = performance.now();
          const finish = () => requestAnimationFrame(() => resolve(performance.now() - t0));
          const observer = new MutationObserver(() => {
            if (done()) {
              observer.disconnect();
              finish();
            }
          });
          observer.observe(document.body, { childList: true, subtree: true, characterData: true });
          if (action === 'open-cameras') location.hash = '#/cameras';
          else if (action === 'leave') location.hash = '#/sites';
          else {
            const input = document.querySelector<HTMLInputElement>('input[aria-label="Search Cameras"]')!;
            const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
            setter.call(input, action === 'type' ? needle : '');
            input.dispatchEvent(new Event('input', { bubbles: true }));
          }
        }),
      { action, needle },
    );

  const render: number[] = [];
  const filter: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    render.push(await measure('open-cameras'));
    const shown = await page.locator('section[aria-label="Cameras"] .table-count').textContent();
    if (run === 0) console.log(`cameras table shows: ${shown}`);
    // One keystroke: "Cam 1" → a quarter of the rows and so on; each run types a different key.
    filter.push(await measure('type', `Cam ${run % 10}`));
    await measure('clear');
    await measure('leave');
  }
  await browser.close();

  const render_ms = round(median(render));
  const filter_ms = round(median(filter));
  console.log(
    `first render of the Cameras table (${CAMERAS} cameras): median ${render_ms} ms over ${RUNS} runs (min ${round(Math.min(...render))}, max ${round(Math.max(...render))})`,
  );
  console.log(
    `filter keystroke: median ${filter_ms} ms over ${RUNS} runs (min ${round(Math.min(...filter))}, max ${round(Math.max(...filter))})`,
  );
  console.log(
    `targets: render < 300 ms ${render_ms < 300 ? 'met' : 'MISSED'}, filter < 50 ms ${filter_ms < 50 ? 'met' : 'MISSED'}`,
  );
  console.log(JSON.stringify({ cameras: CAMERAS, render_ms, filter_ms }));
} finally {
  await harness.close();
}
