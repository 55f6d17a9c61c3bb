import { expect, test } from '@playwright/test';
import { DeliveryThread } from '../../electron/core/mail/delivery-thread.ts';
import { defaultLookup } from '../../electron/core/mail/session.ts';
import { Transcript } from '../../electron/core/mail/transcript.ts';
import { startSmtpServer } from '../helpers/smtp.ts';
import { plainTarget, textMessage } from '../helpers/thread.ts';

// What the app loads beside dist/electron/main.js: runs without an Electron binary, after `npm run build`.
test('the bundled delivery thread (dist/electron/smtp-worker.cjs) delivers a message', async () => {
  const server = await startSmtpServer({ mode: 'none', users: { 'cam@example.test': 'app-password-1' } });
  const thread = new DeliveryThread(new URL('../../dist/electron/smtp-worker.cjs', import.meta.url), {
    debug() {},
    info() {},
    warn() {},
    error(message, data) {
      throw new Error(`${message}: ${JSON.stringify(data)}`);
    },
  });
  try {
    const transcript = new Transcript();
    const session = await thread.open(
      plainTarget(server.port, 'cam@example.test', 'app-password-1'),
      transcript,
      defaultLookup,
    );
    const message = await textMessage('cam@example.test', 'Bundled delivery thread');
    const outcome = await session.send(message, transcript);
    session.quit();
    expect(outcome.response).toMatch(/^250 /);
    expect(server.received.map((m) => m.parsed.subject)).toEqual(['Bundled delivery thread']);
  } finally {
    await thread.close();
    await server.close();
  }
});
