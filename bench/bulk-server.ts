/**
 * The mail side of bench:bulk, in its own process so the SMTP server and its delay line use the
 * machine's other core and AlertDesk's memory is measured alone. Forked by bench/bulk.ts; speaks
 * over the IPC channel:
 *   parent → { type: 'start', delayMs, users }   child → { type: 'ready', port }
 *   parent → { type: 'stats', reset }            child → { type: 'stats', ... }
 *   parent → { type: 'close' }                   child exits
 * `port` is the server's (loopback): every reply it writes reaches AlertDesk delayMs late.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { delayReplies, type ReplyDelay, type ReplyDelayStats } from '../test/helpers/reply-delay.ts';

export type ToServer =
  | { type: 'start'; delayMs: number; users: Record<string, string> }
  | { type: 'stats'; reset: boolean }
  | { type: 'close' };

export type FromServer =
  | { type: 'ready'; port: number }
  | {
      type: 'stats';
      delay: ReplyDelayStats;
      received: number;
      receivedBytes: number;
      logins: { ok: number; failed: number };
      /** CPU the mail side spent (µs), to tell a saturated server from a slow client. */
      cpu: { user: number; system: number };
    };

if (!process.send) throw new Error('bench/bulk-server.ts is forked by bench/bulk.ts, not run alone.');
const reply = (message: FromServer) => process.send!(message);

// smtp-server holds every greeting 100 ms to catch clients that talk too soon (and offers no option
// against it): a pause of this test server, not a network round trip, so it is taken out here and
// the greeting, like every other reply, arrives after the delay line's delay alone.
SMTPConnection.prototype.init = function (this: SMTPConnection) {
  this._setListeners(() => this.connectionReady());
};

let users: Record<string, string> = {};
let received = 0;
let receivedBytes = 0;
const logins = { ok: 0, failed: 0 };
let cpuFrom = process.cpuUsage();

const smtp = new SMTPServer({
  secure: false,
  disabledCommands: ['STARTTLS'],
  hideSTARTTLS: true,
  authMethods: ['PLAIN', 'LOGIN'],
  authOptional: false,
  allowInsecureAuth: true,
  size: 10 * 1024 * 1024,
  logger: false,
  // The greeting would otherwise wait for a reverse DNS lookup of 127.0.0.1 (~100 ms here), a
  // delay of this test server that no real provider adds on top of the network round trip.
  disableReverseLookup: true,
  onAuth(auth, _session, callback) {
    // Each camera must arrive with its own app password: a wrong pairing fails the run.
    if (auth.username !== undefined && users[auth.username] === auth.password) {
      logins.ok++;
      callback(null, { user: auth.username });
      return;
    }
    logins.failed++;
    callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
  },
  onData(stream, _session, callback) {
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stream.on('end', () => {
      received++;
      receivedBytes += bytes;
      callback(null, `2.0.0 Ok: queued as B${received}`);
    });
  },
});
// Clients that hang up without QUIT are expected here, not a reason to stop.
smtp.on('error', () => {});

let delay: ReplyDelay | null = null;

// Gone with the benchmark, even when it dies without saying so.
process.on('disconnect', () => process.exit(0));

process.on('message', (message: ToServer) => {
  void (async () => {
    if (message.type === 'start') {
      users = message.users;
      delay = delayReplies(smtp.server, message.delayMs);
      await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
      reply({ type: 'ready', port: (smtp.server.address() as AddressInfo).port });
    } else if (message.type === 'stats') {
      const cpu = process.cpuUsage(cpuFrom);
      reply({ type: 'stats', delay: delay!.stats(), received, receivedBytes, logins: { ...logins }, cpu });
      if (message.reset) {
        delay!.reset();
        received = 0;
        receivedBytes = 0;
        logins.ok = 0;
        logins.failed = 0;
        cpuFrom = process.cpuUsage();
      }
    } else {
      delay?.stop();
      process.exit(0);
    }
  })();
});
