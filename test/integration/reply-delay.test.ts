import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { delayReplies, type ReplyDelay } from '../helpers/reply-delay.ts';

// The latency bench:bulk measures against: every reply of a real smtp-server held 20 ms.
describe('delayReplies', () => {
  const DELAY = 20;
  let server: SMTPServer;
  let delay: ReplyDelay;
  let port: number;
  let received = 0;

  beforeAll(async () => {
    server = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      disableReverseLookup: true,
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => {
          received++;
          callback(null, 'Ok: queued');
        });
      },
    });
    server.on('error', () => {});
    delay = delayReplies(server.server, DELAY);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    delay.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const send = (n: number) =>
    nodemailer
      .createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true })
      .sendMail({ from: 'cam@example.test', to: 'cr@example.test', subject: `m${n}`, text: 'x' });

  /** One message over a session that ends with QUIT, as AlertDesk's sessions do. */
  const sendAndQuit = () =>
    new Promise<void>((resolve, reject) => {
      const conn = new SMTPConnection({ host: '127.0.0.1', port, ignoreTLS: true });
      conn.once('error', reject);
      conn.once('end', () => resolve());
      conn.connect(() =>
        conn.send({ from: 'cam@example.test', to: ['cr@example.test'] }, 'Subject: q\r\n\r\nx\r\n', (err) =>
          err ? reject(err) : conn.quit(),
        ),
      );
    });

  /** Until every connection is gone (the delayed replies and closings released): event-driven, not a fixed wait. */
  const settle = () => expect.poll(() => delay.stats().open, { timeout: 10_000 }).toBe(0);

  /** The next complete reply on `socket` (a final line: code and a space). */
  const reply = (socket: Socket) =>
    new Promise<string>((resolve) => {
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(text)) {
          socket.off('data', onData);
          resolve(text);
        }
      };
      socket.on('data', onData);
    });

  /**
   * One message whose QUIT travels with its data (RFC 2920 lets a client pipeline it; Postfix's
   * client does), spoken by hand; ms until the message's reply.
   */
  const sendWithQuit = async () => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    await new Promise((resolve) => socket.once('connect', resolve));
    const t0 = performance.now();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await reply(socket);
    socket.write('EHLO client.test\r\n');
    await reply(socket);
    socket.write('MAIL FROM:<cam@example.test>\r\nRCPT TO:<cr@example.test>\r\nDATA\r\n');
    // the three replies come in one delayed write
    let envelope = '';
    while (!/^354 /m.test(envelope)) envelope += await reply(socket);
    socket.write('Subject: p\r\n\r\nx\r\n.\r\nQUIT\r\n');
    const sent = await reply(socket);
    const elapsed = performance.now() - t0;
    await closed;
    return { elapsed, sent };
  };

  it('holds every reply, and counts the round trips a client waited for', async () => {
    delay.reset();
    const t0 = performance.now();
    const info = await send(1);
    const elapsed = performance.now() - t0;
    await settle();
    expect(info.response).toMatch(/^250 /);
    const stats = delay.stats();
    // greeting, EHLO, MAIL+RCPT+DATA (pipelined, one wait), the message: four waits of 20 ms at least
    expect(stats.roundTrips).toBe(4);
    expect(elapsed).toBeGreaterThanOrEqual(4 * DELAY);
    // nodemailer's transport hangs up without QUIT
    expect(stats.quitTurns).toBe(0);
    expect(stats.replies).toEqual({ '220': 1, '250': 4, '354': 1 });
    expect(stats).toMatchObject({ connections: 1, open: 0, sessions: 0, peakSessions: 1 });
  });

  it('does not count the answer to QUIT as a wait, nor the time after QUIT as a session', async () => {
    delay.reset();
    await sendAndQuit();
    await settle();
    const stats = delay.stats();
    expect(stats).toMatchObject({ roundTrips: 4, quitTurns: 1, sessions: 0, open: 0 });
    expect(stats.replies['221']).toBe(1);
  });

  it('counts the reply to a message sent along with QUIT as a wait, and the session until it arrives', async () => {
    delay.reset();
    const { elapsed, sent } = await sendWithQuit();
    await settle();
    expect(sent).toMatch(/^250 /);
    const stats = delay.stats();
    // greeting, EHLO, MAIL+RCPT+DATA, the message (+QUIT): four waits, the 221 none of its own
    expect(stats).toMatchObject({ roundTrips: 4, quitTurns: 0, sessions: 0, open: 0, peakSessions: 1 });
    expect(stats.replies['221']).toBe(1);
    // the session lasted until the message's reply reached the client, not just until QUIT arrived
    expect(stats.sessionMs).toBeGreaterThanOrEqual(4 * DELAY);
    expect(stats.sessionMs).toBeLessThanOrEqual(elapsed + DELAY);
  });

  it('counts sessions held at once until each client hangs up', async () => {
    delay.reset();
    const before = received;
    await Promise.all([send(1), send(2), send(3)]);
    await settle();
    expect(received - before).toBe(3);
    const stats = delay.stats();
    expect(stats).toMatchObject({ connections: 3, peakSessions: 3, sessions: 0, roundTrips: 12 });
    // each session lasted its four waits at least
    expect(stats.sessionMs).toBeGreaterThanOrEqual(3 * 4 * DELAY);
  });
});
