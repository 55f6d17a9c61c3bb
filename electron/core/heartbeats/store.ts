import type {
  AlertTransition,
  HeartbeatAlert,
  HeartbeatState,
  HeartbeatTransition,
} from '../../../shared/heartbeats.ts';
import type { FolderRole } from '../../../shared/inbound.ts';
import { transaction, type Db } from '../history/db.ts';

/** A message given to a camera. */
export interface BeatRow {
  messageKey: string;
  cameraId: string;
  ruleId: string;
  receivedAt: number;
  sourceId: string;
  folderRole: FolderRole;
}

export interface TransitionRow {
  cameraId: string;
  at: number;
  noticedAt: number;
  from: HeartbeatState | null;
  to: HeartbeatState | null;
  cause: string;
}

/** How many of a camera's newest heartbeats are kept in memory (the jitter is learned from them). */
export const RECENT_BEATS = 20;

type BeatSql = {
  message_key: string;
  camera_id: string;
  rule_id: string;
  received_at: number;
  source_id: string;
  folder_role: string;
};
const beatOf = (r: BeatSql): BeatRow => ({
  messageKey: r.message_key,
  cameraId: r.camera_id,
  ruleId: r.rule_id,
  receivedAt: r.received_at,
  sourceId: r.source_id,
  folderRole: r.folder_role as FolderRole,
});

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The heartbeat history in SQLite: which message was given to which camera (by which rule), each
 * camera's state changes with their time and cause, and the alerts sent. Small rows; the messages
 * themselves stay in the inbound hub's table.
 */
export class HeartbeatStore {
  private readonly db: Db;
  private readonly upsertBeat;
  private readonly insertTransition;
  private readonly byKey;

