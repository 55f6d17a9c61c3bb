/**
 * bench:heartbeats — 5,000 cameras over 50 sites and 10,000 heartbeat messages.
 *  - catchup_ms, bare_fetch_ms, catchup_ratio: the watcher catching up on all messages in Dovecot
 *    vs a bare imapflow fetch of the same fields, from `bench/heartbeats-catchup.ts` (the
 *    watchers' benchmark), run as a child process; null when that benchmark is not there.
 *  - evaluate_ms: working out every camera's heartbeat state once (the monitor's evaluate over all
 *    cameras: coverage, maintenance, lateness, what changed), median of repeated runs;
 *  - render_ms: from opening the Heartbeats page in Chromium to its first rows painted (data
 *    fetched through the contract, table built, first frame), median of repeated runs.
 * Also printed: matching the 10,000 messages to cameras as they are published.
 * Last line is JSON: {cameras, messages, catchup_ms, bare_fetch_ms, catchup_ratio, evaluate_ms, render_ms}.
 * Targets: catchup_ratio ≤ 2, evaluate_ms ≤ 20, render_ms ≤ 300.
 */
import { chromium } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { StoredCamera } from '../electron/core/inventory/inventory.ts';
import { startHarness } from '../test/e2e/harness.ts';
import { addMailbox, cameraRecord, heartbeatMail } from '../test/helpers/heartbeats.ts';

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

/** The watchers' catch-up figures, from their benchmark's last JSON line; null when it is missing or fails. */
function catchUp(): { catchup_ms: number; bare_fetch_ms: number } | null {
  const script = join(import.meta.dirname, 'heartbeats-catchup.ts');
  if (!existsSync(script)) {
    console.log(
      'catch-up: bench/heartbeats-catchup.ts (the mailbox watchers) is not in this tree: not measured',
    );
    return null;
  }
  const run = spawnSync(process.execPath, [script], {
    env: { ...process.env, BENCH_CAMERAS: String(CAMERAS), BENCH_MESSAGES: String(MESSAGES) },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = run.stdout.trim().split('\n');
  for (const line of lines.slice(0, -1)) console.log(`  catch-up | ${line}`);
  try {
    const last = JSON.parse(lines.at(-1) ?? '') as { catchup_ms?: number; bare_fetch_ms?: number };
    if (typeof last.catchup_ms === 'number' && typeof last.bare_fetch_ms === 'number')
      return { catchup_ms: last.catchup_ms, bare_fetch_ms: last.bare_fetch_ms };
  } catch {
    // reported below
  }
  console.log(`catch-up: bench/heartbeats-catchup.ts ended with ${run.status} and no figures`);
  return null;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
console.log(`machine: ${cpus().length} cores, load average ${load()} (1 / 5 / 15 min) at the start`);
const caught = catchUp();

const harness = await startHarness();
const { core } = harness.t;
try {
  // ── Seed: 50 sites of 100 cameras, one mailbox watching them all, one rule per site ──
  const sites = [];
  for (let s = 0; s < SITES; s++)
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
  const cameras: StoredCamera[] = [];
  for (let i = 0; i < CAMERAS; i++)
    cameras.push(
      cameraRecord(
        sites[i % SITES]!.id,
        `Cam ${String(i).padStart(4, '0')} ${['Gate', 'Fence', 'Dock', 'Lobby', 'Yard'][i % 5]}`,
      ),
    );
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

  // ── 10,000 messages: two per camera, an hour apart; one camera in seven is late or down by now ──
  const now = Date.now();
  const messages = [];
  for (let m = 0; m < MESSAGES; m++) {
    const camera = cameras[m % CAMERAS]!;
    const round_ = Math.floor(m / CAMERAS);
    const silentFor = (m % CAMERAS) % 7 === 0 ? 70 + (m % 3) * 20 : 5 + (m % 50);
    const when = new Date(now - (silentFor + round_ * 60) * MIN);
    const site = sites[(m % CAMERAS) % SITES]!;
    messages.push(
      heartbeatMail(now, {
        sourceId: 'mbx-bench',
        subject: `${site.name} – ${camera.name} – Health Mail`,
        receivedAt: when,
      }),
    );
  }
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
  const catchup_ratio = caught ? round((caught.catchup_ms / caught.bare_fetch_ms) * 100) / 100 : null;
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
