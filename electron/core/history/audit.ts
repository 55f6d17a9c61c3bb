import type { SQLInputValue } from 'node:sqlite';
import type { AuditSortColumn } from '../../../shared/schemas.ts';
import type { AuditEvent } from '../../../shared/vault.ts';
import { write, type Db } from './db.ts';

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
    'site' | 'connector' | 'camera' | 'app-password' | 'inventory' | 'audit' | 'delivery' | 'oauth-account';
  recordId?: string | null;
  recordLabel?: string;
  siteId?: string | null;
  cameraId?: string | null;
  result?: 'ok' | 'failed' | 'refused';
  detail?: string;
}

/**
 * The audit trail: append-only (SQLite triggers refuse UPDATE and DELETE on the table), one event
 * per action with time, OS user, record, site, camera and result.
 */
export class AuditLog {
  private readonly insert;
  private readonly db: Db;
  private readonly osUser: string;
  private readonly now: () => number;

  constructor(db: Db, osUser: string, now: () => number) {
    this.db = db;
    this.osUser = osUser;
    this.now = now;
    this.insert = db.prepare(
      'INSERT INTO audit (at, os_user, action, record_type, record_id, record_label, site_id, camera_id, result, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  record(e: AuditInput): void {
    write(this.db, () =>
      this.insert.run(
        this.now(),
        this.osUser,
        e.action,
        e.recordType,
        e.recordId ?? null,
        e.recordLabel ?? '',
        e.siteId ?? null,
        e.cameraId ?? null,
        e.result ?? 'ok',
        e.detail ?? '',
      ),
    );
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

interface AuditRow {
  seq: number;
  at: number;
  os_user: string;
  action: string;
  record_type: string;
  record_id: string | null;
  record_label: string;
  site_id: string | null;
  camera_id: string | null;
  result: string;
  detail: string;
}

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
