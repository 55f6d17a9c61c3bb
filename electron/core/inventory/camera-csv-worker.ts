/**
 * The CSV thread (see camera-csv-thread.ts): reads and checks camera CSV files, one at a time,
 * telling its progress, and answers with the outcome. Bundled as dist/electron/camera-csv-worker.cjs in the app.
 */
import { parentPort } from 'node:worker_threads';
import { checkAndSummarise, type FromCsvThread, type ToCsvThread } from './camera-csv-thread.ts';

if (!parentPort) throw new Error('camera-csv-worker.ts runs as a worker thread.');
const port = parentPort;
const post = (message: FromCsvThread) => port.postMessage(message);

port.on('message', (job: ToCsvThread) => {
  try {
    post({
      id: job.id,
      type: 'done',
      outcome: checkAndSummarise(job, (progress) => post({ id: job.id, type: 'progress', progress })),
    });
  } catch (error) {
    post({ id: job.id, type: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
});
