/**
 * The "camera" of bench:bench-inbox, in a worker thread of its own: its MIME encoding of large
 * messages must not count as time the bench inbox held the event loop.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import nodemailer from 'nodemailer';

const port = (workerData as { port: number }).port;
const snapshots = await Promise.all(
  ['snapshot-1.jpg', 'snapshot-2.jpg', 'snapshot-3.jpg'].map(async (filename) => ({
    filename,
    content: await readFile(join(import.meta.dirname, '..', 'assets', 'snapshots', filename)),
  })),
);
// ~19 MB as sent (base64): near the default 25 MB limit.
const large = Array.from({ length: 7 }, (_, i) => ({
  filename: `recording-${i}.bin`,
  content: Buffer.alloc(2 * 1024 * 1024, i),
}));
const camera = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });

parentPort!.on('message', (kind: 'burst' | 'large') => {
  const t0 = performance.now();
  void camera
    .sendMail({
      from: 'cam@bench.test',
      to: 'ops@bench.test',
      subject: 'bench',
      text: 'x',
      attachments: kind === 'burst' ? snapshots : large,
    })
    .then(
      () => parentPort!.postMessage({ ms: performance.now() - t0 }),
      (error: unknown) => parentPort!.postMessage({ error: String(error) }),
    );
});
parentPort!.postMessage({ ready: true });
