/**
 * bench:hardening — what the hardening costs (issue 16). Medians where repeated:
 *  - audit_record_ms:   one audited action: event stamped, MAC'd, committed, head file written;
 *  - audit_verify_ms:   checking a chain of BENCH_AUDIT_EVENTS (100,000) events (in slices);
 *  - log_line_us:       one line through electron-log's file transport (synchronous, rotating),
 *                       next to plain appendFileSync (the logger it replaced);
 *  - csv_preview_ms and csv_main_blocked_ms: previewing a 20 MB camera CSV in the CSV thread, and
 *                       the longest the main thread's event loop was held meanwhile (vs. in-thread);
 *  - backup_kdf_ms:     the backup's scrypt (N = 2^17, r = 8, p = 1).
 * Last line is JSON with these figures.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileLogger } from '../electron/adapters/file-logger.ts';
import { BACKUP_SCRYPT } from '../electron/core/inventory/backup.ts';
import { CsvThread } from '../electron/core/inventory/camera-csv-thread.ts';
import { openCore } from '../electron/core/node.ts';
import { deriveKey } from '../electron/core/secrets/passphrase-box.ts';

const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 100_000);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

const dir = await mkdtemp(join(tmpdir(), 'alertdesk-bench-hardening-'));
const figures: Record<string, number> = {};
try {
  // ── Audit ────────────────────────────────────────────────────────────────────────────────────
  const core = await openCore({ dataDir: join(dir, 'data'), passphrase: 'benchmark passphrase' });
  const one: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    core.audit.record({
      action: 'reveal',
      recordType: 'app-password',
      recordId: `r${i}`,
      recordLabel: 'cam',
    });
    one.push(performance.now() - t0);
  }
  figures.audit_record_ms = round(median(one));
  for (let done = 0; done < EVENTS; done += 10_000) {
    core.audit.append(
      Array.from({ length: 10_000 }, (_, i) =>
        core.audit.stamp({
          action: 'update',
          recordType: 'camera',
          recordId: crypto.randomUUID(),
          recordLabel: `Camera ${done + i}`,
          detail: 'changed: recipients, subjectTemplate',
        }),
      ),
    );
  }
  const v0 = performance.now();
  const integrity = await core.audit.verify();
  figures.audit_verify_ms = round(performance.now() - v0, 0);
  console.log(
    `audit: one audited action ${figures.audit_record_ms} ms (median of 300); checking ${integrity.checked} events ${figures.audit_verify_ms} ms (${integrity.state})`,
  );
  await core.close();

  // ── Log ──────────────────────────────────────────────────────────────────────────────────────
  // Rounds of each, interleaved: on a shared machine the load moves more than the loggers differ.
  const LINES = 2000;
  const log = fileLogger(join(dir, 'log'));
  const data = {
    id: crypto.randomUUID(),
    kind: 'bulk',
    connector: 'Harbour Gmail',
    status: 'sent',
    attempts: 1,
  };
  const plainDir = join(dir, 'plain');
  mkdirSync(plainDir);
  const viaLog: number[] = [];
  const plain: number[] = [];
  for (let round = 0; round < 7; round++) {
    let t0 = performance.now();
    for (let i = 0; i < LINES; i++) log.info('delivery finished', data);
    viaLog.push(((performance.now() - t0) / LINES) * 1000);
    t0 = performance.now();
    for (let i = 0; i < LINES; i++)
      appendFileSync(
        join(plainDir, 'a.log'),
        `${new Date().toISOString()} INFO delivery finished ${JSON.stringify(data)}\n`,
      );
    plain.push(((performance.now() - t0) / LINES) * 1000);
  }
  figures.log_line_us = round(median(viaLog), 1);
  figures.log_line_plain_us = round(median(plain), 1);
  console.log(
    `log: ${figures.log_line_us} µs a line through electron-log (rotating), ${figures.log_line_plain_us} µs with appendFileSync (medians of 7 × ${LINES})`,
  );

  // ── CSV ──────────────────────────────────────────────────────────────────────────────────────
  const rows = ['Site,Name,IP,Serial,Location,Recipients,Notes'];
  for (let i = 0; i < 180_000; i++)
    rows.push(
      `Bench Site,Camera ${i},10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255},SN-${i},Gate ${i % 40},ops@example.test; night@example.test,${randomBytes(24).toString('hex')}`,
    );
  const csv = `${rows.join('\n')}\n`;
  const inventory = {
    sites: [{ id: 's', name: 'Bench Site' }],
    connectors: [],
    cameras: [],
    appPasswords: [],
  };
  for (const [name, script] of [
    ['thread', new URL('../electron/core/inventory/camera-csv-worker.ts', import.meta.url)],
    ['inline', null],
  ] as const) {
    const thread = new CsvThread(script);
    // The thread's first file also pays for starting it; the second is what the figure is about.
    if (script)
      await thread.check({ mode: 'preview', input: { csv: 'Site,Name\n' }, inventory }, () => undefined);
    // Something else the main thread has to do every 5 ms: the figure is how late it got at worst.
    let last = performance.now();
    let held = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      held = Math.max(held, now - last);
      last = now;
    }, 5);
    const t0 = performance.now();
    const outcome = await thread.check({ mode: 'preview', input: { csv }, inventory }, () => undefined);
    const took = performance.now() - t0;
    // One more tick, so a main thread held until the very end is counted too.
    await new Promise((resolve) => setTimeout(resolve, 10));
    clearInterval(ticker);
    await thread.close();
    figures[`csv_preview_${name}_ms`] = round(took, 0);
    figures[`csv_main_blocked_${name}_ms`] = round(held, 0);
    console.log(
      `csv: ${(csv.length / 1e6).toFixed(1)} MB, ${outcome.preview.rows} rows previewed ${name === 'thread' ? 'in the CSV thread' : 'in the main thread'} in ${figures[`csv_preview_${name}_ms`]} ms; main thread held at most ${figures[`csv_main_blocked_${name}_ms`]} ms`,
    );
  }

  // ── Backup key ───────────────────────────────────────────────────────────────────────────────
  const kdf: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await deriveKey('a long backup passphrase', randomBytes(16), BACKUP_SCRYPT);
    kdf.push(performance.now() - t0);
  }
  figures.backup_kdf_ms = round(median(kdf), 0);
  console.log(`backup: scrypt N=2^17 r=8 p=1 ${figures.backup_kdf_ms} ms (median of 3)`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ audit_events: EVENTS, ...figures }));
