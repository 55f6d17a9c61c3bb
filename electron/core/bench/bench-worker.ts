/**
 * The bench inbox's parsing thread (see bench-parser.ts): MIME parsing and JPEG thumbnails, which
 * take ~0.1 s a snapshot and seconds for a large message, run here and never on the app's event
 * loop. In the app it is bundled to dist/electron/bench-worker.cjs.
 */
import { parentPort } from 'node:worker_threads';
import { extractAttachment, parseBenchMessage } from './bench-parse.ts';
import type { FromBenchWorker, ToBenchWorker } from './bench-parser.ts';

if (!parentPort) throw new Error('bench-worker.ts runs as a worker thread of the bench inbox.');
const port = parentPort;

port.on('message', (m: ToBenchWorker) => {
  const raw = new Uint8Array(m.raw);
  const work: Promise<FromBenchWorker> =
    m.extract === undefined
      ? parseBenchMessage(raw).then((result) => ({ id: m.id, result }))
      : extractAttachment(raw, m.extract).then((attachment) => ({ id: m.id, attachment }));
  void work.then(
    (reply) => port.postMessage(reply),
    (error: unknown) => port.postMessage({ id: m.id, error: String(error) } satisfies FromBenchWorker),
  );
});
