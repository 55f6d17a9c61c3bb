import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import PostalMime, { type Email } from 'postal-mime';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { TestCertificate } from './certs.ts';

export interface ReceivedMessage {
  from: string;
  to: string[];
  user: string | undefined;
  raw: Buffer;
  parsed: Email;
  secure: boolean;
}

export interface TestSmtpServer {
  port: number;
  received: ReceivedMessage[];
  /** Authentications seen: method and user, whether they succeeded. */
  logins: Array<{ method: string; user: string; ok: boolean }>;
  /** Errors the server reported (clients hanging up during TLS, …). */
  errors: Error[];
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  mode: 'tls' | 'starttls' | 'none';
  cert?: TestCertificate;
  authMethods?: Array<'PLAIN' | 'LOGIN' | 'CRAM-MD5'>;
  /** Accepted logins; when absent the server offers no AUTH at all. */
  users?: Record<string, string>;
  /** Holds the reply to each message's DATA back this long (a slow provider). */
  dataDelayMs?: number;
  /** Extra smtp-server options (hooks that misbehave on purpose). */
  extra?: Partial<SMTPServerOptions>;
}

/** nodemailer's smtp-server on a free loopback port, configured for one test scenario. */
export async function startSmtpServer(options: TestSmtpOptions): Promise<TestSmtpServer> {
  const received: ReceivedMessage[] = [];
  const logins: TestSmtpServer['logins'] = [];
  const errors: Error[] = [];
  const users = options.users;
  const server = new SMTPServer({
    secure: options.mode === 'tls',
    ...(options.cert ? { key: options.cert.key, cert: options.cert.cert } : {}),
    disabledCommands: [...(options.mode === 'none' ? ['STARTTLS'] : []), ...(users ? [] : ['AUTH'])],
    authMethods: options.authMethods ?? ['PLAIN', 'LOGIN', 'CRAM-MD5'],
    allowInsecureAuth: true,
    hideSTARTTLS: options.mode !== 'starttls',
    size: 10 * 1024 * 1024,
    logger: false,
    onAuth(auth, _session, callback) {
      const expected = users?.[auth.username ?? ''];
      const ok =
        expected !== undefined &&
        (auth.method === 'CRAM-MD5' ? auth.validatePassword(expected) : auth.password === expected);
      logins.push({ method: auth.method, user: auth.username ?? '', ok });
      if (!ok) {
        const err = new Error('5.7.8 Authentication credentials invalid') as Error & { responseCode: number };
        err.responseCode = 535;
        callback(err);
        return;
      }
      callback(null, { user: auth.username });
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        void PostalMime.parse(raw).then((parsed) => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            raw,
            parsed,
            secure: session.secure,
          });
          const reply = `2.0.0 Ok: queued as ${createHash('sha1').update(raw).digest('hex').slice(0, 10)}`;
          if (options.dataDelayMs) setTimeout(() => callback(null, reply), options.dataDelayMs);
          else callback(null, reply);
        }, callback);
      });
    },
    ...options.extra,
  });
  // A client that gives up mid-handshake is an expected event in these tests, not a crash.
  server.on('error', (error) => errors.push(error));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    logins,
    errors,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
