import type { SQLInputValue } from 'node:sqlite';
import type { AuditSortColumn } from '../../../shared/schemas.ts';
import type { AuditEvent } from '../../../shared/vault.ts';
import type { AuditIntegrity } from '../../../shared/audit-integrity.ts';
import { auditValues, type AuditChain, type AuditRowContent } from './audit-chain.ts';
import { commitDurably, transaction, type Db } from './db.ts';

export type AuditAction =
  | 'create'
  | 'update'
  | 'delete'
  | 'start'
  | 'stop'
  | 'test'
  | 'reveal'
  | 'copy'
  | 'verify'
  | 'rotate'
  | 'import'
  | 'export'
  | 'sign-in'
  | 'sign-out'
  | 'refresh';

export interface AuditInput {
  action: AuditAction;
  recordType:
    | 'site'
    | 'connector'
    | 'camera'
    | 'app-password'
    | 'inventory'
    | 'audit'
    | 'delivery'
    | 'oauth-account'
    | 'mailbox';
  recordId?: string | null;
  recordLabel?: string;
  siteId?: string | null;
  cameraId?: string | null;
  result?: 'ok' | 'failed' | 'refused';
  detail?: string;
}

/** An event ready to be written: its id, time and user fixed when the action happened. */
export type AuditEntry = Omit<AuditEvent, 'seq' | 'at'> & { eventId: string; at: number };

/** The event of a change to one camera (bulk edits, links dropped with a connector or site). */
export function cameraEvent(
  camera: { id: string; name: string; siteId: string },
  detail: string,
): AuditInput {
  return {
    action: 'update',
    recordType: 'camera',
    recordId: camera.id,
    recordLabel: camera.name,
    siteId: camera.siteId,
    cameraId: camera.id,
    detail,
  };
}

const UNCHECKED: AuditIntegrity = {
  state: 'unprotected',
  checkedAt: new Date(0).toISOString(),
  checked: 0,
  protectedFrom: null,
  firstBadSeq: null,
  badSeqs: [],
  message: 'The audit log has not been checked yet.',
};

/**
 * The audit trail: append-only (SQLite triggers refuse UPDATE and DELETE on the table), one event
 * per action with time, OS user, record, site, camera and result. Every event is committed before
 * `record` returns — an action that is audited is never lost in a write batch — and, once the data
 * folder has its keyring, chained with a MAC (audit-chain.ts) so an edit outside AlertDesk shows.
 */
export class AuditLog {
  private readonly insert;
  private readonly last;
  private readonly has;
  private readonly db: Db;
  private readonly osUser: string;
  private readonly now: () => number;
  private chain: AuditChain | null = null;
  private integrityNow: AuditIntegrity = UNCHECKED;
  private checking: Promise<AuditIntegrity> | null = null;

