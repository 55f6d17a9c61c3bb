import type { FolderRole } from '../../../shared/inbound.ts';
import { transaction, type Db } from '../history/db.ts';

/** Where the reading of one watched folder stands. */
export interface FolderState {
  folder: string;
  role: FolderRole;
  uidValidity: string;
  /** The highest UID read, or skipped on purpose (older than the first-start window). */
  lastUid: number;
  /** When the folder was last read up to date (ms), null while a catch-up is unfinished. */
  syncedAt: number | null;
}

type Row = {
  folder: string;
  role: string;
  uid_validity: string;
  last_uid: number;
  synced_at: number | null;
};

/**
 * The watchers' memory in the history database: per mailbox and folder, its UIDVALIDITY and the
 * highest UID read. Written after the messages it covers were handed to the hub, so a crash
 * between the two re-reads a few messages (the hub keeps them once) and never skips one.
 */
export class SyncState {
  private readonly db: Db;
  private readonly select;
  private readonly upsert;

  constructor(db: Db) {
    this.db = db;
    this.select = db.prepare(
      'SELECT folder, role, uid_validity, last_uid, synced_at FROM mailbox_folders WHERE mailbox_id = ? ORDER BY folder',
    );
    this.upsert = db.prepare(
      `INSERT INTO mailbox_folders (mailbox_id, folder, role, uid_validity, last_uid, synced_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (mailbox_id, folder) DO UPDATE SET role = excluded.role, uid_validity = excluded.uid_validity,
          last_uid = excluded.last_uid, synced_at = excluded.synced_at`,
    );
  }

  folders(mailboxId: string): FolderState[] {
    return (this.select.all(mailboxId) as Row[]).map((r) => ({
      folder: r.folder,
      role: r.role as FolderRole,
      uidValidity: r.uid_validity,
      lastUid: r.last_uid,
      syncedAt: r.synced_at,
    }));
  }

  save(mailboxId: string, state: FolderState): void {
    transaction(this.db, () =>
      this.upsert.run(mailboxId, state.folder, state.role, state.uidValidity, state.lastUid, state.syncedAt),
    );
  }

  /** Forgets a mailbox (deleted) or one of its folders (no longer watched). */
  forget(mailboxId: string, folder?: string): void {
    transaction(this.db, () =>
      folder === undefined
        ? this.db.prepare('DELETE FROM mailbox_folders WHERE mailbox_id = ?').run(mailboxId)
        : this.db
            .prepare('DELETE FROM mailbox_folders WHERE mailbox_id = ? AND folder = ?')
            .run(mailboxId, folder),
    );
  }
}
