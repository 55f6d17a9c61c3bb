/**
 * bench:bench-inbox — what the bench inbox costs the app while cameras send to it.
 * Measures, against the real core on loopback (nodemailer plays the camera from a worker thread of
 * its own, "accept any login"):
 *  - burst_ms:  a camera's burst e-mail (three 1280×720 JPEG snapshots, ~280 KB) from the first
 *               byte to the 250 reply: received, stored, parsed with thumbnails, published (median);
 *  - large_ms:  the same for a ~19 MB message (seven 2 MB attachments, base64);
 *  - lag_*_ms:  the longest the app's event loop was held (perf_hooks' delay histogram, max and
 *               p99) while bursts and large messages were being parsed, with the parsing thread —
 *               what the app does — and, for comparison, with parsing in the main thread.
 *  - the same delay with nothing to do, as the baseline of a shared machine.
 * Last line is JSON. Target: with the parsing thread, the event loop is held no longer than when
 * idle plus 50 ms; in the main thread it is held for the whole parse.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { closedPort } from '../test/helpers/faults.ts';
import { openCore } from '../electron/core/node.ts';
import type { Core } from '../electron/core/core.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number) => Math.round(n * 10) / 10;

async function measure(label: string, threaded: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'alertdesk-bench-inbox-'));
  const core: Core = await openCore({ dataDir: dir, passphrase: 'benchmark passphrase' });
  // In-thread parsing: the same core with its parsing thread's script taken away.
  if (!threaded) (core.bench as unknown as { parser: { script: URL | null } }).parser.script = null;
  const port = await closedPort();
  await core.handlers.bench.configure({
    port,
    listenAddress: '127.0.0.1',
    authMode: 'any',
    messagesPerMinute: 6000,
  });
  await core.handlers.bench.start(undefined);
  const camera = new Worker(new URL('./bench-inbox-camera.ts', import.meta.url), { workerData: { port } });
  await once(camera, 'message');
  const send = async (kind: 'burst' | 'large') => {
    camera.postMessage(kind);
    const [reply] = (await once(camera, 'message')) as [{ ms?: number; error?: string }];
    if (reply.error !== undefined) throw new Error(reply.error);
    return reply.ms!;
  };
  await send('burst'); // the parsing thread starts with the first message
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const burst: number[] = [];
  const big: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    burst.push(await send('burst'));
    if (i % 2 === 0) big.push(await send('large'));
  }
  lag.disable();
  await camera.terminate();
  await core.close();
  await rm(dir, { recursive: true, force: true });
  const out = {
    burst_ms: round(median(burst)),
    large_ms: round(median(big)),
    lag_max_ms: round(lag.max / 1e6),
    lag_p99_ms: round(lag.percentile(99) / 1e6),
  };
  console.log(
    `${label}: burst of 3 JPEGs ${out.burst_ms} ms, 19 MB message ${out.large_ms} ms (medians); event loop held at most ${out.lag_max_ms} ms (p99 ${out.lag_p99_ms} ms)`,
  );
  return out;
}

// What the event loop suffers with nothing to do: on a shared machine, the scheduler's own delay.
const idle = monitorEventLoopDelay({ resolution: 5 });
idle.enable();
await new Promise((resolve) => setTimeout(resolve, 3000));
idle.disable();
const baseline = { max: round(idle.max / 1e6), p99: round(idle.percentile(99) / 1e6) };
console.log(
  `idle (baseline): event loop held at most ${baseline.max} ms (p99 ${baseline.p99} ms), load average ${loadavg()[0]!.toFixed(1)}`,
);

const threaded = await measure('parsing thread (the app)', true);
// BENCH_INLINE=0 leaves the comparison out (to profile the app's way alone).
const inline =
  process.env.BENCH_INLINE === '0'
    ? { burst_ms: null, lag_max_ms: null }
    : await measure('main thread (comparison)', false);
console.log(
  JSON.stringify({
    burst_ms: threaded.burst_ms,
    large_ms: threaded.large_ms,
    lag_max_ms: threaded.lag_max_ms,
    lag_p99_ms: threaded.lag_p99_ms,
    inline_lag_max_ms: inline.lag_max_ms,
    inline_burst_ms: inline.burst_ms,
    idle_lag_max_ms: baseline.max,
    load: Math.round(loadavg()[0]! * 10) / 10,
  }),
);
