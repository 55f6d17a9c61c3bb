import type { Db } from './db.ts';

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
  | 'export';

export interface AuditInput {
  action: AuditAction;
  recordType: 'site' | 'connector' | 'camera' | 'app-password' | 'inventory' | 'audit' | 'delivery';
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
    );
  }

  /** Count of events, used by tests and the audit table footer. */
  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n;
  }
}
