/**
 * bench:heartbeats — 5,000 cameras over 50 sites and 10,000 heartbeat messages.
 *  - catchup_ms, bare_fetch_ms, catchup_ratio: a mailbox watcher catching up on these 10,000
 *    messages in Dovecot vs a bare imapflow fetch of the same fields (`measureCatchup` of
 *    bench/heartbeats-catchup.ts, the watchers' benchmark); null, and why, when the test mail
 *    server cannot run here (it needs root and Postfix + Dovecot);
 *  - evaluate_ms: working out every camera's heartbeat state once (the monitor's evaluate over all
 *    cameras: coverage, maintenance, lateness, what changed), median of repeated runs;
 *  - render_ms: from opening the Heartbeats page in Chromium to its first rows painted (data
 *    fetched through the contract, table built, first frame), median of repeated runs.
 * Also printed: matching the 10,000 messages to cameras as they are published.
 * Last line is JSON: {cameras, messages, catchup_ms, bare_fetch_ms, catchup_ratio, evaluate_ms, render_ms}.
 * Targets: catchup_ratio ≤ 2, evaluate_ms ≤ 20, render_ms ≤ 300.
 */
import { chromium } from '@playwright/test';
import { cpus, loadavg } from 'node:os';
import type { StoredCamera } from '../electron/core/inventory/inventory.ts';
import { startHarness } from '../test/e2e/harness.ts';
import { addMailbox, cameraRecord, heartbeatMail } from '../test/helpers/heartbeats.ts';
import { testMessage } from '../test/mailserver/mail-store.ts';
import { measureCatchup } from './heartbeats-catchup.ts';

const CAMERAS = Number(process.env.BENCH_CAMERAS ?? 5000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SITES = 50;
const MIN = 60_000;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number) => Math.round(n * 10) / 10;

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
console.log(`machine: ${cpus().length} cores, load average ${load()} (1 / 5 / 15 min) at the start`);
// ── The 10,000 messages, oldest first: two per camera an hour apart; one camera in seven is
// late or down by the time they are evaluated. The same ones go into Dovecot and into the core. ──
const siteName = (s: number) => `Site ${String(s).padStart(2, '0')}`;
const cameraName = (i: number) =>
  `Cam ${String(i).padStart(4, '0')} ${['Gate', 'Fence', 'Dock', 'Lobby', 'Yard'][i % 5]}`;
const started = Date.now();
const heartbeats = Array.from({ length: MESSAGES }, (_, m) => {
  const camera = m % CAMERAS;
  const round_ = Math.floor(m / CAMERAS);
  const silentFor = camera % 7 === 0 ? 70 + (m % 3) * 20 : 5 + (m % 50);
  return {
    from: `cam-${camera}@site-${camera % SITES}.example.test`,
    subject: `${siteName(camera % SITES)} – ${cameraName(camera)} – Health Mail`,
    minutesAgo: silentFor + round_ * 60,
  };
}).sort((a, b) => b.minutesAgo - a.minutesAgo);

let caught: { catchup_ms: number; bare_fetch_ms: number } | null = null;
try {
  const result = await measureCatchup({
    messages: MESSAGES,
    message: (i, to) => {
      const h = heartbeats[i]!;
      const date = new Date(started - h.minutesAgo * MIN);
      return { date, raw: testMessage({ from: h.from, to, subject: h.subject, date }) };
    },
    log: (line) => console.log(`  catch-up | ${line}`),
  });
  caught = { catchup_ms: result.catchup_ms, bare_fetch_ms: result.bare_fetch_ms };
} catch (error) {
  console.log(`catch-up not measured: ${error instanceof Error ? error.message : String(error)}`);
}