  constructor(db: Db, osUser: string, now: () => number) {
    this.db = db;
    this.osUser = osUser;
    this.now = now;
    this.insert = db.prepare(
      'INSERT INTO audit (seq, at, os_user, action, record_type, record_id, record_label, site_id, camera_id, result, detail, event_id, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.last = db.prepare('SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1');
    this.has = db.prepare('SELECT 1 AS x FROM audit WHERE event_id = ?');
  }

  /**
   * Protects events from the chain's first number on (the keyring opened). First, before any
   * event is written, the head kept outside the database is compared with the log.
   */
  protect(chain: AuditChain): void {
    commitDurably(this.db);
    chain.openHead(this.db, this.now());
    this.chain = chain;
  }

  /** The number the next event gets. */
  nextSeq(): number {
    return ((this.last.get() as { seq: number } | undefined)?.seq ?? 0) + 1;
  }

  /** Fixes an event's id, time and user now, for writing now or with a store change. */
  stamp(e: AuditInput): AuditEntry {
    return {
      eventId: crypto.randomUUID(),
      at: this.now(),
      osUser: this.osUser,
      action: e.action,
      recordType: e.recordType,
      recordId: e.recordId ?? null,
      recordLabel: e.recordLabel ?? '',
      siteId: e.siteId ?? null,
      cameraId: e.cameraId ?? null,
      result: e.result ?? 'ok',
      detail: e.detail ?? '',
    };
  }

  record(e: AuditInput): void {
    this.append([this.stamp(e)]);
  }

  /**
   * Writes events and commits them before returning. `replay`: events carried over from the store
   * after a crash (inventory.ts) — those already written are skipped.
   */
  append(entries: readonly AuditEntry[], replay = false): void {
    if (entries.length === 0) return;
    let head: { seq: number; mac: Uint8Array | null } | null = null;
    transaction(this.db, () => {
      let previous = (this.last.get() as { seq: number; mac: Uint8Array | null } | undefined) ?? {
        seq: 0,
        mac: null,
      };
      for (const e of entries) {
        if (replay && this.has.get(e.eventId)) continue;
        const row = {
          seq: previous.seq + 1,
          at: e.at,
          os_user: e.osUser,
          action: e.action,
          record_type: e.recordType,
          record_id: e.recordId,
          record_label: e.recordLabel,
          site_id: e.siteId,
          camera_id: e.cameraId,
          result: e.result,
          detail: e.detail,
          event_id: e.eventId,
        };
        const chain = this.chain;
        const mac =
          chain && row.seq >= chain.from
            ? chain.mac(row, row.seq === chain.from ? null : previous.mac)
            : null;
        this.insert.run(...auditValues(row), mac);
        previous = { seq: row.seq, mac };
        head = previous;
      }
    });
    commitDurably(this.db);
    const written = head as { seq: number; mac: Uint8Array | null } | null;
    if (written && this.chain && written.seq >= this.chain.from)
      this.chain.writeHead(written.seq, written.mac);
  }

  /**
   * Checks the chain again (at opening, before an export, on request). A check already under way
   * is shared: it also covers events written while it runs.
   */
  verify(): Promise<AuditIntegrity> {
    this.checking ??= this.check().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async check(): Promise<AuditIntegrity> {
    commitDurably(this.db);
    this.integrityNow = this.chain
      ? await this.chain.verify(this.db, this.now())
      : {
          ...UNCHECKED,
          checkedAt: new Date(this.now()).toISOString(),
          message:
            'The audit log cannot be protected on this computer right now: the key that protects it is kept in secure storage, which is not available. Events are still recorded.',
        };
    return this.integrityNow;
  }

  /** The result of the last finished check. */
  integrity(): AuditIntegrity {
    return this.integrityNow;
  }

  /** Count of events, used by tests and the audit table footer. */
  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n;
  }
}

/**
 * How an event that concerns many records names each of them in its detail ("#1a2b3c4d"), so the
 * audit trail of one record still finds it.
 */
export const auditRef = (id: string): string => `#${id.slice(0, 8)}`;

export interface AuditFilterParsed {
  action?: string | undefined;
  recordType?: string | undefined;
  recordId?: string | undefined;
  siteId?: string | undefined;
  cameraId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  search?: string | undefined;
}

type AuditRow = AuditRowContent;

const toEvent = (r: AuditRow): AuditEvent => ({
  seq: r.seq,
  at: new Date(r.at).toISOString(),
  osUser: r.os_user,
  action: r.action,
  recordType: r.record_type,
  recordId: r.record_id,
  recordLabel: r.record_label,
  siteId: r.site_id,
  cameraId: r.camera_id,
  result: r.result,
  detail: r.detail,
});

function auditWhere(f: AuditFilterParsed): { sql: string; params: SQLInputValue[] } {
  const parts: string[] = [];
  const params: SQLInputValue[] = [];
  const add = (clause: string, ...values: SQLInputValue[]) => {
    parts.push(clause);
    params.push(...values);
  };
  if (f.action) add('action = ?', f.action);
  if (f.recordType) add('record_type = ?', f.recordType);
  if (f.recordId)
    add(
      "(record_id = ? OR (record_id IS NULL AND detail LIKE ? ESCAPE '\\'))",
      f.recordId,
      `%${auditRef(f.recordId)}%`,
    );
  if (f.siteId) add('site_id = ?', f.siteId);
  if (f.cameraId) add('camera_id = ?', f.cameraId);
  if (f.from) add('at >= ?', Date.parse(f.from));
  if (f.to) add('at <= ?', Date.parse(f.to));
  if (f.search?.trim()) {
    const like = `%${f.search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    add(
      "(record_label LIKE ? ESCAPE '\\' OR detail LIKE ? ESCAPE '\\' OR os_user LIKE ? ESCAPE '\\')",
      like,
      like,
      like,
    );
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** The column each sortable field of the audit table is ordered by (ties keep the order of events). */
const SORT_SQL: Record<AuditSortColumn, string> = {
  at: 'seq',
  osUser: 'os_user',
  action: 'action',
  recordType: 'record_type',
  recordLabel: 'record_label COLLATE NOCASE',
  result: 'result',
};

/** The audit table, newest first unless asked otherwise. Reading only: no call edits or deletes an event. */
export function queryAudit(
  db: Db,
  filter: AuditFilterParsed,
  offset: number,
  limit: number,
  sort: { column: AuditSortColumn; direction: 'asc' | 'desc' } = { column: 'at', direction: 'desc' },
): { rows: AuditEvent[]; total: number } {
  const { sql, params } = auditWhere(filter);
  const dir = sort.direction === 'asc' ? 'ASC' : 'DESC';
  const order = sort.column === 'at' ? `seq ${dir}` : `${SORT_SQL[sort.column]} ${dir}, seq DESC`;
  const rows = db
    .prepare(`SELECT * FROM audit ${sql} ORDER BY ${order} LIMIT ? OFFSET ?`)
    .all(...params, limit, offset) as unknown as AuditRow[];
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM audit ${sql}`).get(...params) as { n: number }).n;
  return { rows: rows.map(toEvent), total };
}

export function exportAudit(db: Db, filter: AuditFilterParsed, max = 500_000): AuditEvent[] {
  const { sql, params } = auditWhere(filter);
  return (
    db
      .prepare(`SELECT * FROM audit ${sql} ORDER BY seq DESC LIMIT ?`)
      .all(...params, max) as unknown as AuditRow[]
  ).map(toEvent);
}
