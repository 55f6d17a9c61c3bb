/**
 * bench:bulk — a bulk handover run: 1,000 cameras over 100 connectors, through the same core the app
 * uses (RunService → DeliveryEngine → SMTP sessions), against a local smtp-server that holds every reply
 * BENCH_REPLY_MS (default 100 ms: what a provider across the internet answers in;
 * test/helpers/reply-delay.ts, in a child process: bench/bulk-server.ts).
 * Measures:
 *  - wall_ms:     from starting the run to its settling, every camera passed;
 *  - bound_ms:    the latency bound: SMTP round trips per message (answers the client waited for,
 *                 counted at the server; pipelined MAIL/RCPT/DATA are one) × reply_ms × messages ÷ peak
 *                 concurrent sessions (measured at the server): the time the run would take if only
 *                 latency cost anything;
 *  - serial_ms:   the same kind of messages one at a time (a core with globalSessions 1), on a sample,
 *                 scaled to the whole run;
 *  - peak_rss_mb: the AlertDesk process's peak resident memory (the mail side runs in the child);
 *  - cpu_ms_per_message: the CPU the AlertDesk process spent per message of the bulk run.
 * Last line is JSON: {"messages", "reply_ms", "wall_ms", "bound_ms", "ratio", "serial_ms", "speedup",
 * "peak_rss_mb", "cpu_ms_per_message"}.
 * Targets at 100 ms: ratio ≤ 1.25, speedup ≥ 20, peak RSS ≤ 300 MB. At 20 ms the run is bound by
 * this 2-core machine's CPU (AlertDesk and the mail side share it), not by the latency.
 *
 * BENCH_LOGINS=own (default) gives every camera its own login and app password, as AlertDesk's
 * handover tests are meant to (one SMTP session per camera); BENCH_LOGINS=shared lets the cameras of
 * a connector use its login (sessions carry several messages). BENCH_PROFILE=1 profiles the bulk run
 * and prints where the AlertDesk process spent its time (the figures of a profiled run are slower).
 * SMTP sessions run where the app would run them on this computer (the delivery thread from
 * 4 logical cores, the main thread below); BENCH_THREAD=1 or 0 forces one or the other.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StoredAppPassword, StoredCamera } from '../electron/core/inventory/inventory.ts';
import type { Core } from '../electron/core/core.ts';
import { DELIVERY_THREAD_MIN_CORES, deliveryThreadPays } from '../electron/core/mail/delivery-thread.ts';
import { openCore } from '../electron/core/node.ts';
import { ConnectorFields, RunOptions } from '../shared/schemas.ts';
import type { FromServer, ToServer } from './bulk-server.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1000);
const CONNECTORS = Number(process.env.BENCH_CONNECTORS ?? 100);
/** What each SMTP reply is held, ms. */
const DELAY_MS = Number(process.env.BENCH_REPLY_MS ?? 100);
/** Cameras sent one at a time for the serial baseline: fewer the longer replies take, at least 20. */
const SERIAL = Number(
  process.env.BENCH_SERIAL ?? Math.min(MESSAGES, Math.max(20, Math.round(2400 / Math.max(DELAY_MS, 1)))),
);
const LOGINS: 'own' | 'shared' = process.env.BENCH_LOGINS === 'shared' ? 'shared' : 'own';
const PROFILE = process.env.BENCH_PROFILE === '1';
/** Where the SMTP sessions run: as the app decides on this computer, unless BENCH_THREAD=1 or 0 says. */
const THREAD = process.env.BENCH_THREAD ? process.env.BENCH_THREAD === '1' : deliveryThreadPays();
const CAMERAS_PER_CONNECTOR = MESSAGES / CONNECTORS;
const CONNECTORS_PER_SITE = 2;
const PASSPHRASE = 'benchmark passphrase';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => bytes / 1024 / 1024;

if (!Number.isInteger(CAMERAS_PER_CONNECTOR))
  throw new Error('BENCH_MESSAGES must be a multiple of BENCH_CONNECTORS');

