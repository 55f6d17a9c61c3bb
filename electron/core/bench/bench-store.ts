import { rmSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchCameraResult, BenchMessage, BenchPage, BenchSnapshot } from '../../../shared/bench.ts';
import { transaction, type Db } from '../history/db.ts';
import { makePrivateDir, PRIVATE_FILE } from '../store/data-folder.ts';

interface Row {
  id: string;
  seq: number;
  received_at: number;
  remote_address: string;
  login: string | null;
  secure: number;
  envelope_from: string;
  envelope_to_json: string;
  from_addr: string;
  subject: string;
  size: number;
  message_id: string | null;
  camera_id: string | null;
  camera_name: string | null;
  site_name: string | null;
  matched_by: string | null;
  match_note: string | null;
  snapshots_json: string;
  problems_json: string;
}

function view(r: Row): BenchMessage {
  return {
    id: r.id,
    receivedAt: new Date(r.received_at).toISOString(),
    remoteAddress: r.remote_address,
    login: r.login,
    secure: r.secure === 1,
    envelopeFrom: r.envelope_from,
    envelopeTo: JSON.parse(r.envelope_to_json) as string[],
    from: r.from_addr,
    subject: r.subject,
    size: r.size,
    messageId: r.message_id,
    camera:
      r.camera_id === null
        ? null
        : { id: r.camera_id, name: r.camera_name ?? '', siteName: r.site_name ?? '' },
    matchedBy: r.matched_by as BenchMessage['matchedBy'],
    matchNote: r.match_note,
    snapshots: JSON.parse(r.snapshots_json) as BenchSnapshot[],
    problems: JSON.parse(r.problems_json) as string[],
  };
}

/**
 * What the bench received: one row per message in the history database (with its thumbnails), the
 * raw message as a file in `bench/messages/` for the full-size snapshots. Bounded: past the number
 * of messages to keep, the oldest are dropped, rows and files alike.
 */
export class BenchStore {
  private readonly db: Db;
  private readonly rawDir: string;

  constructor(db: Db, dir: string) {
    this.db = db;
    // Made when the first message arrives: a data folder whose bench was never used has no trace of it.
    this.rawDir = join(dir, 'messages');
  }

  rawFile(id: string): string {
    return join(this.rawDir, `${id}.eml`);
  }

  /** Writes the raw message; the reply to the camera waits for this, so what it was told is kept. */
  async saveRaw(id: string, raw: Buffer): Promise<void> {
    makePrivateDir(this.rawDir);
    await writeFile(this.rawFile(id), raw, { mode: PRIVATE_FILE });
  }

  nextSeq(): number {
    const row = this.db.prepare('SELECT MAX(seq) AS seq FROM bench_messages').get() as { seq: number | null };
    return (row.seq ?? 0) + 1;
  }

  /** Stores a message and drops the oldest beyond `keep`; returns the ids dropped. */
  add(message: BenchMessage, seq: number, keep: number): string[] {
    const dropped = transaction(this.db, () => {
      this.db
        .prepare(
          `INSERT INTO bench_messages (id, seq, received_at, remote_address, login, secure, envelope_from, envelope_to_json,
            from_addr, subject, size, message_id, camera_id, camera_name, site_name, matched_by, match_note, snapshots_json, problems_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          message.id,
          seq,
          Date.parse(message.receivedAt),
          message.remoteAddress,
          message.login,
          message.secure ? 1 : 0,
          message.envelopeFrom,
          JSON.stringify(message.envelopeTo),
          message.from,
          message.subject,
          message.size,
          message.messageId,
          message.camera?.id ?? null,
          message.camera?.name ?? null,
          message.camera?.siteName ?? null,
          message.matchedBy,
          message.matchNote,
          JSON.stringify(message.snapshots),
          JSON.stringify(message.problems),
        );
      return this.trim(keep);
    });
    this.unlinkRaw(dropped);
    return dropped;
  }

  /** Drops the oldest messages beyond `keep` (a lowered setting applies at once). */
  trimTo(keep: number): string[] {
    const dropped = transaction(this.db, () => this.trim(keep));
    this.unlinkRaw(dropped);
    return dropped;
  }

  private trim(keep: number): string[] {
    const old = this.db
      .prepare('SELECT id FROM bench_messages ORDER BY seq DESC LIMIT -1 OFFSET ?')
      .all(keep) as Array<{ id: string }>;
    if (old.length === 0) return [];
    const ids = old.map((r) => r.id);
    const remove = this.db.prepare('DELETE FROM bench_messages WHERE id = ?');
    for (const id of ids) remove.run(id);
    return ids;
  }

  private unlinkRaw(ids: string[]): void {
    for (const id of ids) void unlink(this.rawFile(id)).catch(() => undefined);
  }

  get(id: string): BenchMessage | null {
    const row = this.db.prepare('SELECT * FROM bench_messages WHERE id = ?').get(id) as Row | undefined;
    return row ? view(row) : null;
  }

  page(q: { cameraId?: string | undefined; limit: number; offset: number }): BenchPage {
    const where = q.cameraId ? 'WHERE camera_id = ?' : '';
    const params = q.cameraId ? [q.cameraId] : [];
    const rows = this.db
      .prepare(`SELECT * FROM bench_messages ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`)
      .all(...params, q.limit, q.offset) as unknown as Row[];
    const total = (
      this.db.prepare(`SELECT COUNT(*) AS n FROM bench_messages ${where}`).get(...params) as { n: number }
    ).n;
    return { rows: rows.map(view), total };
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM bench_messages').get() as { n: number }).n;
  }

  /** Per camera heard on the bench: when last, how often, what it sent last. */
  cameraResults(): BenchCameraResult[] {
    const rows = this.db
      .prepare(
        `SELECT b.camera_id, b.camera_name, b.site_name, b.received_at, b.subject, b.snapshots_json, c.n
           FROM bench_messages b
           JOIN (SELECT camera_id, MAX(seq) AS seq, COUNT(*) AS n FROM bench_messages
                  WHERE camera_id IS NOT NULL GROUP BY camera_id) c ON c.seq = b.seq
          ORDER BY b.received_at DESC`,
      )
      .all() as Array<{
      camera_id: string;
      camera_name: string | null;
      site_name: string | null;
      received_at: number;
      subject: string;
      snapshots_json: string;
      n: number;
    }>;
    return rows.map((r) => ({
      cameraId: r.camera_id,
      cameraName: r.camera_name ?? '',
      siteName: r.site_name ?? '',
      lastAt: new Date(r.received_at).toISOString(),
      messages: r.n,
      lastSubject: r.subject,
      lastSnapshots: (JSON.parse(r.snapshots_json) as BenchSnapshot[]).filter((s) => s.imageKind).length,
    }));
  }

  /** Forgets every message (rows and files); returns how many. */
  clear(): number {
    const n = Number(transaction(this.db, () => this.db.prepare('DELETE FROM bench_messages').run()).changes);
    rmSync(this.rawDir, { recursive: true, force: true });
    return n;
  }
}