  constructor(db: Db) {
    this.db = db;
    this.upsertBeat = db.prepare(
      `INSERT INTO heartbeats (message_key, camera_id, rule_id, received_at, source_id, folder_role)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(message_key) DO UPDATE SET camera_id = excluded.camera_id, rule_id = excluded.rule_id`,
    );
    this.byKey = db.prepare(
      'SELECT message_key, camera_id, rule_id, received_at, source_id, folder_role FROM heartbeats WHERE message_key = ?',
    );
    this.insertTransition = db.prepare(
      'INSERT INTO heartbeat_transitions (camera_id, at, noticed_at, from_state, to_state, cause) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  /** Records matches (a message given to another camera after a rule change moves). */
  saveBeats(rows: readonly BeatRow[], removeKeys: readonly string[] = []): void {
    if (rows.length === 0 && removeKeys.length === 0) return;
    transaction(this.db, () => {
      for (const r of rows)
        this.upsertBeat.run(r.messageKey, r.cameraId, r.ruleId, r.receivedAt, r.sourceId, r.folderRole);
      if (removeKeys.length) {
        const del = this.db.prepare('DELETE FROM heartbeats WHERE message_key = ?');
        for (const key of removeKeys) del.run(key);
      }
    });
  }

  /**
   * The matches of these messages, by message key. Looked up one key at a time: a week of
   * heartbeats from thousands of cameras is far more rows than the messages a scan looks at.
   */
  beatsOf(messageKeys: Iterable<string>): Map<string, BeatRow> {
    const out = new Map<string, BeatRow>();
    for (const key of messageKeys) {
      const row = this.byKey.get(key) as BeatSql | undefined;
      if (row) out.set(key, beatOf(row));
    }
    return out;
  }

  /** Each camera's newest heartbeats, newest first (all cameras, or the ones named). */
  recentBeats(cameraIds?: readonly string[]): Map<string, BeatRow[]> {
    const out = new Map<string, BeatRow[]>();
    const rows = (
      cameraIds
        ? cameraIds.flatMap(
            (id) =>
              this.db
                .prepare(
                  'SELECT message_key, camera_id, rule_id, received_at, source_id, folder_role FROM heartbeats WHERE camera_id = ? ORDER BY received_at DESC LIMIT ?',
                )
                .all(id, RECENT_BEATS) as BeatSql[],
          )
        : (this.db
            .prepare(
              `SELECT message_key, camera_id, rule_id, received_at, source_id, folder_role FROM (
                 SELECT *, row_number() OVER (PARTITION BY camera_id ORDER BY received_at DESC) AS n FROM heartbeats
               ) WHERE n <= ? ORDER BY camera_id, received_at DESC`,
            )
            .all(RECENT_BEATS) as BeatSql[])
    ).map(beatOf);
    for (const r of rows) {
      const list = out.get(r.cameraId) ?? [];
      list.push(r);
      out.set(r.cameraId, list);
    }
    return out;
  }

  countByRule(ruleId: string): number {
    return (
      this.db.prepare('SELECT count(*) AS n FROM heartbeats WHERE rule_id = ?').get(ruleId) as { n: number }
    ).n;
  }

  timeline(cameraId: string, limit: number): BeatRow[] {
    return (
      this.db
        .prepare(
          'SELECT message_key, camera_id, rule_id, received_at, source_id, folder_role FROM heartbeats WHERE camera_id = ? ORDER BY received_at DESC LIMIT ?',
        )
        .all(cameraId, limit) as BeatSql[]
    ).map(beatOf);
  }

  recordTransitions(rows: readonly TransitionRow[]): void {
    if (rows.length === 0) return;
    transaction(this.db, () => {
      for (const t of rows) this.insertTransition.run(t.cameraId, t.at, t.noticedAt, t.from, t.to, t.cause);
    });
  }

  /** Each camera's last recorded state and since when (what AlertDesk last said, across restarts). */
  lastStates(): Map<string, { state: HeartbeatState | null; at: number }> {
    const rows = this.db
      .prepare(
        `SELECT t.camera_id AS camera_id, t.to_state AS to_state, t.at AS at FROM heartbeat_transitions t
         JOIN (SELECT camera_id, max(seq) AS seq FROM heartbeat_transitions GROUP BY camera_id) m ON m.seq = t.seq`,
      )
      .all() as Array<{ camera_id: string; to_state: string | null; at: number }>;
    return new Map(rows.map((r) => [r.camera_id, { state: r.to_state as HeartbeatState | null, at: r.at }]));
  }

  transitions(cameraId: string, limit: number): HeartbeatTransition[] {
    const rows = this.db
      .prepare(
        'SELECT at, noticed_at, from_state, to_state, cause FROM heartbeat_transitions WHERE camera_id = ? ORDER BY seq DESC LIMIT ?',
      )
      .all(cameraId, limit) as Array<{
      at: number;
      noticed_at: number;
      from_state: string | null;
      to_state: string | null;
      cause: string;
    }>;
    return rows.map((r) => ({
      at: iso(r.at),
      noticedAt: iso(r.noticed_at),
      from: r.from_state as HeartbeatState | null,
      to: r.to_state as HeartbeatState | null,
      cause: r.cause,
    }));
  }

  /** A deleted camera's heartbeats and state changes go with it (its alerts stay: they were sent). */
  forgetCameras(ids: readonly string[]): void {
    if (ids.length === 0) return;
    transaction(this.db, () => {
      const beats = this.db.prepare('DELETE FROM heartbeats WHERE camera_id = ?');
      const states = this.db.prepare('DELETE FROM heartbeat_transitions WHERE camera_id = ?');
      for (const id of ids) {
        beats.run(id);
        states.run(id);
      }
    });
  }

  saveAlert(alert: HeartbeatAlert): void {
    transaction(this.db, () =>
      this.db
        .prepare(
          `INSERT INTO heartbeat_alerts (id, at, site_id, site_name, kind, title, body, transitions_json, notified, delivery_id, email_problem)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          alert.id,
          Date.parse(alert.at),
          alert.siteId,
          alert.siteName,
          alert.kind,
          alert.title,
          alert.body,
          JSON.stringify(alert.transitions),
          alert.notified ? 1 : 0,
          alert.deliveryId,
          alert.emailProblem,
        ),
    );
  }

  alerts(limit: number): HeartbeatAlert[] {
    const rows = this.db
      .prepare(
        'SELECT id, at, site_id, site_name, kind, title, body, transitions_json, notified, delivery_id, email_problem FROM heartbeat_alerts ORDER BY at DESC, id LIMIT ?',
      )
      .all(limit) as Array<{
      id: string;
      at: number;
      site_id: string;
      site_name: string;
      kind: string;
      title: string;
      body: string;
      transitions_json: string;
      notified: number;
      delivery_id: string | null;
      email_problem: string | null;
    }>;
    return rows.map((r) => ({
      id: r.id,
      at: iso(r.at),
      siteId: r.site_id,
      siteName: r.site_name,
      kind: r.kind as HeartbeatAlert['kind'],
      title: r.title,
      body: r.body,
      transitions: JSON.parse(r.transitions_json) as AlertTransition[],
      notified: r.notified === 1,
      deliveryId: r.delivery_id,
      emailProblem: r.email_problem,
    }));
  }

  /** Drops heartbeats, state changes and alerts older than `before` (the history's retention). */
  prune(before: number): number {
    return transaction(this.db, () => {
      // A camera's newest heartbeat and last state change are kept however old: its state rests on them.
      let n = Number(
        this.db
          .prepare(
            `DELETE FROM heartbeats WHERE received_at < ? AND message_key NOT IN (SELECT message_key FROM
               (SELECT message_key, row_number() OVER (PARTITION BY camera_id ORDER BY received_at DESC) AS n FROM heartbeats)
               WHERE n = 1)`,
          )
          .run(before).changes,
      );
      n += Number(
        this.db
          .prepare(
            `DELETE FROM heartbeat_transitions WHERE at < ? AND seq NOT IN
               (SELECT max(seq) FROM heartbeat_transitions GROUP BY camera_id)`,
          )
          .run(before).changes,
      );
      n += Number(this.db.prepare('DELETE FROM heartbeat_alerts WHERE at < ?').run(before).changes);
      return n;
    });
  }
}
