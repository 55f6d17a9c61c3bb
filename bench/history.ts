/**
 * bench:history — the Delivery table's query on a large history.
 * Fills 200,000 attempts, then measures (medians over repeated runs):
 *  - page_ms:   one page of the Delivery table (filtered by site, status and date range, sorted by
 *               time, 100 rows, with the total count), exactly as the renderer asks for it;
 *  - append_ms: appending one attempt (insert + delivery state update, one transaction, committed).
 * Last line is JSON: {"attempts": N, "page_ms": P, "append_ms": A}. Targets: page < 50 ms, append < 1 ms.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCore } from '../electron/core/node.ts';
import { commitWrites } from '../electron/core/history/db.ts';
import { queryDeliveries } from '../electron/core/history/deliveries.ts';
import { DeliveryQuery } from '../shared/schemas.ts';
import { fillHistory, sampleTranscript } from '../test/helpers/history-fill.ts';

const TARGET_ATTEMPTS = Number(process.env.BENCH_ATTEMPTS ?? 200_000);
const DAY = 86_400_000;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number) => Math.round(n * 1000) / 1000;

const dir = await mkdtemp(join(tmpdir(), 'alertdesk-bench-history-'));
const core = await openCore({ dataDir: dir, passphrase: 'benchmark passphrase' });
try {
  const now = Date.now();
  let attempts = 0;
  let batch = 0;
  const fillStart = performance.now();
  while (attempts < TARGET_ATTEMPTS) {
    attempts += fillHistory(core.deliveries, {
      deliveries: Math.min(20_000, Math.ceil((TARGET_ATTEMPTS - attempts) / 1.3)),
      sites: 40,
      connectorsPerSite: 3,
      camerasPerSite: 25,
      spanMs: 170 * DAY,
      now,
      seed: 1000 + batch++,
    });
    commitWrites(core.db);
  }
  const deliveries = (core.db.prepare('SELECT COUNT(*) AS n FROM deliveries').get() as { n: number }).n;
  core.db.exec('ANALYZE');
  console.log(
    `filled ${attempts} attempts in ${deliveries} deliveries in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`,
  );

  // A page of the Delivery table: a site's failures of the last 30 days, newest first.
  const pageTimes: number[] = [];
  let lastTotal = 0;
  for (let i = 0; i < 41; i++) {
    const q = DeliveryQuery.parse({
      filter: {
        siteId: `site-${i % 40}`,
        status: ['failed', 'retrying'],
        from: new Date(now - 30 * DAY).toISOString(),
        to: new Date(now).toISOString(),
      },
      sort: { column: 'createdAt', direction: 'desc' },
      offset: 0,
      limit: 100,
    });
    const t0 = performance.now();
    const page = queryDeliveries(core.db, q);
    pageTimes.push(performance.now() - t0);
    lastTotal = page.total;
  }
  // The same, sorted by another column (no index on it), for the record.
  const sortTimes: number[] = [];
  for (let i = 0; i < 21; i++) {
    const q = DeliveryQuery.parse({
      filter: { siteId: `site-${i % 40}` },
      sort: { column: 'durationMs', direction: 'desc' },
      limit: 100,
    });
    const t0 = performance.now();
    queryDeliveries(core.db, q);
    sortTimes.push(performance.now() - t0);
  }
  const unfiltered: number[] = [];
  for (let i = 0; i < 21; i++) {
    const q = DeliveryQuery.parse({ limit: 100, offset: i * 1000 });
    const t0 = performance.now();
    queryDeliveries(core.db, q);
    unfiltered.push(performance.now() - t0);
  }

  // One append: a new attempt on an existing delivery, with its state update.
  const ids = (
    core.db.prepare('SELECT id FROM deliveries ORDER BY random() LIMIT 201').all() as Array<{ id: string }>
  ).map((r) => r.id);
  const appendTimes: number[] = [];
  for (const [i, id] of ids.entries()) {
    const t0 = performance.now();
    core.deliveries.appendAttempt(
      id,
      {
        n: 10 + i,
        startedAt: now,
        durationMs: 321,
        outcome: 'sent',
        failure: null,
        accepted: ['ops@example.test'],
        rejected: [],
        response: '250 2.0.0 OK',
        timings: [{ step: 'connect', startMs: 0, durationMs: 12, ok: true }],
        tls: null,
        transcript: sampleTranscript(i),
      },
      {
        status: 'sent',
        failureClass: null,
        failure: null,
        reply: '250 2.0.0 OK',
        messageId: `<bench-${i}@example.test>`,
        serverMessageId: null,
        durationMs: 321,
        nextAttemptAt: null,
        accepted: ['ops@example.test'],
        rejected: [],
      },
      now,
    );
    // Writes are grouped per event-loop turn; the commit belongs to the cost of one append alone.
    commitWrites(core.db);
    appendTimes.push(performance.now() - t0);
  }

  const page_ms = round(median(pageTimes));
  const append_ms = round(median(appendTimes));
  console.log(
    `page of the Delivery table (site + status + 30 days, newest first, 100 rows + total ~${lastTotal}): median ${page_ms} ms over ${pageTimes.length} runs (max ${round(Math.max(...pageTimes))} ms)`,
  );
  console.log(`page sorted by duration (no index on it): median ${round(median(sortTimes))} ms`);
  console.log(`unfiltered page at offsets 0…20,000: median ${round(median(unfiltered))} ms`);
  console.log(
    `append one attempt: median ${append_ms} ms over ${appendTimes.length} runs (max ${round(Math.max(...appendTimes))} ms)`,
  );
  console.log(
    `targets: page < 50 ms ${page_ms < 50 ? 'met' : 'MISSED'}, append < 1 ms ${append_ms < 1 ? 'met' : 'MISSED'}`,
  );
  console.log(JSON.stringify({ attempts, page_ms, append_ms }));
} finally {
  await core.close();
  await rm(dir, { recursive: true, force: true });
}