/** A 16-letter app password per login, so the server can check each camera brought its own. */
const secretOf = (seed: number) =>
  Array.from({ length: 16 }, (_, k) =>
    String.fromCharCode(97 + ((seed * 7 + k * 13 + (seed >> 3)) % 26)),
  ).join('');
const connectorLogin = (k: number) => `relay${k}@site${Math.floor(k / CONNECTORS_PER_SITE)}.example.test`;
const cameraLogin = (i: number) =>
  `cam${i}@site${Math.floor(i / CAMERAS_PER_CONNECTOR / CONNECTORS_PER_SITE)}.example.test`;

// ── The mail side: smtp-server with its replies held BENCH_REPLY_MS, in a child process ──────────
const child = fork(fileURLToPath(new URL('./bulk-server.ts', import.meta.url)), [], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const ask = <T extends FromServer['type']>(message: ToServer, answer: T) =>
  new Promise<Extract<FromServer, { type: T }>>((resolve, reject) => {
    const onMessage = (m: FromServer) => {
      if (m.type !== answer) return;
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(m as Extract<FromServer, { type: T }>);
    };
    const onExit = (code: number | null) => reject(new Error(`bench/bulk-server.ts exited (${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message);
  });

const users: Record<string, string> = {};
for (let k = 0; k < CONNECTORS; k++) users[connectorLogin(k)] = secretOf(100_000 + k);
for (let i = 0; i < MESSAGES; i++) users[cameraLogin(i)] = secretOf(i);
const { port } = await ask({ type: 'start', delayMs: DELAY_MS, users }, 'ready');

/**
 * Sites, RUN connectors (security none, AUTH PLAIN, to that server) and their cameras. Connectors go
 * through the connector service like the app's form; cameras and their app-password records are
 * committed in one write, as a CSV import would.
 */
async function seed(core: Core, connectorCount: number): Promise<string[]> {
  const siteIds: string[] = [];
  const connectorIds: string[] = [];
  for (let k = 0; k < connectorCount; k++) {
    const s = Math.floor(k / CONNECTORS_PER_SITE);
    if (k % CONNECTORS_PER_SITE === 0) {
      siteIds.push(
        core.sites.create({
          name: `Site ${String(s).padStart(3, '0')}`,
          customer: `Customer ${s % 17}`,
          address: '',
          contact: '',
          notes: '',
          handover: 'commissioning',
        }).id,
      );
    }
    const connector = await core.connectors.create(
      ConnectorFields.parse({
        siteId: siteIds.at(-1)!,
        title: `Relay ${k}`,
        host: '127.0.0.1',
        port,
        portIsManual: true,
        security: 'none',
        auth: 'plain',
        username: connectorLogin(k),
        password: secretOf(100_000 + k),
        sender: connectorLogin(k),
        // the benchmark's server is on loopback, without TLS (TLS would measure crypto, not SMTP)
        allowPlainLogin: true,
        connectionTimeoutSec: 30,
      }),
    );
    core.connectors.setState(connector.id, 'RUN');
    connectorIds.push(connector.id);
  }
  const now = new Date().toISOString();
  const cameras: StoredCamera[] = [];
  const records: StoredAppPassword[] = [];
  for (let i = 0; i < connectorCount * CAMERAS_PER_CONNECTOR; i++) {
    const k = Math.floor(i / CAMERAS_PER_CONNECTOR);
    let recordId: string | null = null;
    if (LOGINS === 'own') {
      recordId = crypto.randomUUID();
      const sealed = await core.vault.seal(secretOf(i), recordId);
      records.push({
        id: recordId,
        account: cameraLogin(i),
        provider: 'gmail',
        label: `Camera ${i}`,
        notes: '',
        secretSealed: sealed.sealed,
        secretDigest: sealed.digest,
        secretLength: sealed.length,
        status: 'active',
        createdAt: now,
        createdBy: 'bench',
        lastVerified: null,
        replacesId: null,
        replacedById: null,
        retiredAt: null,
        secretDestroyedAt: null,
      });
    }
    cameras.push({
      id: crypto.randomUUID(),
      siteId: siteIds[Math.floor(k / CONNECTORS_PER_SITE)]!,
      name: `Cam ${String(i).padStart(4, '0')} ${['Gate', 'Fence', 'Dock', 'Lobby', 'Yard'][i % 5]}`,
      vendor: 'Hikvision',
      model: 'DS-2CD2387G2',
      host: `10.${Math.floor(i / 250)}.${i % 250}.${(i * 7) % 250}`,
      serial: `SN-${100000 + i}`,
      location: ['North fence', 'Loading dock', 'Reception', 'Car park'][i % 4]!,
      connectorId: connectorIds[k]!,
      smtpLogin: LOGINS === 'own' ? cameraLogin(i) : connectorLogin(k),
      appPasswordId: recordId,
      recipients: ['control-room@example.test'],
      subjectTemplate: '%Site_Name% – %Camera_Name% – %Event_Type%',
      heartbeatMinutes: 60,
      notes: '',
      createdAt: now,
      updatedAt: now,
    });
  }
  core.inventory.commit({ cameras, appPasswords: records });
  return siteIds;
}

interface Phase {
  messages: number;
  wallMs: number;
  passed: number;
  failures: string[];
  itemMs: number[];
  /** How long starting the run took (planning, recording it, queueing every camera). */
  startMs: number;
  /** When each camera's test ended, in ms from the start of the run, in order. */
  doneAtMs: number[];
  server: Extract<FromServer, { type: 'stats' }>;
  rssBefore: number;
  peakSampledRss: number;
  peakHeap: number;
  maxRss: number;
  elu: number;
  cpuMs: number;
  /** Of which in the kernel (sockets, loopback TCP, SQLite's file writes). */
  systemMs: number;
  events: number;
  /** CPU time all processes of the machine used during the run (ms). */
  machineMs: number;
  /** CPU the VM's host held back during the run (ms, 10 ms resolution), null where unknown. */
  stealMs: number | null;
  profile: Awaited<ReturnType<typeof profileStop>> | null;
}

async function profileStart(session: Session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
}

async function profileStop(session: Session) {
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  // Kept for a closer look in Chrome DevTools (Performance → Load profile).
  const file = join(tmpdir(), `alertdesk-bench-bulk-${Date.now()}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  const total = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const root = fileURLToPath(new URL('..', import.meta.url));
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace('file://', '').replace(root, '');
    const name = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    const area = !file
      ? functionName.startsWith('(')
        ? functionName
        : `native: ${functionName}`
      : file.startsWith('node:')
        ? 'node internals'
        : (/node_modules\/(@[^/]+\/[^/]+|[^/]+)/.exec(file)?.[0] ?? file.split('/').slice(0, 3).join('/'));
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
  return { file, functions: top(byFunction, 25), areas: top(byArea, 15) };
}

/**
 * CPU time a virtual machine's host has held back from it so far ("steal", Linux's /proc/stat), ms;
 * null where it cannot be read. The host's other guests slow a run down without any process here
 * being busier: the ratio moves with it.
 */
const stolenMs = (): number | null => {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
    return fields[8] === undefined ? null : Number(fields[8]) * 10;
  } catch {
    return null;
  }
};

/** CPU time the whole machine has spent so far, to see whether other processes took cores from the run. */
const machineBusyMs = () =>
  cpus().reduce((n, c) => n + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);

/** One handover run of every camera of `siteIds`, measured from start to settled. */
async function runPhase(core: Core, siteIds: string[], profile: boolean): Promise<Phase> {
  await ask({ type: 'stats', reset: true }, 'stats');
  let events = 0;
  // The app forwards every event to the renderer (structured clone over IPC): pay that cost here too.
  const off = core.onEvent((message) => {
    events++;
    structuredClone(message);
  });
  const rssBefore = process.memoryUsage.rss();
  let peakSampledRss = rssBefore;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakSampledRss = Math.max(peakSampledRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed + m.external);
  }, 50);
  const session = profile ? new Session() : null;
  if (session) await profileStart(session);
  const machine0 = machineBusyMs();
  const steal0 = stolenMs();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const epoch0 = Date.now();
  const run = await core.runs.start(RunOptions.parse({ scope: { siteIds } }));
  const startMs = performance.now() - t0;
  const detail = await core.runs.settled(run.id);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const machineMs = machineBusyMs() - machine0;
  const steal1 = stolenMs();
  const stealMs = steal0 === null || steal1 === null ? null : steal1 - steal0;
  const profiled = session ? await profileStop(session) : null;
  clearInterval(sampler);
  off();
  peakSampledRss = Math.max(peakSampledRss, process.memoryUsage.rss());
  // The last sessions' QUIT replies are still in the delay line: let them through before counting.
  await new Promise((resolve) => setTimeout(resolve, DELAY_MS * 5));
  const server = await ask({ type: 'stats', reset: true }, 'stats');
  const passed = detail.items.filter((i) => i.status === 'passed');
  return {
    messages: detail.items.length,
    wallMs,
    passed: passed.length,
    failures: detail.items
      .filter((i) => i.status !== 'passed')
      .slice(0, 5)
      .map((i) => `${i.cameraName}: ${i.status} ${i.failureClass ?? ''} ${i.explanation ?? ''}`),
    startMs,
    itemMs: passed.map((i) => i.durationMs ?? 0),
    doneAtMs: detail.items
      .map((i) => (i.finishedAt ? Date.parse(i.finishedAt) - epoch0 : wallMs))
      .sort((a, b) => a - b),
    server,
    rssBefore,
    peakSampledRss,
    peakHeap,
    maxRss: process.resourceUsage().maxRSS * 1024,
    elu,
    cpuMs: (cpu.user + cpu.system) / 1000,
    systemMs: cpu.system / 1000,
    events,
    machineMs,
    stealMs,
    profile: profiled,
  };
}

/** Round trips the client waited for, counted at the server (pipelined replies are one wait; QUIT's is none). */
const roundTrips = (p: Phase) => p.server.delay.roundTrips;

function describe(label: string, p: Phase) {
  const { delay } = p.server;
  const rt = roundTrips(p) / p.messages;
  const serverCpuMs = (p.server.cpu.user + p.server.cpu.system) / 1000;
  const replies = Object.entries(delay.replies)
    .sort()
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
  console.log(
    `${label}: ${p.passed}/${p.messages} passed in ${round(p.wallMs)} ms (${round((p.messages / p.wallMs) * 1000)} messages/s); the server received ${p.server.received}, logins ok ${p.server.logins.ok}, failed ${p.server.logins.failed}`,
  );
  for (const f of p.failures) console.log(`  not passed: ${f}`);
  console.log(
    `  SMTP: ${delay.connections} sessions, replies ${replies} (${round(delay.chunks / p.messages, 2)} delayed chunks per message); ${round(rt, 2)} awaited round trips per message (MAIL, RCPT and DATA pipelined are one, as are the message and a QUIT sent with it; a QUIT sent alone is not awaited: ${delay.quitTurns}); replies held ${round(delay.heldMs / delay.held, 2)} ms on average (the delay line's timer and the mail side's busy loop add to the ${DELAY_MS} ms)`,
  );
  console.log(
    `  concurrency at the server: peak ${delay.peakSessions} sessions (${delay.peakOpen} TCP connections incl. closing ones), mean ${round(delay.sessionMs / p.wallMs)}; per-message time median ${round(median(p.itemMs))} ms per message, p95 ${round(percentile(p.itemMs, 0.95))} ms (latency alone: ${round(rt * DELAY_MS)} ms)`,
  );
  const at = (q: number) =>
    round(p.doneAtMs[Math.min(p.doneAtMs.length - 1, Math.floor(p.doneAtMs.length * q))]!, 0);
  console.log(
    `  timeline: run started (planned, recorded, queued) after ${round(p.startMs)} ms, first camera done at ${at(0)} ms, 10 % at ${at(0.1)}, half at ${at(0.5)}, 90 % at ${at(0.9)}, last at ${at(1)} ms; steady pace between 10 % and 90 %: ${round(((0.8 * p.messages) / (at(0.9) - at(0.1))) * 1000)} messages/s`,
  );
  console.log(
    `  AlertDesk process: event loop ${round(p.elu * 100)} % busy, CPU ${round(p.cpuMs)} ms (${round(p.cpuMs / p.messages, 2)} ms per message, ${round((p.systemMs / p.cpuMs) * 100)} % of it in the kernel), ${p.events} events; mail side CPU ${round(serverCpuMs)} ms`,
  );
  console.log(
    `  machine: ${cpus().length} cores ${round((p.machineMs / p.wallMs / cpus().length) * 100)} % busy during the run; other processes used ~${round(Math.max(0, p.machineMs - p.cpuMs - serverCpuMs))} ms of CPU (they compete with the benchmark when this is large)${p.stealMs === null ? '' : `; the VM's host held back ${p.stealMs} ms of CPU (steal)`}`,
  );
}

const rssAtStart = process.memoryUsage.rss();
const dirs: string[] = [];
const fresh = async (globalSessions?: number) => {
  const dir = await mkdtemp(join(tmpdir(), 'alertdesk-bench-bulk-'));
  dirs.push(dir);
  return openCore({
    dataDir: dir,
    passphrase: PASSPHRASE,
    deliveryThread: THREAD,
    ...(globalSessions ? { globalSessions } : {}),
  });
};

try {
  // ── The bulk run: the app's defaults (64 sessions at once, 4 per connector) ─────────────────
  const core = await fresh(process.env.BENCH_SESSIONS ? Number(process.env.BENCH_SESSIONS) : undefined);
  const seedStart = performance.now();
  const siteIds = await seed(core, CONNECTORS);
  console.log(
    `seeded ${MESSAGES} cameras over ${CONNECTORS} connectors at ${siteIds.length} sites in ${round(performance.now() - seedStart)} ms; logins: ${LOGINS === 'own' ? 'each camera its own login and app password (one SMTP session per camera)' : "each camera its connector's login (sessions carry several messages)"}; plain SMTP, AUTH PLAIN; every reply delayed ${DELAY_MS} ms (BENCH_REPLY_MS)`,
  );
  console.log(
    `SMTP sessions run in ${THREAD ? 'the delivery thread' : "the engine's (main) thread"}: ${process.env.BENCH_THREAD ? 'BENCH_THREAD says so' : `as the app runs them on a computer with ${cpus().length} logical cores (the delivery thread from ${DELIVERY_THREAD_MIN_CORES})`}`,
  );
  const bulk = await runPhase(core, siteIds, PROFILE);
  await core.close();
  describe(`bulk run${PROFILE ? ' (PROFILED: slower than unprofiled)' : ''}`, bulk);

  // ── The serial baseline: the same kind of messages, one session at a time ──────────────────
  const serialCore = await fresh(1);
  const serialSites = await seed(serialCore, Math.max(1, Math.round(SERIAL / CAMERAS_PER_CONNECTOR)));
  const serial = await runPhase(serialCore, serialSites, false);
  await serialCore.close();
  describe(`serial sample (globalSessions 1)`, serial);

  const rt = roundTrips(bulk) / bulk.messages;
  const concurrency = bulk.server.delay.peakSessions;
  const wall_ms = round(bulk.wallMs);
  const bound_ms = round((rt * DELAY_MS * bulk.messages) / concurrency);
  const ratio = round(wall_ms / bound_ms, 3);
  const serial_ms = round((serial.wallMs * bulk.messages) / serial.messages);
  const speedup = round(serial_ms / wall_ms, 2);
  const peak_rss_mb = round(mb(Math.max(bulk.maxRss, bulk.peakSampledRss)));
  console.log(
    `latency bound: ${round(rt, 2)} round trips × ${DELAY_MS} ms × ${bulk.messages} messages ÷ ${concurrency} sessions = ${bound_ms} ms; wall ${wall_ms} ms → ratio ${ratio}`,
  );
  console.log(
    `serial: ${serial.messages} messages in ${round(serial.wallMs)} ms (${round(serial.wallMs / serial.messages)} ms each, latency alone ${round((roundTrips(serial) / serial.messages) * DELAY_MS)} ms), scaled to ${bulk.messages}: ${serial_ms} ms → speedup ${speedup}`,
  );
  console.log(
    `peak RSS of the AlertDesk process: ${peak_rss_mb} MB (its maxRSS since it started, seeding included; RSS at ${round(mb(rssAtStart))} MB before opening the core, ${round(mb(bulk.rssBefore))} MB when the run started, peak ${round(mb(bulk.peakSampledRss))} MB sampled every 50 ms during it, JS heap + external at most ${round(mb(bulk.peakHeap))} MB)`,
  );
  if (bulk.profile) {
    console.log(`CPU profile of the bulk run: ${bulk.profile.file}`);
    console.log('where the bulk run spent the AlertDesk process (self time, by area):');
    for (const line of bulk.profile.areas) console.log(`  ${line}`);
    console.log('by function:');
    for (const line of bulk.profile.functions) console.log(`  ${line}`);
  }
  // Both processes share this machine's cores: the CPU they spent together, spread over every core,
  // is a wall time no scheduling can beat, and so is the AlertDesk process's CPU on its one thread.
  const serverCpuMs = (bulk.server.cpu.user + bulk.server.cpu.system) / 1000;
  // AlertDesk's CPU is spent in its main thread (the engine) and, when used, the delivery thread; the main
  // thread's share is its event loop's busy time.
  const mainThreadMs = bulk.elu * bulk.wallMs;
  const cpuFloorMs = Math.max((bulk.cpuMs + serverCpuMs) / cpus().length, mainThreadMs);
  console.log(
    `CPU floor on this machine: max((AlertDesk ${round(bulk.cpuMs)} ms in its threads + mail side ${round(serverCpuMs)} ms) ÷ ${cpus().length} cores, AlertDesk's main thread alone ${round(mainThreadMs)} ms) = ${round(cpuFloorMs)} ms → at this CPU cost per message the ratio cannot go below ${round(cpuFloorMs / bound_ms, 2)}`,
  );
  if ((bulk.cpuMs + serverCpuMs) / cpus().length > 0.7 * bulk.wallMs)
    console.log(
      `limit: the machine's ${cpus().length} cores were ${round(((bulk.cpuMs + serverCpuMs) / cpus().length / bulk.wallMs) * 100)} % busy with AlertDesk and the mail side: CPU (AlertDesk ${round(bulk.cpuMs / bulk.messages, 2)} ms per message), not the latency, set the pace; BENCH_PROFILE=1 shows where the main thread's goes`,
    );
  else if (bulk.elu > 0.85)
    console.log(
      `limit: the AlertDesk event loop was ${round(bulk.elu * 100)} % busy during the bulk run, so its CPU (${round(bulk.cpuMs / bulk.messages, 2)} ms per message), not the latency, set the pace; BENCH_PROFILE=1 shows where it goes`,
    );
  const complete = bulk.passed === bulk.messages && serial.passed === serial.messages;
  if (!complete) {
    console.log('NOT every message passed: the figures below do not describe a clean run.');
    process.exitCode = 1;
  }
  const cpu_ms_per_message = round(bulk.cpuMs / bulk.messages, 3);
  console.log(
    DELAY_MS >= 100
      ? `targets (at 100 ms): ratio ≤ 1.25 ${ratio <= 1.25 ? 'met' : 'MISSED'}, speedup ≥ 20 ${speedup >= 20 ? 'met' : 'MISSED'}, peak RSS ≤ 300 MB ${peak_rss_mb <= 300 ? 'met' : 'MISSED'}`
      : `targets are set at 100 ms replies; at ${DELAY_MS} ms this run is bound by this machine's CPU (see the CPU floor above): speedup ≥ 20 ${speedup >= 20 ? 'met' : 'MISSED'}, peak RSS ≤ 300 MB ${peak_rss_mb <= 300 ? 'met' : 'MISSED'}`,
  );
  console.log(
    JSON.stringify({
      messages: bulk.messages,
      reply_ms: DELAY_MS,
      wall_ms,
      bound_ms,
      ratio,
      serial_ms,
      speedup,
      peak_rss_mb,
      cpu_ms_per_message,
    }),
  );
} finally {
  child.send({ type: 'close' } satisfies ToServer);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
}
