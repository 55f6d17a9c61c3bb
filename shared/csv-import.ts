/**
 * How far a camera CSV preview or import has got: told as `csvImport` events while the file is
 * read (bytes) and checked (rows), and when the cameras are saved. A 20 MB file takes seconds.
 */
export interface CsvImportProgress {
  /** The `progressId` the caller gave the preview or import call (to tell two apart). */
  id: string | null;
  phase: 'reading' | 'checking' | 'saving' | 'done';
  rows: number;
  /** Rows to check, once known (checking). */
  totalRows?: number;
  /** Characters read so far, and of the whole file (reading). */
  bytes?: number;
  totalBytes?: number;
}
