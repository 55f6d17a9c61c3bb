import { describe, expect, it } from 'vitest';
import { DeliveryThread, deliveryThreadPays } from '../../electron/core/mail/delivery-thread.ts';
import { Transcript } from '../../electron/core/mail/transcript.ts';
import { SmtpFailure } from '../../electron/core/mail/failure.ts';
import { defaultLookup } from '../../electron/core/mail/session.ts';
import { startSmtpServer } from '../helpers/smtp.ts';
import { plainTarget, textMessage } from '../helpers/thread.ts';

const USER = 'cam3@example.test';
const PASSWORD = 'an-app-password-4711';
const SCRIPT = new URL('../../electron/core/mail/smtp-worker.ts', import.meta.url);
const errors: Array<[string, unknown]> = [];
const logger = {
  debug() {},
  info() {},
  warn() {},
  error: (message: string, data?: unknown) => errors.push([message, data]),
};

const target = (port: number, password = PASSWORD) => plainTarget(port, USER, password);
const message = (i: number) => textMessage(USER, `Thread ${i}`);

describe('the delivery thread', () => {
  it('is used only where a core is free for it (from 4 logical cores)', () => {
    expect([1, 2, 3, 4, 8].map((cores) => deliveryThreadPays(cores))).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
  });

  it('opens a session with its first message, reuses it, and brings back a scrubbed transcript', async () => {
    const server = await startSmtpServer({ mode: 'none', users: { [USER]: PASSWORD } });
    const thread = new DeliveryThread(SCRIPT, logger);
    try {
      const first = new Transcript();
      const session = await thread.open(target(server.port), first, defaultLookup);
      // nothing has crossed to the thread yet: the session opens with its message
      expect(session.capabilities).toBeNull();
      const outcome = await session.send(await message(1), first);
      expect(outcome.response).toMatch(/^250 /);
      expect(session.capabilities?.authMechanisms).toContain('PLAIN');
      const steps = first.timings().map((s) => s.step);
      expect(steps).toEqual(expect.arrayContaining(['connect', 'greeting', 'ehlo', 'auth', 'envelope']));
      const text = first
        .lines()
        .map((l) => l.text)
        .join('\n');
      expect(text).toMatch(/AUTH PLAIN \/\* redacted \*\//);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64'));
      // lines keep their order in time on this thread's time line
      const times = first.lines().map((l) => l.t);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(session.openingLines.length).toBeGreaterThan(3);

      const second = new Transcript();
      await session.send(await message(2), second);
      expect(session.messagesSent).toBe(2);
      expect(second.lines().some((l) => /^AUTH/.test(l.text))).toBe(false);
      expect(server.received.map((m) => m.parsed.subject)).toEqual(['Thread 1', 'Thread 2']);
      expect(server.logins).toHaveLength(1);
      session.quit();
      expect(session.usable).toBe(false);
    } finally {
      await thread.close();
      await server.close();
    }
  });

  it('reports a failure the server gave, with its stage, reply and transcript', async () => {
    const server = await startSmtpServer({ mode: 'none', users: { [USER]: PASSWORD } });
    const thread = new DeliveryThread(SCRIPT, logger);
    try {
      const transcript = new Transcript();
      const session = await thread.open(
        target(server.port, 'revoked-app-password'),
        transcript,
        defaultLookup,
      );
      const failure = await session.send(await message(1), transcript).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(SmtpFailure);
      expect((failure as SmtpFailure).raw).toMatchObject({ stage: 'auth', responseCode: 535 });
      expect(session.usable).toBe(false);
      expect(transcript.lines().some((l) => l.dir === 's' && /^535/.test(l.text))).toBe(true);
      expect(transcript.lines().some((l) => l.text.includes('revoked-app-password'))).toBe(false);
    } finally {
      await thread.close();
      await server.close();
    }
  });

  it('fails what was in flight, and says so, when the thread itself stops', async () => {
    const server = await startSmtpServer({ mode: 'none', users: { [USER]: PASSWORD } });
    // a thread that dies at once, as a crash would
    const thread = new DeliveryThread(new URL('data:text/javascript,process.exit(3)'), logger);
    errors.length = 0;
    try {
      const transcript = new Transcript();
      const session = await thread.open(target(server.port), transcript, defaultLookup);
      const failure = await session.send(await message(1), transcript).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(SmtpFailure);
      expect((failure as SmtpFailure).raw).toMatchObject({ code: 'ECONNECTION' });
      expect((failure as SmtpFailure).message).toMatch(/delivery thread stopped: exit code 3/);
      expect(errors.map(([m]) => m)).toContain('delivery thread stopped');
      expect(server.received).toHaveLength(0);
    } finally {
      await thread.close();
      await server.close();
    }
  });
});
