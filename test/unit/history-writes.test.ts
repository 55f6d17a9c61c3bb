import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  COMMIT_DELAY_MS,
  commitWrites,
  openHistory,
  settle,
  transaction,
  write,
  writeSoon,
  type Db,
} from '../../electron/core/history/db.ts';
import { DeliveryHistory, queryDeliveries } from '../../electron/core/history/deliveries.ts';
import { DeliveryQuery } from '../../shared/schemas.ts';
import { sampleTranscript } from '../helpers/history-fill.ts';

let dir: string;
let file: string;
let db: Db;

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
/** Past the commit of the writes made so far (a timer due later fires later). */
const afterCommit = () => new Promise((resolve) => setTimeout(resolve, COMMIT_DELAY_MS + 5));
/** What another connection (another process, a crash survivor) sees: committed rows only. */
const committed = () => {
  const other = new DatabaseSync(file, { readOnly: true });
  try {
    return (other.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n;
  } finally {
    other.close();
  }
};
const insert = (action: string) =>
  db
    .prepare(
      "INSERT INTO audit (at, os_user, action, record_type, record_label, result, detail) VALUES (1, 'u', ?, 'site', '', 'ok', '')",
    )
    .run(action);
const count = () => (db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'alertdesk-writes-'));
  file = join(dir, 'history.sqlite');
  db = openHistory(file);
});
afterEach(() => {
  if (db.isOpen) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('grouped history writes', () => {
  it('are read back at once by AlertDesk and committed together, several turns at a time', async () => {
    for (let i = 0; i < 50; i++) write(db, () => insert(`a${i}`));
    expect(count()).toBe(50);
    expect(db.isTransaction).toBe(true);
    expect(committed()).toBe(0);
    await nextTurn();
    write(db, () => insert('next turn'));
    expect(committed()).toBe(0);
    await afterCommit();
    expect(db.isTransaction).toBe(false);
    expect(committed()).toBe(51);
  });

  it('keep a transaction all-or-nothing inside a batch, without losing the batch', async () => {
    write(db, () => insert('before'));
    expect(() =>
      transaction(db, () => {
        insert('half');
        throw new Error('second statement failed');
      }),
    ).toThrow('second statement failed');
    transaction(db, () => {
      insert('one');
      insert('two');
    });
    await afterCommit();
    const actions = db.prepare('SELECT action FROM audit ORDER BY seq').all() as Array<{ action: string }>;
    expect(actions.map((a) => a.action)).toEqual(['before', 'one', 'two']);
    expect(committed()).toBe(3);
  });

  it('nest: a transaction inside a transaction rolls back alone', async () => {
    transaction(db, () => {
      insert('outer');
      expect(() =>
        transaction(db, () => {
          insert('inner');
          throw new Error('inner failed');
        }),
      ).toThrow('inner failed');
    });
    await afterCommit();
    expect(committed()).toBe(1);
  });

  it('are committed by commitWrites before the file is closed', () => {
    write(db, () => insert('last'));
    commitWrites(db);
    db.close();
    expect(committed()).toBe(1);
  });

  it('report a commit that fails, roll that batch back, and go on with the next', async () => {
    const errors: unknown[] = [];
    db.close();
    db = openHistory(file, (error) => errors.push(error));
    write(db, () => {
      insert('lost with its batch');
      // A foreign key checked at COMMIT: an attempt of a delivery that does not exist.
      db.exec('PRAGMA defer_foreign_keys = ON');
      db.prepare(
        "INSERT INTO attempts (delivery_id, n, started_at, duration_ms, outcome) VALUES ('none', 1, 1, 1, 'sent')",
      ).run();
    });
    await afterCommit();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/FOREIGN KEY/);
    expect(db.isTransaction).toBe(false);
    expect(count()).toBe(0);

    write(db, () => insert('next'));
    await afterCommit();
    expect(errors).toHaveLength(1);
    expect(committed()).toBe(1);
  });
});

describe('writes that can wait (writeSoon)', () => {
  it('land after the I/O of this turn, in order, and every read sees them before that', async () => {
    writeSoon(db, () => insert('first'));
    writeSoon(db, () => insert('second'));
    // Not written yet: the queue waits for the end of this turn's I/O.
    expect(count()).toBe(0);
    settle(db);
    expect(count()).toBe(2);
    writeSoon(db, () => insert('third'));
    await nextTurn();
    expect(count()).toBe(3);
    await afterCommit();
    expect(committed()).toBe(3);
    const actions = db.prepare('SELECT action FROM audit ORDER BY seq').all() as Array<{ action: string }>;
    expect(actions.map((a) => a.action)).toEqual(['first', 'second', 'third']);
  });

  it('are committed by commitWrites, so nothing queued is lost at close', () => {
    writeSoon(db, () => insert('queued at close'));
    commitWrites(db);
    db.close();
    expect(committed()).toBe(1);
  });

  it('each land all-or-nothing; one that fails is reported and the others still land', async () => {
    const errors: unknown[] = [];
    db.close();
    db = openHistory(file, (error) => errors.push(error));
    writeSoon(db, () => insert('before'));
    writeSoon(db, () => {
      insert('half of a failed piece');
      throw new Error('disk full');
    });
    writeSoon(db, () => insert('after'));
    await nextTurn();
    expect(errors.map(String)).toEqual(['Error: disk full']);
    const actions = db.prepare('SELECT action FROM audit ORDER BY seq').all() as Array<{ action: string }>;
    expect(actions.map((a) => a.action)).toEqual(['before', 'after']);
  });

  it("hold a delivery's attempts and states: its reads see them at once, in the order they were made", () => {
    const history = new DeliveryHistory(db);
    const at = Date.parse('2026-11-21T10:00:00Z');
    history.create({
      id: 'd1',
      createdAt: at,
      kind: 'test',
      siteId: 's1',
      siteName: 'Site',
      connectorId: 'c1',
      connectorTitle: 'Relay',
      cameraId: null,
      cameraName: null,
      runId: null,
      subject: 'Test',
      from: 'cam@example.test',
      to: ['ops@example.test'],
      cc: [],
      bcc: [],
    });
    const state = {
      failureClass: 'server-temporary' as const,
      failure: null,
      reply: '451 4.3.0 Try again later',
      messageId: null,
      serverMessageId: null,
      durationMs: 120,
      accepted: [],
      rejected: [],
    };
    history.appendAttempt(
      'd1',
      {
        n: 1,
        startedAt: at,
        durationMs: 120,
        outcome: 'failed',
        failure: null,
        accepted: [],
        rejected: [],
        response: '451 4.3.0 Try again later',
        timings: [],
        tls: null,
        transcript: sampleTranscript(1),
      },
      { ...state, status: 'retrying', nextAttemptAt: at + 10_000 },
      at + 120,
    );
    history.setState('d1', { ...state, status: 'cancelled', nextAttemptAt: null }, at + 500);
    // Same turn: nothing has been written yet, and every read still sees both, the later one last.
    const detail = history.detail('d1')!;
    expect(detail.status).toBe('cancelled');
    expect(detail.attempts.map((a) => [a.n, a.outcome, a.transcript.length])).toEqual([[1, 'failed', 19]]);
    expect(history.summary('d1')!.attemptCount).toBe(1);
    history.setState('d1', { ...state, status: 'failed', nextAttemptAt: null }, at + 600);
    expect(queryDeliveries(db, DeliveryQuery.parse({ limit: 10 })).rows.map((r) => r.status)).toEqual([
      'failed',
    ]);
  });
});

describe('checkpoints', () => {
  const walBytes = () => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
  const dbBytes = () => statSync(file).size;
  const fill = (rows: number) => {
    for (let i = 0; i < rows; i++)
      write(db, () =>
        db
          .prepare(
            "INSERT INTO audit (at, os_user, action, record_type, record_label, result, detail) VALUES (1, 'u', 'a', 'site', '', 'ok', ?)",
          )
          .run('x'.repeat(2000)),
      );
    commitWrites(db);
  };

  it('wait until the history is quiet: commits never stop for one, however large the log', async () => {
    db.close();
    db = openHistory(file, undefined, { quietMs: 150, maxWalBytes: 64 * 1024 * 1024 });
    const before = dbBytes();
    // ~6 MB in 20 commits: SQLite on its own would have checkpointed after every ~4 MB of log.
    for (let i = 0; i < 20; i++) fill(150);
    expect(walBytes()).toBeGreaterThan(5 * 1024 * 1024);
    expect(dbBytes()).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(dbBytes()).toBeGreaterThan(before + 5 * 1024 * 1024);
    // The next writer starts the log over from its beginning.
    fill(1);
    expect(walBytes()).toBeLessThanOrEqual(1024 * 1024);
  });

  it('run at once after a commit that leaves the log past its limit', () => {
    db.close();
    db = openHistory(file, undefined, { quietMs: 60_000, maxWalBytes: 1024 * 1024 });
    const before = dbBytes();
    fill(700);
    expect(walBytes()).toBeGreaterThan(1024 * 1024);
    expect(dbBytes()).toBeGreaterThan(before + 1024 * 1024);
  });

  it('leave nothing in the log once the history is closed', () => {
    fill(100);
    expect(walBytes()).toBeGreaterThan(0);
    db.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect(committed()).toBe(100);
  });
});
