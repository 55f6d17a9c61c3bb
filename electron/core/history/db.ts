import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { makePrivateDir, PRIVATE_FILE, tighten } from '../store/data-folder.ts';

/**
 * History that grows without bound — delivery attempts, audit events, bulk runs — lives in SQLite
 * (`node:sqlite`, built into the Node that Electron embeds). Schema changes are numbered
 * migrations applied in order and recorded in `user_version`.
 */
const MIGRATIONS: string[] = [
  // 1: deliveries, their attempts, the audit trail
  `
  CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    site_id TEXT NOT NULL,
    site_name TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    connector_title TEXT NOT NULL,
    camera_id TEXT,
    camera_name TEXT,
    run_id TEXT,
    subject TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    to_json TEXT NOT NULL,
    cc_json TEXT NOT NULL DEFAULT '[]',
    bcc_json TEXT NOT NULL DEFAULT '[]',
    attempt_count INTEGER NOT NULL DEFAULT 0,
    failure_class TEXT,
    reply TEXT,
    message_id TEXT,
    server_message_id TEXT,
    duration_ms INTEGER,
    next_attempt_at INTEGER,
    accepted_json TEXT NOT NULL DEFAULT '[]',
    rejected_json TEXT NOT NULL DEFAULT '[]',
    failure_json TEXT
  );
  CREATE INDEX deliveries_created ON deliveries(created_at);
  CREATE INDEX deliveries_site ON deliveries(site_id, created_at);
  CREATE INDEX deliveries_connector ON deliveries(connector_id, created_at);
  CREATE INDEX deliveries_camera ON deliveries(camera_id, created_at);
  CREATE INDEX deliveries_status ON deliveries(status, created_at);
  CREATE INDEX deliveries_class ON deliveries(failure_class, created_at);
  CREATE INDEX deliveries_run ON deliveries(run_id, created_at);

  CREATE TABLE attempts (
    delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    failure_class TEXT,
    failure_json TEXT,
    accepted_json TEXT NOT NULL DEFAULT '[]',
    rejected_json TEXT NOT NULL DEFAULT '[]',
    response TEXT,
    timings_json TEXT NOT NULL DEFAULT '[]',
    tls_json TEXT,
    transcript BLOB,
    PRIMARY KEY (delivery_id, n)
  ) WITHOUT ROWID;

  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    os_user TEXT NOT NULL,
    action TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT,
    record_label TEXT NOT NULL DEFAULT '',
    site_id TEXT,
    camera_id TEXT,
    result TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX audit_at ON audit(at);
  CREATE INDEX audit_record ON audit(record_id, at);
  CREATE INDEX audit_site ON audit(site_id, at);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
  `,
  // 2: handover runs and their items (one per camera, or per connector without cameras)
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    started_by TEXT NOT NULL,
    status TEXT NOT NULL,
    scope_label TEXT NOT NULL,
    site_ids_json TEXT NOT NULL,
    options_json TEXT NOT NULL,
    snapshots INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    rerun_of TEXT
  );
  CREATE INDEX runs_started ON runs(started_at);
  CREATE TABLE run_items (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    camera_id TEXT,
    camera_name TEXT NOT NULL,
    site_id TEXT NOT NULL,
    site_name TEXT NOT NULL,
    connector_id TEXT,
    connector_title TEXT NOT NULL,
    account TEXT NOT NULL,
    recipients_json TEXT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    delivery_id TEXT,
    failure_class TEXT,
    explanation TEXT,
    fix TEXT,
    reply TEXT,
    message_id TEXT,
    duration_ms INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    finished_at INTEGER
  );
  CREATE INDEX run_items_run ON run_items(run_id, seq);
  CREATE INDEX run_items_delivery ON run_items(delivery_id);
  `,
  // 3: inbound mail (watched mailboxes, the bench inbox): envelope and header block, never the body
  `
  CREATE TABLE inbound_messages (
    key TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    folder TEXT NOT NULL,
    folder_role TEXT NOT NULL,
    uid_validity TEXT NOT NULL,
    uid INTEGER NOT NULL,
    message_id TEXT,
    from_addr TEXT NOT NULL,
    from_name TEXT NOT NULL DEFAULT '',
    to_json TEXT NOT NULL DEFAULT '[]',
    subject TEXT NOT NULL DEFAULT '',
    sent_at INTEGER,
    received_at INTEGER NOT NULL,
    seen_at INTEGER NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    token TEXT,
    headers BLOB NOT NULL
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX inbound_message_id ON inbound_messages(source_id, message_id) WHERE message_id IS NOT NULL;
  CREATE INDEX inbound_received ON inbound_messages(received_at);
  CREATE INDEX inbound_source ON inbound_messages(source_id, received_at);
  CREATE INDEX inbound_from ON inbound_messages(from_addr, received_at);
  CREATE INDEX inbound_token ON inbound_messages(token) WHERE token IS NOT NULL;
  `,
  // 4: the audit chain (audit-chain.ts): each event's id, so one carried over from the store after
  // a crash is written once, and its MAC
  `
  ALTER TABLE audit ADD COLUMN event_id TEXT;
  ALTER TABLE audit ADD COLUMN mac BLOB;
  CREATE UNIQUE INDEX audit_event ON audit(event_id);
  `,
  // 5: mailbox watchers (issue 12): where the reading of each watched folder stands (its UIDVALIDITY and
  // the highest UID read), so a restart, a reconnect or a wake from sleep catches up by UID
  `
  CREATE TABLE mailbox_folders (
    mailbox_id TEXT NOT NULL,
    folder TEXT NOT NULL,
    role TEXT NOT NULL,
    uid_validity TEXT NOT NULL,
    last_uid INTEGER NOT NULL,
    synced_at INTEGER,
    PRIMARY KEY (mailbox_id, folder)
  ) WITHOUT ROWID;
  `,
  // 6 (arrival proof, issue 13): each delivery's token and overall second verdict; one verdict per recipient
  `
  ALTER TABLE deliveries ADD COLUMN token TEXT;
  ALTER TABLE deliveries ADD COLUMN arrival TEXT;
  CREATE INDEX deliveries_token ON deliveries(token) WHERE token IS NOT NULL;
  CREATE INDEX deliveries_arrival ON deliveries(arrival, created_at);
  CREATE TABLE arrivals (
    delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    token TEXT NOT NULL,
    state TEXT NOT NULL,
    accepted_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    mailbox_id TEXT,
    mailbox_title TEXT,
    folder TEXT,
    folder_role TEXT,
    arrived_at INTEGER,
    inbound_key TEXT,
    reason TEXT,
    auth_json TEXT,
    PRIMARY KEY (delivery_id, recipient)
  ) WITHOUT ROWID;
  CREATE INDEX arrivals_token ON arrivals(token);
  CREATE INDEX arrivals_due ON arrivals(due_at) WHERE state = 'waiting';
  `,
  // 7 (bench inbox, issue 13): what cameras on the bench sent; the raw messages are files beside the history
  `
  CREATE TABLE bench_messages (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    received_at INTEGER NOT NULL,
    remote_address TEXT NOT NULL,
    login TEXT,
    secure INTEGER NOT NULL,
    envelope_from TEXT NOT NULL,
    envelope_to_json TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    size INTEGER NOT NULL,
    message_id TEXT,
    camera_id TEXT,
    camera_name TEXT,
    site_name TEXT,
    matched_by TEXT,
    match_note TEXT,
    snapshots_json TEXT NOT NULL,
    problems_json TEXT NOT NULL
  );
  CREATE INDEX bench_received ON bench_messages(received_at);
  CREATE INDEX bench_camera ON bench_messages(camera_id, received_at);
  `,
  // 8 (heartbeats): messages matched to cameras, each camera's state changes, the alerts sent
  `
  CREATE TABLE heartbeats (
    message_key TEXT PRIMARY KEY,
    camera_id TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    source_id TEXT NOT NULL,
    folder_role TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX heartbeats_camera ON heartbeats(camera_id, received_at);
  CREATE INDEX heartbeats_received ON heartbeats(received_at);
  CREATE TABLE heartbeat_transitions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    noticed_at INTEGER NOT NULL,
    from_state TEXT,
    to_state TEXT,
    cause TEXT NOT NULL
  );
  CREATE INDEX heartbeat_transitions_camera ON heartbeat_transitions(camera_id, seq);
  CREATE TABLE heartbeat_alerts (
    id TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    site_id TEXT NOT NULL,
    site_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    transitions_json TEXT NOT NULL,
    notified INTEGER NOT NULL,
    delivery_id TEXT,
    email_problem TEXT
  ) WITHOUT ROWID;
  CREATE INDEX heartbeat_alerts_at ON heartbeat_alerts(at);
  `,
  // 9: the camera a source of inbound mail identified itself (the bench inbox, by the camera's login)
  `
  ALTER TABLE inbound_messages ADD COLUMN camera_id TEXT;
  `,
];

export type Db = DatabaseSync;

/**
 * Writes are grouped: the first write opens a transaction, and it commits COMMIT_DELAY_MS later with
 * every write made in between. A bulk run writes thousands of small rows over thousands of turns of
 * the event loop; committing each row alone cost more than the rest of the write, and committing each
 * turn still ~0.1 ms a message. Everything AlertDesk reads goes through this same connection, so a
 * read always sees the writes before it, committed or not; a crash loses at most the last 50 ms of
 * writes. `transaction` keeps its promise inside a batch with a savepoint.
 */
export const COMMIT_DELAY_MS = 50;

/**
 * Checkpoints — copying the write-ahead log into the database file, with an fsync — take 10–20 ms
 * here. Left to SQLite, one runs inside a commit every 1,000 pages, and a bulk run's sessions all
 * wait for it. AlertDesk checkpoints itself: when the history has had no commit for `quietMs`, or
 * at once after a commit that leaves the log past `maxWalBytes` (a long busy spell). A log that
 * has been copied is started over by the next write, and cut back to 1 MB (journal_size_limit).
 */
export interface CheckpointPolicy {
  quietMs: number;
  maxWalBytes: number;
}
export const CHECKPOINTS: CheckpointPolicy = { quietMs: 1000, maxWalBytes: 16 * 1024 * 1024 };

interface Batches {
  onError: (error: unknown) => void;
  /** The log file and when to checkpoint it (null in memory). */
  wal: (CheckpointPolicy & { file: string; timer: NodeJS.Timeout | null }) | null;
}
const batches = new WeakMap<Db, Batches>();

export function openHistory(
  file: string,
  onWriteError: (error: unknown) => void = (error) => console.error('history: a write failed', error),
  checkpoints: CheckpointPolicy = CHECKPOINTS,
): Db {
  const inMemory = file === ':memory:';
  if (!inMemory) makePrivateDir(dirname(file));
  const db = new DatabaseSync(file);
  db.exec(
    'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 1048576;',
  );
  // SQLite creates its files 0644; the log and shared-memory files it makes later copy the
  // database file's mode, so tightening these three once covers them all.
  if (!inMemory) for (const f of [file, `${file}-wal`, `${file}-shm`]) tighten(f, PRIVATE_FILE);
  batches.set(db, {
    onError: onWriteError,
    wal: inMemory ? null : { ...checkpoints, file: `${file}-wal`, timer: null },
  });
  migrate(db);
  return db;
}

/**
 * Brings the schema up to date in one write transaction, reading the version inside it: another
 * connection migrating at the same moment (a script started beside the app) is waited for, and its
 * work is then seen as done instead of being repeated halfway.
 */
function migrate(db: Db): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    if (version < MIGRATIONS.length) db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** Runs `work` (one statement, or several that may land apart) in this turn's write batch. */
export function write<T>(db: Db, work: () => T): T {
  if (!db.isTransaction) {
    db.exec('BEGIN IMMEDIATE');
    setTimeout(() => commitWrites(db), COMMIT_DELAY_MS);
  }
  return work();
}

/** The savepoint statements of each database, prepared once (exec would parse them on every call). */
const savepoints = new WeakMap<Db, { open: StatementSync; release: StatementSync; undo: StatementSync }>();

/** Runs `work` in one transaction: all of it lands, or none of it. */
export function transaction<T>(db: Db, work: () => T): T {
  return write(db, () => {
    let sp = savepoints.get(db);
    if (!sp) {
      sp = {
        open: db.prepare('SAVEPOINT work'),
        release: db.prepare('RELEASE work'),
        undo: db.prepare('ROLLBACK TO work'),
      };
      savepoints.set(db, sp);
    }
    sp.open.run();
    depth.set(db, (depth.get(db) ?? 0) + 1);
    try {
      const result = work();
      sp.release.run();
      return result;
    } catch (error) {
      sp.undo.run();
      sp.release.run();
      throw error;
    } finally {
      const left = depth.get(db)! - 1;
      depth.set(db, left);
      if (left === 0 && durableSoon.delete(db)) commitWrites(db);
    }
  });
}

/** Open `transaction` calls per database, and those asked to commit as soon as they are closed. */
const depth = new WeakMap<Db, number>();
const durableSoon = new WeakSet<Db>();

/**
 * Commits the write batch now, so that what was written survives the process being killed the
 * next moment (audit events, acknowledged replies). Inside a transaction, as soon as it closes.
 */
export function commitDurably(db: Db): void {
  if ((depth.get(db) ?? 0) > 0) durableSoon.add(db);
  else commitWrites(db);
}

/**
 * Writes that can wait a moment. A reply that reaches AlertDesk in the middle of a bulk run must be
 * answered first: the next SMTP command, the next session's connection. Writing the history of the
 * message that just finished is not urgent, so it is queued here and written after the I/O
 * callbacks of this turn of the event loop (setImmediate), each piece all-or-nothing, in the turn's
 * write batch. On a busy event loop this keeps the history out of the latency of every session.
 *
 * Reads must see these writes: every read of a table written this way calls `settle` first, as does
 * `commitWrites`. A piece that fails is reported like a failed commit, and the others still land.
 */
const soon = new WeakMap<Db, Array<() => void>>();
/** Callbacks waiting for queued writes to be committed (see `writeSoon`'s `durable`). */
const waiting = new WeakMap<Db, Array<() => void>>();

/**
 * Queues `work` (a transaction of its own) to run after the I/O waiting in this turn. `durable`
 * runs once that write is committed: what must not be treated as known before it is on disk (an
 * accepted message reported as sent) waits for it. One commit serves every such write of a turn.
 */
export function writeSoon(db: Db, work: () => void, durable?: () => void): void {
  let queue = soon.get(db);
  if (!queue) soon.set(db, (queue = []));
  queue.push(work);
  if (durable) {
    let callbacks = waiting.get(db);
    if (!callbacks) waiting.set(db, (callbacks = []));
    callbacks.push(durable);
  }
  if (queue.length === 1) setImmediate(() => settle(db));
}

/** Runs the writes queued with `writeSoon` now (and, when some wait for it, commits them). */
export function settle(db: Db): void {
  if (!db.isOpen) return;
  const queue = soon.get(db);
  if (queue?.length) {
    // Taken as it is: work queued while this runs waits for its own turn.
    for (const piece of queue.splice(0)) {
      try {
        transaction(db, piece);
      } catch (error) {
        batches.get(db)?.onError(error);
      }
    }
  }
  const callbacks = waiting.get(db);
  if (!callbacks?.length) return;
  // Inside a transaction the commit waits for it to close (commitDurably), and so do they.
  if ((depth.get(db) ?? 0) > 0) {
    durableSoon.add(db);
    return;
  }
  const ready = callbacks.splice(0);
  commitBatch(db);
  for (const callback of ready) {
    try {
      callback();
    } catch (error) {
      batches.get(db)?.onError(error);
    }
  }
}

/** Commits the writes of this turn now (before closing, or before another process reads the file). */
export function commitWrites(db: Db): void {
  settle(db);
  commitBatch(db);
}

function commitBatch(db: Db): void {
  if (!db.isOpen || !db.isTransaction) return;
  try {
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    batches.get(db)?.onError(error);
  }
  planCheckpoint(db);
}

/** After a commit: checkpoint now if the log is past its limit, else once the history is quiet. */
function planCheckpoint(db: Db): void {
  const wal = batches.get(db)?.wal;
  if (!wal) return;
  if ((statSync(wal.file, { throwIfNoEntry: false })?.size ?? 0) > wal.maxWalBytes) {
    checkpoint(db);
    return;
  }
  if (wal.timer) wal.timer.refresh();
  else {
    wal.timer = setTimeout(() => {
      wal.timer = null;
      checkpoint(db);
    }, wal.quietMs);
    wal.timer.unref();
  }
}

/**
 * Copies the log into the database file as far as no reader needs it (PASSIVE: waits for nobody).
 * Not inside a batch: writes came in since, and their commit plans the next checkpoint.
 */
function checkpoint(db: Db): void {
  if (!db.isOpen || db.isTransaction) return;
  try {
    db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  } catch (error) {
    batches.get(db)?.onError(error);
  }
}
