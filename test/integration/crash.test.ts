import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, startTestCore, unwrap } from '../helpers/core.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

/**
 * Crash safety: a program running a handover run is SIGKILLed at random moments. After each kill
 * the history is intact, every message the app had reported as passed is recorded as sent, nothing
 * the server did not accept is recorded as sent, the rest reads "interrupted" (unknown), and the
 * interrupted run says so and can be re-run.
 */

const CHILD = new URL('../helpers/crash-child.ts', import.meta.url).pathname;
const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const CAMERAS = 60;
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);

/** A small seeded generator: a failing round can be run again with CRASH_SEED. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

let server: TestSmtpServer;
/** Message-IDs the server answered 250 for, in the order it answered. */
const accepted = new Set<string>();
/** Called after each 250 (the kill is timed by the server's progress, not by the clock). */
let onAccepted: () => void = () => undefined;
const next = random(SEED);

beforeAll(async () => {
  server = await startSmtpServer({
    mode: 'none',
    extra: {
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const id = /^Message-ID:\s*<([^>]+)>/im.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? '';
          // A provider's pace: 5–25 ms per message, so kills land in the middle of the run.
          setTimeout(
            () => {
              accepted.add(id);
              callback(null, `2.0.0 Ok: queued as ${id.slice(0, 8)}`);
              onAccepted();
            },
            5 + Math.floor(Math.random() * 20),
          );
        });
      },
    },
  });
  console.log(`crash test: ${KILLS} kills, seed ${SEED} (CRASH_SEED=${SEED} repeats the kill moments)`);
});
afterAll(async () => {
  await server.close();
});

interface Round {
  dir: string;
  runId: string;
  reported: string[];
  finished: boolean;
}

/** Runs the child and kills it once the server accepted `afterAccepted` messages, plus `jitterMs`. */
async function killedRun(afterAccepted: number, jitterMs: number): Promise<Round> {
  const dir = await mkdtemp(join(tmpdir(), 'alertdesk-crash-'));
  const reportFile = join(dir, '..', `${dir.split('/').pop()}-reported.txt`);
  await writeFile(reportFile, '');
  const child = spawn(process.execPath, [CHILD, dir, String(server.port), String(CAMERAS), reportFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const said: string[] = [];
  lines.on('line', (line) => said.push(line));
  const exited = once(child, 'exit');
  // Wait for the run to be under way and the server to have accepted the drawn number of messages.
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (said.length > 0 && accepted.size >= afterAccepted) resolve();
    };
    onAccepted = check;
    lines.on('line', check);
    void exited.then(() => reject(new Error('the crash child exited before it was killed')));
  });
  onAccepted = () => undefined;
  // A little later still: the kill lands anywhere between one reply and the next.
  await new Promise((resolve) => setTimeout(resolve, jitterMs));
  child.kill('SIGKILL');
  await exited;
  const runId = (JSON.parse(said[0]!) as { runId: string }).runId;
  const reported = (await readFile(reportFile, 'utf8')).split('\n').filter(Boolean);
  await rm(reportFile, { force: true });
  return { dir, runId, reported, finished: said.some((l) => l.includes('finished')) };
}

describe('a handover run killed with SIGKILL', () => {
  it(`keeps an honest history through ${KILLS} kills at random moments`, { timeout: 600_000 }, async () => {
    let interruptedRuns = 0;
    let unknownButAccepted = 0;
    let sentTotal = 0;
    for (let round = 0; round < KILLS; round++) {
      accepted.clear();
      const r = await killedRun(Math.floor(next() * (CAMERAS - 6)), Math.floor(next() * 25));
      try {
        // The history file as the killed program left it.
        const raw = new DatabaseSync(join(r.dir, 'history.sqlite'));
        expect(
          (raw.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check,
        ).toBe('ok');
        raw.close();

        const t = await startTestCore({ dataDir: r.dir });
        try {
          const deliveries = t.core.db
            .prepare('SELECT id, status, message_id FROM deliveries WHERE run_id = ?')
            .all(r.runId) as Array<{ id: string; status: string; message_id: string | null }>;
          const byId = new Map(deliveries.map((d) => [d.id, d]));
          // Everything the app had reported as passed is on record as sent.
          for (const id of r.reported) expect(byId.get(id)?.status, `reported ${id}`).toBe('sent');
          for (const d of deliveries) {
            if (d.status === 'sent') {
              // Nothing is on record as sent that the server did not accept.
              expect(accepted.has(d.message_id!.replace(/^<|>$/g, '')), `sent ${d.id}`).toBe(true);
              sentTotal++;
            } else {
              // The rest is unknown: never "queued" forever, never a made-up failure.
              expect(d.status, `delivery ${d.id}`).toBe('interrupted');
            }
          }
          // Accepted by the server, but the app never heard the reply (or died before recording it).
          unknownButAccepted += accepted.size - deliveries.filter((d) => d.status === 'sent').length;
          const run = unwrap(await t.api.runs.get({ runId: r.runId }));
          expect(run.counts.pending).toBe(0);
          expect(run.counts.passed).toBe(deliveries.filter((d) => d.status === 'sent').length);
          if (run.counts.interrupted > 0) {
            interruptedRuns++;
            expect(run.status).toBe('interrupted');
            expect(failure(await t.api.runs.cancel({ runId: r.runId })).message).toMatch(/interrupted/);
            // Re-run: only the unfinished cameras, and now they pass.
            const again = unwrap(await t.api.runs.rerunFailed({ runId: r.runId }));
            expect(again.counts.total).toBe(run.counts.interrupted);
            const done = await t.core.runs.settled(again.id);
            expect(done.counts).toMatchObject({ passed: run.counts.interrupted, interrupted: 0, pending: 0 });
          } else {
            expect(run.status).toBe('finished');
            expect(run.counts.passed).toBe(CAMERAS);
          }
        } finally {
          await t.close();
        }
      } finally {
        await rm(r.dir, { recursive: true, force: true });
      }
    }
    console.log(
      `crash test: ${interruptedRuns} of ${KILLS} runs interrupted; ${sentTotal} deliveries on record as sent; ${unknownButAccepted} accepted by the server after the app last heard (read as interrupted)`,
    );
    // The kills must have hit runs in flight, or this proved nothing.
    expect(interruptedRuns).toBeGreaterThanOrEqual(KILLS * 0.75);
  });
});
