import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify, type ClassifyContext } from '../../electron/core/mail/classify.ts';
import { SmtpFailure, toSmtpFailure } from '../../electron/core/mail/failure.ts';
import { SmtpSession, type SmtpTarget } from '../../electron/core/mail/session.ts';
import { Transcript } from '../../electron/core/mail/transcript.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

/**
 * The session layer's XOAUTH2 login, the hook the OAuth sign-in (issue 14) wires to: a target with
 * auth 'xoauth2' and { user, accessToken }, sent through nodemailer's XOAUTH2, redacted in the
 * transcript, and a refused token classified as oauth-token-rejected.
 */

const USER = 'alerts@contoso.test';
const TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.alertdesk-access-token.c2lnbmF0dXJl';
let cert: TestCertificate;
let server: TestSmtpServer;
const seen: Array<{ method: string; username: string | undefined; accessToken: string | undefined }> = [];

beforeAll(async () => {
  cert = makeCertificate();
  server = await startSmtpServer({
    mode: 'starttls',
    cert,
    users: {},
    extra: {
      authMethods: ['XOAUTH2', 'LOGIN'],
      onAuth(auth, _session, callback) {
        seen.push({ method: auth.method, username: auth.username, accessToken: auth.accessToken });
        if (auth.method === 'XOAUTH2' && auth.username === USER && auth.accessToken === TOKEN)
          return callback(null, { user: USER });
        // what Google answers for a bad token: a 334 with the error, then 535 after the client's empty line
        callback(null, {
          data: { status: '401', schemes: 'bearer', scope: 'https://outlook.office.com/SMTP.Send' },
        });
      },
    },
  });
});
afterAll(() => server.close());

const target = (accessToken: string | null, extra: Partial<SmtpTarget> = {}): SmtpTarget => ({
  host: '127.0.0.1',
  port: server.port,
  security: 'starttls',
  auth: 'xoauth2',
  username: USER,
  password: '',
  oauth2: accessToken === null ? null : { user: USER, accessToken },
  allowPlainLogin: false,
  trustedCertificatePem: cert.cert,
  connectTimeoutMs: 5000,
  greetingTimeoutMs: 5000,
  socketTimeoutMs: 5000,
  pop: null,
  ...extra,
});

const ctx: ClassifyContext = {
  host: '127.0.0.1',
  port: 587,
  security: 'starttls',
  auth: 'xoauth2',
  username: USER,
  sender: USER,
};

const everything = (t: Transcript) =>
  t
    .lines()
    .map((l) => l.text)
    .join('\n');
const tokenForms = [
  TOKEN,
  Buffer.from(TOKEN).toString('base64'),
  Buffer.from(`user=${USER}\x01auth=Bearer ${TOKEN}\x01\x01`).toString('base64'),
];

describe('XOAUTH2 login', () => {
  it('logs in with the access token, sends, and keeps the token out of the transcript', async () => {
    seen.length = 0;
    const transcript = new Transcript();
    const session = await SmtpSession.open(target(TOKEN), transcript);
    expect(seen).toEqual([{ method: 'XOAUTH2', username: USER, accessToken: TOKEN }]);
    const sent = await session.send(
      {
        raw: Buffer.from('Subject: oauth\r\n\r\nx\r\n'),
        envelopeFrom: USER,
        recipients: ['ops@example.test'],
      },
      transcript,
    );
    session.quit();
    expect(sent.response).toMatch(/^250 /);
    expect(server.received.at(-1)?.user).toBe(USER);
    const text = everything(transcript);
    expect(text).toMatch(/^AUTH XOAUTH2 \/\* redacted \*\/$/m);
    for (const form of tokenForms) expect(text.includes(form)).toBe(false);
    expect(transcript.timings().map((s) => s.step)).toContain('auth');
  });

  it('classifies a refused token as oauth-token-rejected ("sign in again"), without the token anywhere', async () => {
    const transcript = new Transcript();
    const error = await SmtpSession.open(target('expired-token-0000'), transcript).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmtpFailure);
    const raw = (error as SmtpFailure).raw;
    expect(raw).toMatchObject({ code: 'EAUTH', command: 'AUTH XOAUTH2', responseCode: 535, stage: 'auth' });
    const verdict = classify(raw, ctx);
    expect(verdict.class).toBe('oauth-token-rejected');
    expect(verdict.retryable).toBe(false);
    expect(verdict.fix).toMatch(/sign in again/i);
    // the server's 334 challenge with its error is in the transcript, the token is not
    expect(transcript.lines().some((l) => l.dir === 's' && /^334 /.test(l.text))).toBe(true);
    expect(everything(transcript).includes('expired-token-0000')).toBe(false);
    expect(JSON.stringify(raw).includes('expired-token-0000')).toBe(false);
  });

  it('does not log in without a token, and says to sign in', async () => {
    const error = await SmtpSession.open(target(null), new Transcript()).catch((e: unknown) => e);
    const raw = toSmtpFailure(error, null).raw;
    expect(raw.local).toBe('missing-token');
    expect(classify(raw, ctx).class).toBe('oauth-token-rejected');
  });

  it('says so when the server does not offer XOAUTH2', async () => {
    const plain = await startSmtpServer({
      mode: 'starttls',
      cert,
      users: { [USER]: 'x' },
      authMethods: ['LOGIN'],
    });
    try {
      const error = await SmtpSession.open(target(TOKEN, { port: plain.port }), new Transcript()).catch(
        (e: unknown) => e,
      );
      const raw = toSmtpFailure(error, null).raw;
      expect(raw).toMatchObject({ local: 'auth-mechanism-unsupported', facts: { mechanism: 'XOAUTH2' } });
      expect(plain.logins).toHaveLength(0);
    } finally {
      await plain.close();
    }
  });

  it('reads a 535 to AUTH XOAUTH2 as a refused token whatever the connector says', () => {
    const raw = new SmtpFailure({
      stage: 'auth',
      code: 'EAUTH',
      command: 'AUTH XOAUTH2',
      responseCode: 535,
      response: '535 5.7.3 Authentication unsuccessful [SN4PR0601CA0003.namprd06.prod.outlook.com]',
      message: 'Invalid login',
    }).raw;
    expect(classify(raw, { ...ctx, auth: 'login' }).class).toBe('oauth-token-rejected');
  });
});
