/**
 * Whether the audit log is as AlertDesk wrote it. Every event from `protectedFrom` on carries a
 * MAC chained to the one before, keyed with a secret only this data folder's key opens; the last
 * event's MAC is also kept outside the database, so cutting events off the end shows too.
 */
export type AuditIntegrityState =
  /** Every protected event checks out. */
  | 'intact'
  /** An event was changed, removed or added by something other than AlertDesk. */
  | 'broken'
  /** The key is not available on this computer right now (no secure storage): nothing can be checked. */
  | 'unprotected';

export interface AuditIntegrity {
  state: AuditIntegrityState;
  checkedAt: string;
  /** Events checked (those from `protectedFrom` on). */
  checked: number;
  /** First event covered by the chain; earlier ones were written before the log was protected. */
  protectedFrom: number | null;
  /** First event that does not check out (or that follows a removed one). */
  firstBadSeq: number | null;
  /** Every event that does not check out, at most 1,000. */
  badSeqs: number[];
  /** What is wrong, in plain words, and what to do. */
  message: string;
}
