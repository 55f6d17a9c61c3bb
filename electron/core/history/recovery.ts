import { commitDurably, transaction, type Db } from './db.ts';

/** Said of every delivery and run item a stop of AlertDesk left unfinished. */
export const INTERRUPTED_EXPLANATION =
  'AlertDesk stopped (it was closed, crashed or the computer shut down) before this message was finished. Whether the server accepted it is unknown: send it again.';

/**
 * At opening, before anything is sent: work that was in flight when the previous session ended
 * is over, and says so. A delivery still queued, sending or waiting to retry becomes
 * "interrupted" (its outcome is unknown: a reply that was acknowledged is already recorded, see
 * the engine); a run still "running" becomes "interrupted", and each of its unfinished cameras
 * takes its delivery's final state if that was recorded, or "interrupted". Re-run then offers them.
 */
export function recoverInterrupted(db: Db, now: number): { runs: number; deliveries: number } {
  const counts = transaction(db, () => {
    const deliveries = db
      .prepare(
        `UPDATE deliveries SET status = 'interrupted', next_attempt_at = NULL, updated_at = ?
         WHERE status IN ('queued', 'sending', 'retrying')`,
      )
      .run(now).changes;
    // A run item learns its delivery's id when it finishes; for one in flight, find it by camera
    // (or, for a connector without cameras, by connector) within the run.
    db.prepare(
      `UPDATE run_items SET delivery_id = (
         SELECT d.id FROM deliveries AS d
         WHERE d.run_id = run_items.run_id
           AND (CASE WHEN run_items.camera_id IS NULL
                  THEN d.camera_id IS NULL AND d.connector_id = run_items.connector_id
                  ELSE d.camera_id = run_items.camera_id END)
         ORDER BY d.created_at DESC LIMIT 1)
       WHERE delivery_id IS NULL AND status IN ('queued', 'sending', 'retrying')`,
    ).run();
    // Items whose delivery reached a final state before the stop: the delivery says how it ended.
    db.prepare(
      `UPDATE run_items SET
         status = CASE d.status WHEN 'sent' THEN 'passed' ELSE d.status END,
         failure_class = d.failure_class, reply = d.reply, message_id = d.message_id,
         duration_ms = d.duration_ms, attempts = d.attempt_count,
         explanation = COALESCE(json_extract(d.failure_json, '$.explanation'), run_items.explanation),
         fix = COALESCE(json_extract(d.failure_json, '$.fix'), run_items.fix),
         finished_at = d.updated_at
       FROM deliveries AS d
       WHERE d.id = run_items.delivery_id
         AND run_items.status IN ('queued', 'sending', 'retrying')
         AND d.status IN ('sent', 'failed', 'cancelled')`,
    ).run();
    db.prepare(
      `UPDATE run_items SET status = 'interrupted', explanation = ?, finished_at = ?
       WHERE status IN ('queued', 'sending', 'retrying')`,
    ).run(INTERRUPTED_EXPLANATION, now);
    // A run whose every camera had finished was only missing its own last write.
    db.prepare(
      `UPDATE runs SET status = 'finished', finished_at = ?
       WHERE status = 'running'
         AND NOT EXISTS (SELECT 1 FROM run_items AS i WHERE i.run_id = runs.id AND i.status = 'interrupted')`,
    ).run(now);
    const runs = db
      .prepare(`UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'`)
      .run(now).changes;
    return { runs: Number(runs), deliveries: Number(deliveries) };
  });
  commitDurably(db);
  return counts;
}