const harness = await startHarness();
const { core } = harness.t;
try {
  // ── Seed: 50 sites of 100 cameras, one mailbox watching them all, one rule per site ──
  const sites = [];
  for (let s = 0; s < SITES; s++)
    sites.push(
      core.sites.create({
        name: siteName(s),
        customer: `Customer ${s % 17}`,
        address: '',
        contact: '',
        notes: '',
        handover: 'commissioning',
      }),
    );
  const cameras: StoredCamera[] = [];
  for (let i = 0; i < CAMERAS; i++) cameras.push(cameraRecord(sites[i % SITES]!.id, cameraName(i)));
  const at = new Date().toISOString();
  core.inventory.commit({ cameras });
  addMailbox(core, { id: 'mbx-bench', title: 'alerts@bench', siteIds: sites.map((s) => s.id) });
  core.inbound.reportHealth('mbx-bench', 'connected', true);
  core.inventory.commit({
    heartbeats: {
      ...core.inventory.heartbeats,
      rules: sites.map((site) => ({
        id: crypto.randomUUID(),
        scope: 'site' as const,
        siteId: site.id,
        cameraId: null,
        from: '',
        subject: '%Site_Name% – %Camera_Name% – %Event_Type%',
        headerName: '',
        headerValue: '',
        origin: 'manual' as const,
        createdAt: at,
        updatedAt: at,
      })),
    },
  });

  // ── The same 10,000 messages, published as the watcher publishes what it reads (their ages
  // counted from now, so the states come out as planned however long the catch-up took) ──
  const now = Date.now();
  const messages = heartbeats.map((h) =>
    heartbeatMail(now, {
      sourceId: 'mbx-bench',
      from: h.from,
      subject: h.subject,
      receivedAt: new Date(now - h.minutesAgo * MIN),
    }),
  );
  const t0 = performance.now();
  for (let i = 0; i < messages.length; i += 500) core.inbound.publish(messages.slice(i, i + 500));
  const publishMs = performance.now() - t0;
  const overview = core.heartbeats.overview();
  const counts: Record<string, number> = {};
  for (const row of overview.cameras)
    counts[row.state ?? 'not set up'] = (counts[row.state ?? 'not set up'] ?? 0) + 1;
  console.log(
    `seeded ${CAMERAS} cameras over ${SITES} sites; ${MESSAGES} messages stored and matched in ${round(publishMs)} ms (${round((publishMs / MESSAGES) * 1000)} µs a message, storage included)`,
  );
  console.log(`states: ${JSON.stringify(counts)}`);

  // ── evaluate_ms: every camera's state, worked out again ──
  // Wall time is the target; the CPU time beside it shows what other processes on a shared
  // machine added (they take the cores away, the CPU time stays).
  const evaluate: number[] = [];
  const evaluateCpu: number[] = [];
  for (let run = 0; run < Math.max(RUNS, 30); run++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    core.heartbeats.monitor.evaluate('all', '');
    evaluate.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    evaluateCpu.push((used.user + used.system) / 1000);
  }
  const evaluate_ms = round(median(evaluate));
  console.log(
    `evaluating all ${CAMERAS} cameras: median ${evaluate_ms} ms over ${evaluate.length} runs (min ${round(Math.min(...evaluate))}, max ${round(Math.max(...evaluate))}); CPU median ${round(median(evaluateCpu))} ms`,
  );

  // ── render_ms: the Heartbeats page in Chromium ──
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await harness.attach(page);
  await page.goto(`${harness.url}#/sites`);
  await page.getByRole('heading', { name: 'Sites' }).waitFor();
  const measure = (action: 'open' | 'leave') =>
    page.evaluate(
      (action) =>
        new Promise<number>((resolve) => {
          const table = () => document.querySelector('section[aria-label="Heartbeat status"]');
          const done = () =>
            action === 'open'
              ? Boolean(table()?.querySelector('[data-row-id]'))
              : table() === null && document.querySelector('h1')?.textContent === 'Sites';
          const t0 = performance.now();
          const observer = new MutationObserver(() => {
            if (!done()) return;
            observer.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - t0));
          });
          observer.observe(document.body, { childList: true, subtree: true });
          location.hash = action === 'open' ? '#/heartbeats' : '#/sites';
        }),
      action,
    );
  const render: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    render.push(await measure('open'));
    if (run === 0)
      console.log(
        `heartbeat table shows: ${await page.locator('section[aria-label="Heartbeat status"] .table-count').textContent()}`,
      );
    await measure('leave');
  }
  await browser.close();
  const render_ms = round(median(render));
  console.log(
    `first render of the Heartbeats table (${CAMERAS} cameras): median ${render_ms} ms over ${RUNS} runs (min ${round(Math.min(...render))}, max ${round(Math.max(...render))})`,
  );

  console.log(
    `load average ${load()} at the end: other processes compete with the benchmark when it is above the core count`,
  );
  const catchup_ratio = caught ? Math.round((caught.catchup_ms / caught.bare_fetch_ms) * 100) / 100 : null;
  console.log(
    `targets: evaluate ≤ 20 ms ${evaluate_ms <= 20 ? 'met' : 'MISSED'}, render ≤ 300 ms ${render_ms <= 300 ? 'met' : 'MISSED'}, catch-up ratio ≤ 2 ${catchup_ratio === null ? 'not measured' : catchup_ratio <= 2 ? 'met' : 'MISSED'}`,
  );
  console.log(
    JSON.stringify({
      cameras: CAMERAS,
      messages: MESSAGES,
      catchup_ms: caught?.catchup_ms ?? null,
      bare_fetch_ms: caught?.bare_fetch_ms ?? null,
      catchup_ratio,
      evaluate_ms,
      render_ms,
    }),
  );
} finally {
  await harness.close();
}
