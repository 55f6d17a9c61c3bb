import { Worker } from 'node:worker_threads';
import type { CsvImportProgress } from '../../../shared/csv-import.ts';
import { AppError } from '../../../shared/result.ts';
import type { CsvImportPreview, CsvImportRowError } from '../../../shared/vault.ts';
import {
  checkCameraCsv,
  previewOf,
  type CameraCsvInput,
  type CsvInventory,
  type RowPlan,
} from './camera-csv-check.ts';

/**
 * Runs the CSV check off the main thread: a 20 MB file takes seconds to read and check, and the
 * main process must keep answering the window (and keep SMTP sessions going) meanwhile. One worker
 * thread (camera-csv-worker.ts, bundled as dist/electron/camera-csv-worker.cjs in the app), started
 * with the first file and kept; without a script the check runs in the caller's thread.
 */

export type CsvCheckMode = 'preview' | 'import';

export interface CsvCheckOutcome {
  preview: CsvImportPreview;
  /** The rows that can be imported, with their line (import mode only). */
  good: Array<{ line: number; camera: NonNullable<RowPlan['camera']> }>;
  refusedLines: number[];
  errors: CsvImportRowError[];
}

export type CsvJob = { mode: CsvCheckMode; input: CameraCsvInput; inventory: CsvInventory };
export type ToCsvThread = CsvJob & { id: number };
export type FromCsvThread =
  | { id: number; type: 'progress'; progress: Omit<CsvImportProgress, 'id'> }
  | { id: number; type: 'done'; outcome: CsvCheckOutcome }
  | { id: number; type: 'failed'; message: string };

/** The check itself, wherever it runs. */
export function checkAndSummarise(
  job: CsvJob,
  progress: (p: Omit<CsvImportProgress, 'id'>) => void,
): CsvCheckOutcome {
  const v = checkCameraCsv(job.inventory, job.input, progress);
  const preview = previewOf(v);
  if (job.mode === 'preview') return { preview, good: [], refusedLines: [], errors: v.errors };
  const good: CsvCheckOutcome['good'] = [];
  const refused = new Set<number>();
  for (const r of v.rows) {
    if (r.camera) good.push({ line: r.line, camera: r.camera });
    else refused.add(r.line);
  }
  return { preview, good, refusedLines: [...refused], errors: v.errors };
}

interface Waiting {
  progress: (p: Omit<CsvImportProgress, 'id'>) => void;
  resolve: (outcome: CsvCheckOutcome) => void;
  reject: (error: Error) => void;
}

export class CsvThread {
  private readonly script: URL | null;
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private next = 1;

  constructor(script: URL | null) {
    this.script = script;
  }

  check(job: CsvJob, progress: (p: Omit<CsvImportProgress, 'id'>) => void): Promise<CsvCheckOutcome> {
    if (!this.script) return Promise.resolve(checkAndSummarise(job, progress));
    const worker = this.start(this.script);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { progress, resolve, reject });
      worker.postMessage({ ...job, id } satisfies ToCsvThread);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private start(script: URL): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(script);
    // An idle thread does not keep AlertDesk (or a test) alive.
    worker.unref();
    worker.on('message', (m: FromCsvThread) => {
      const waiting = this.waiting.get(m.id);
      if (!waiting) return;
      if (m.type === 'progress') return waiting.progress(m.progress);
      this.waiting.delete(m.id);
      if (m.type === 'done') waiting.resolve(m.outcome);
      else
        waiting.reject(new AppError('csv-check-failed', `The CSV file could not be checked: ${m.message}`));
    });
    const fail = (why: string) => {
      if (this.worker === worker) this.worker = null;
      for (const w of this.waiting.values())
        w.reject(
          new AppError(
            'csv-check-failed',
            `The CSV file could not be checked (${why}). Try again; if it happens again, try a smaller file.`,
          ),
        );
      this.waiting.clear();
    };
    worker.on('error', (error) => fail(error.message));
    worker.on('exit', (code) => fail(`the thread reading it stopped with code ${code}`));
    this.worker = worker;
    return worker;
  }
}
