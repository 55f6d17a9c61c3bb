import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  COMMIT_DELAY_MS,
  commitWrites,
  openHistory,
  transaction,
  write,
  type Db,
} from '../../electron/core/history/db.ts';

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
