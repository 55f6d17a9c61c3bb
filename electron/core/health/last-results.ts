import type { LastResult, ResultSource } from '../../../shared/health.ts';
import { settle, transaction, write, type Db } from '../history/db.ts';
import { cameraResult, connectorResults, type FinishedItem } from './run-results.ts';

export type ResultSubject = 'camera' | 'connector';

export interface ResultInput {
  at: number;
  ok: boolean;
  source: ResultSource;
  ref: string | null;
  failureClass: string | null;
  summary: string;
}

interface Row {
  subject: ResultSubject;
  id: string;
  at: number;
  ok: number;
  source: ResultSource;
  ref: string | null;
  failure_class: string | null;
  summary: string;
  last_ok_at: number | null;
}

/**
 * The table belongs to the health feature and is created by it (not by a numbered history
 * migration), so it can be added to a history file of any version; on creation it is filled from
 * the handover runs already in the history.
 */
const SCHEMA = `
  CREATE TABLE last_results (
    subject TEXT NOT NULL,
    id TEXT NOT NULL,
    at INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    source TEXT NOT NULL,
    ref TEXT,
    failure_class TEXT,
    summary TEXT NOT NULL,
    last_ok_at INTEGER,
    PRIMARY KEY (subject, id)
  ) WITHOUT ROWID;
`;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The last result of every camera and connector that was proven by a handover run or an
 * app-password verification, and when each last worked. One row each, replaced by newer results
 * only; a failure keeps the time of the last success.
 */
export class LastResults {
  private readonly db: Db;
  private readonly upsert;
  private readonly all;
  private cache: Record<ResultSubject, Map<string, LastResult>> | null = null;

  constructor(db: Db) {
    this.db = db;
    const exists = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'last_results'")
      .get();
    if (!exists) db.exec(SCHEMA);
    this.upsert = db.prepare(
      `INSERT INTO last_results (subject, id, at, ok, source, ref, failure_class, summary, last_ok_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (subject, id) DO UPDATE SET
         at = excluded.at, ok = excluded.ok, source = excluded.source, ref = excluded.ref,
         failure_class = excluded.failure_class, summary = excluded.summary,
         last_ok_at = CASE WHEN excluded.ok = 1 THEN excluded.at ELSE last_results.last_ok_at END
       WHERE excluded.at >= last_results.at`,
    );
    this.all = db.prepare('SELECT * FROM last_results WHERE subject = ?');
    if (!exists) transaction(db, () => this.backfill());
  }

  record(subject: ResultSubject, id: string, r: ResultInput): void {
    write(this.db, () => this.store(subject, id, r));
  }

  private store(subject: ResultSubject, id: string, r: ResultInput): void {
    this.upsert.run(
      subject,
      id,
      r.at,
      r.ok ? 1 : 0,
      r.source,
      r.ref,
      r.failureClass,
      r.summary,
      r.ok ? r.at : null,
    );
    const cached = this.cache?.[subject];
    if (!cached) return;
    // The same rule as the upsert: newer results replace, a failure keeps the last success.
    const before = cached.get(id);
    if (before && Date.parse(before.at) > r.at) return;
    cached.set(id, {
      at: iso(r.at)!,
      ok: r.ok,
      source: r.source,
      ref: r.ref,
      failureClass: r.failureClass,
      summary: r.summary,
      lastOkAt: r.ok ? iso(r.at) : (before?.lastOkAt ?? null),
    });
  }

  /**
   * Every stored result of one kind of subject, by id: read once, then kept up to date by
   * `record` (every write goes through it), so the roll-up does not read thousands of rows per call.
   */
  of(subject: ResultSubject): ReadonlyMap<string, LastResult> {
    if (!this.cache) {
      settle(this.db);
      this.cache = { camera: new Map(), connector: new Map() };
      for (const key of ['camera', 'connector'] as const)
        for (const r of this.all.all(key) as unknown as Row[])
          this.cache[key].set(r.id, {
            at: iso(r.at)!,
            ok: r.ok === 1,
            source: r.source,
            ref: r.ref,
            failureClass: r.failure_class,
            summary: r.summary,
            lastOkAt: iso(r.last_ok_at),
          });
    }
    return this.cache[subject];
  }

  /** Cameras' and connectors' results from the handover runs kept before this table existed. */
  private backfill(): void {
    const rows = this.db
      .prepare(
        `SELECT run_id, camera_id, connector_id, status, failure_class, explanation, finished_at FROM run_items
         WHERE finished_at IS NOT NULL AND status IN ('passed', 'failed') ORDER BY finished_at`,
      )
      .all() as Array<{
      run_id: string;
      camera_id: string | null;
      connector_id: string | null;
      status: string;
      failure_class: string | null;
      explanation: string | null;
      finished_at: number;
    }>;
    const runs = new Map<string, FinishedItem[]>();
    for (const r of rows) {
      const item: FinishedItem = {
        cameraId: r.camera_id,
        connectorId: r.connector_id,
        status: r.status,
        failureClass: r.failure_class,
        explanation: r.explanation,
        finishedAt: r.finished_at,
      };
      const camera = cameraResult(r.run_id, item);
      if (camera) this.store('camera', r.camera_id!, camera);
      const list = runs.get(r.run_id);
      if (list) list.push(item);
      else runs.set(r.run_id, [item]);
    }
    // Runs in the order they ended, so each connector keeps its latest.
    const ordered = [...runs].sort(([, a], [, b]) => a.at(-1)!.finishedAt - b.at(-1)!.finishedAt);
    for (const [runId, items] of ordered)
      for (const [connectorId, result] of connectorResults(runId, items))
        this.store('connector', connectorId, result);
  }
}
