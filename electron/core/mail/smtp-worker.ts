/**
 * The delivery thread (see delivery-thread.ts): SMTP sessions, each opened, used and ended on the
 * engine's word. Runs as a worker_threads Worker; in the app it is bundled to dist/electron/smtp-worker.cjs.
 */
import { parentPort } from 'node:worker_threads';
import type { FromDeliveryThread, OpenedSession, ToDeliveryThread } from './delivery-thread.ts';
import { toSmtpFailure } from './failure.ts';
import { SmtpSession } from './session.ts';
import { Transcript } from './transcript.ts';

if (!parentPort) throw new Error('smtp-worker.ts runs as a worker thread of the delivery engine.');
const port = parentPort;
const post = (message: FromDeliveryThread) => port.postMessage(message);

const sessions = new Map<number, SmtpSession>();

type Ask = Extract<ToDeliveryThread, { id: number }>;

async function answer(m: Ask): Promise<void> {
  const transcript = new Transcript();
  let opened: OpenedSession | null = null;
  try {
    let session = sessions.get(m.sid);
    if (m.op === 'open-send') {
      const fresh = await SmtpSession.openResolved(m.target, transcript, m.addresses);
      const sid = m.sid;
      sessions.set(sid, fresh);
      fresh.onBroken = () => {
        if (sessions.delete(sid)) post({ type: 'broken', sid });
      };
      opened = {
        capabilities: fresh.capabilities,
        tls: fresh.tls,
        openingLineCount: fresh.openingLines.length,
      };
      session = fresh;
    }
    if (!session) throw new Error('The SMTP session was closed before this message could be sent.');
    // A Buffer arrives as a Uint8Array: view the same bytes as a Buffer again.
    const { raw } = m.message;
    const message = { ...m.message, raw: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) };
    const outcome = await session.send(message, transcript);
    post({ type: 'done', id: m.id, transcript: transcript.snapshot(), opened, outcome, failure: null });
  } catch (error) {
    post({
      type: 'done',
      id: m.id,
      transcript: transcript.snapshot(),
      opened,
      outcome: null,
      failure: toSmtpFailure(error, transcript.currentStep()).raw,
    });
  }
}

function end(sid: number, how: 'quit' | 'close'): void {
  const session = sessions.get(sid);
  sessions.delete(sid);
  if (how === 'quit') session?.quit();
  else session?.close();
}

port.on('message', (m: ToDeliveryThread) => {
  if (m.op === 'quit' || m.op === 'close') end(m.sid, m.op);
  else void answer(m);
});
