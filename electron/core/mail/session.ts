import type { Socket } from 'node:net';
import tls from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import XOAuth2 from 'nodemailer/lib/xoauth2';
import type { AuthMethod, SecurityMode } from '../../../shared/domain.ts';
import type { RejectedRecipient, SmtpStep, TlsDetails, TranscriptLine } from '../../../shared/delivery.ts';
import type { HostLookup } from '../adapters.ts';
import { capabilitiesOf, extensionsOf, PASSWORD_MECHANISMS, type Capabilities } from './capabilities.ts';
import type { ComposedMessage } from './compose.ts';
import { connectAny, defaultLookup, resolveHost, tlsHandshake } from './connect.ts';
import { scrubFailure, SmtpFailure, toSmtpFailure } from './failure.ts';
import { popBeforeSmtp, type PopTarget } from './pop3.ts';
import { sessionLogger, type SessionHearing } from './session-log.ts';
import { describeTls, tlsOptionsFor, tlsSummary } from './tls.ts';
import { scrubSecrets, secretForms, type Transcript } from './transcript.ts';

export type { Capabilities };
export { defaultLookup, resolveHost };

/**
 * How a session logs in: a connector's method, `any` (the first password mechanism the server
 * advertises: PLAIN, LOGIN, CRAM-MD5 — what verifying an app password uses), or `xoauth2` with an
 * OAuth2 access token (Microsoft 365 and Google accounts signed in with OAuth; `oauth2` carries it).
 */
export type SessionAuth = AuthMethod | 'any' | 'xoauth2';

export interface SmtpTarget {
  host: string;
  port: number;
  security: SecurityMode;
  auth: SessionAuth;
  username: string;
  password: string;
  /** For auth `xoauth2`: the account and a current access token (the OAuth sign-in provides both). */
  oauth2?: { user: string; accessToken: string } | null;
  /**
   * Whether a login may cross the network unencrypted (the connector's explicit, visible switch,
   * off by default). Without it a login happens only over TLS — after STARTTLS when the server
   * offers it, whatever the security mode says.
   */
  allowPlainLogin: boolean;
  trustedCertificatePem: string | null;
  connectTimeoutMs: number;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
  pop: PopTarget | null;
}

export interface SendOutcome {
  accepted: string[];
  rejected: RejectedRecipient[];
  response: string;
  serverMessageId: string | null;
}

/** Whether a target logs in over SMTP (POP-before-SMTP logs in over POP3 instead). */
export const logsIn = (auth: SessionAuth): boolean =>
  auth === 'plain' || auth === 'login' || auth === 'cram-md5' || auth === 'any' || auth === 'xoauth2';

const MECHANISM: Partial<Record<SessionAuth, string>> = {
  plain: 'PLAIN',
  login: 'LOGIN',
  'cram-md5': 'CRAM-MD5',
  xoauth2: 'XOAUTH2',
};

/** How long a session that said QUIT waits for the server's 221 before dropping the connection. */
const QUIT_GRACE_MS = 1000;

/**
 * Runs one nodemailer operation, settling once on its callback or on the connection's 'error'
 * event (nodemailer reports some failures only through the event). An 'end' counts only when
 * nothing else arrives in the same turn: on a 421 nodemailer closes the connection (emitting
 * 'end') first and hands the pending send its real error (the 421 reply) right after.
 */
function operate<T>(
  conn: SMTPConnection,
  stage: () => SmtpStep | null,
  run: (done: (err: unknown, value?: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown, value?: T) => {
      if (settled) return;
      settled = true;
      conn.removeListener('error', onError);
      conn.removeListener('end', onEnd);
      if (err) reject(toSmtpFailure(err, stage()));
      else resolve(value as T);
    };
    const onError = (err: unknown) => finish(err);
    const onEnd = () => {
      const at = stage();
      setImmediate(() =>
        finish(
          new SmtpFailure({ stage: at, code: 'ECONNECTION', message: 'Connection closed unexpectedly' }),
        ),
      );
    };
    conn.on('error', onError);
    conn.once('end', onEnd);
    run(finish);
  });
}

/**
 * One SMTP session. AlertDesk opens DNS, TCP and implicit TLS itself (connect.ts), so every step is
 * timed and the TLS details are known; nodemailer's SMTPConnection then speaks SMTP over that
 * socket — greeting, EHLO (HELO when refused), STARTTLS, AUTH, PIPELINING, SMTPUTF8, 421 handling —
 * and AlertDesk keeps its decisions around it: no login without encryption unless the connector
 * allows it, no message over the server's SIZE, every reply scrubbed of the session's secrets.
 * A session may carry several messages of the same connector and login.
 */
export class SmtpSession {
  readonly openedAt = Date.now();
  messagesSent = 0;
  private broken = false;

  private readonly conn: SMTPConnection;
  private readonly hearing: SessionHearing;
  private readonly secrets: readonly string[];
  readonly tls: TlsDetails | null;
  readonly capabilities: Capabilities;
  /** The opening of the session (connect, TLS, EHLO, AUTH), shown in front of reused attempts. */
  readonly openingLines: TranscriptLine[];

  private constructor(
    conn: SMTPConnection,
    hearing: SessionHearing,
    secrets: readonly string[],
    tls: TlsDetails | null,
    capabilities: Capabilities,
    openingLines: TranscriptLine[],
  ) {
    this.conn = conn;
    this.hearing = hearing;
    this.secrets = secrets;
    this.tls = tls;
    this.capabilities = capabilities;
    this.openingLines = openingLines;
    conn.on('error', () => this.markBroken());
    conn.on('end', () => this.markBroken());
  }

  get usable(): boolean {
    return !this.broken && !this.conn.destroyed;
  }

  /** Told once when the server or the network ends the session (not when AlertDesk does). */
  onBroken: (() => void) | null = null;

  private markBroken(): void {
    if (this.broken) return;
    this.broken = true;
    this.onBroken?.();
  }

  static async open(
    target: SmtpTarget,
    transcript: Transcript,
    lookup: HostLookup = defaultLookup,
  ): Promise<SmtpSession> {
    // (openResolved protects the SMTP login's forms.)
    const popForms = target.pop ? secretForms(target.pop.username, target.pop.password) : [];
    transcript.protect(popForms);

    if (target.auth === 'pop-before-smtp') {
      if (!target.pop)
        throw new SmtpFailure({
          stage: 'pop3',
          local: 'pop3',
          message: 'POP-before-SMTP has no POP3 settings',
        });
      transcript.begin('pop3');
      try {
        await popBeforeSmtp(target.pop, transcript, lookup);
      } catch (error) {
        transcript.close(false);
        throw scrubFailure(toSmtpFailure(error, 'pop3'), popForms);
      }
      transcript.close(true);
    }

    return SmtpSession.openResolved(target, transcript, await resolveHost(target.host, transcript, lookup));
  }

  /** The session after DNS: `addresses` are the server's, as resolveHost found them. */
  static async openResolved(
    target: SmtpTarget,
    transcript: Transcript,
    addresses: string[],
  ): Promise<SmtpSession> {
    const secrets = sessionSecrets(target);
    transcript.protect([...secrets]);
    const failed = (error: unknown, stage: SmtpStep | null) =>
      scrubFailure(toSmtpFailure(error, stage), secrets);

    let socket: Socket = await connectAny(addresses, target.port, target.connectTimeoutMs, transcript);
    const tlsOptions = tlsOptionsFor(target.host, target.trustedCertificatePem);
    let tlsDetails: TlsDetails | null = null;
    if (target.security === 'tls') {
      transcript.begin('tls');
      try {
        socket = await tlsHandshake(socket, tlsOptions, target.greetingTimeoutMs);
      } catch (error) {
        transcript.close(false);
        socket.destroy();
        throw failed(error, 'tls');
      }
      tlsDetails = describeTls(socket as tls.TLSSocket, 'implicit');
      transcript.note(tlsSummary(tlsDetails));
      transcript.close(true);
    }

    const login = logsIn(target.auth);
    const hearing: SessionHearing = { transcript, greeting: null, ehloReply: null, discardedAtStartTls: 0 };
    let conn: SMTPConnection | null = null;
    const logger = sessionLogger(hearing, {
      onStartTls: () => {
        if (target.security === 'none')
          hearing.transcript.note(
            'The server offers STARTTLS and a login is configured: upgrading to TLS, so the login is not sent in clear text',
          );
      },
      onUpgraded: () => {
        const live = conn?._socket;
        if (live instanceof tls.TLSSocket) {
          tlsDetails = describeTls(live, 'starttls');
          hearing.transcript.note(tlsSummary(tlsDetails));
        }
      },
    });
    conn = new SMTPConnection({
      connection: socket,
      secure: target.security === 'tls',
      secured: target.security === 'tls',
      host: target.host,
      port: target.port,
      // STARTTLS when the connector requires it, and — for a login — whenever the server offers it.
      requireTLS: target.security === 'starttls',
      ignoreTLS: target.security === 'none' && !login,
      tls: tlsOptions,
      // The greeting and a STARTTLS upgrade each within the greeting timeout; every reply within
      // the connector's timeout (nodemailer's own defaults are minutes long).
      connectionTimeout: 2 * target.greetingTimeoutMs,
      greetingTimeout: target.greetingTimeoutMs,
      socketTimeout: target.socketTimeoutMs,
      socketCloseTimeout: QUIT_GRACE_MS,
      logger,
      transactionLog: true,
    });
    // Errors between operations end the session; operate() reports those during one.
    conn.on('error', () => {});
    const session = conn;
    const stage = () => hearing.transcript.currentStep();
    const fail = (error: unknown, at: SmtpStep | null) => {
      const failure = failed(error, stage() ?? at);
      transcript.close(false);
      session.close();
      return failure;
    };

    transcript.begin('greeting');
    try {
      await operate<undefined>(session, stage, (done) => session.connect((err) => done(err)));
    } catch (error) {
      const failure = fail(error, 'greeting');
      // nodemailer sends STARTTLS whether or not the server offered it: say which it was
      if (failure.raw.command === 'STARTTLS')
        failure.raw.facts.starttlsOffered = capabilitiesOf(
          '',
          extensionsOf(hearing.ehloReply ?? []),
        ).starttls;
      throw failure;
    }
    if (hearing.discardedAtStartTls > 0) {
      // RFC 3207 §6: nothing received before the handshake may be trusted; nodemailer dropped it.
      // A server does not do that on its own: someone on the path spoke for it. Stop here, before
      // anything is said over a connection that someone else may be steering.
      throw fail(
        new SmtpFailure({
          stage: 'starttls',
          local: 'starttls-injection',
          message: `The server sent ${hearing.discardedAtStartTls} bytes in plain text after agreeing to STARTTLS, before the TLS handshake`,
          facts: { discarded: hearing.discardedAtStartTls },
        }),
        'starttls',
      );
    }
    transcript.close(true);
    const capabilities = scrubCapabilities(
      capabilitiesOf(hearing.greeting ?? '', extensionsOf(hearing.ehloReply ?? [])),
      secrets,
    );

    if (login) {
      transcript.begin('auth');
      try {
        await authenticate(session, target, capabilities, tlsDetails !== null, stage);
      } catch (error) {
        throw fail(error, 'auth');
      }
      transcript.close(true);
    }
    return new SmtpSession(session, hearing, secrets, tlsDetails, capabilities, transcript.lines());
  }

  /** Sends one message; the outcome is the server's verdict on it, nothing less. */
  async send(
    message: Pick<ComposedMessage, 'raw' | 'envelopeFrom' | 'recipients'>,
    transcript: Transcript,
  ): Promise<SendOutcome> {
    this.hearing.transcript = transcript;
    transcript.protect([...this.secrets]);
    const limit = this.capabilities.size;
    if (limit && message.raw.length > limit) {
      throw new SmtpFailure({
        stage: 'envelope',
        local: 'message-too-large',
        message: `The message is ${message.raw.length} bytes; the server accepts at most ${limit}`,
        facts: { size: message.raw.length, limit },
      });
    }
    transcript.begin('envelope');
    try {
      const info = await operate<SMTPConnection.SentMessageInfo>(
        this.conn,
        () => transcript.currentStep(),
        (done) =>
          this.conn.send(
            { from: message.envelopeFrom, to: message.recipients, size: message.raw.length },
            message.raw,
            (err, value) => done(err, value),
          ),
      );
      transcript.close(true);
      this.messagesSent++;
      const s = (text: string) => scrubSecrets(text, this.secrets);
      return {
        accepted: info.accepted,
        rejected: info.rejected.map((address, i) => ({
          address,
          reply: s(info.rejectedErrors?.[i]?.response ?? 'rejected'),
        })),
        response: s(info.response),
        serverMessageId: info.serverMessageId ?? null,
      };
    } catch (error) {
      const at = transcript.currentStep() ?? 'envelope';
      transcript.close(false);
      this.broken = true;
      this.conn.close();
      throw scrubFailure(toSmtpFailure(error, at), this.secrets);
    }
  }

  /** Says QUIT; the 221 is not waited for (the connection goes after a short grace either way). */
  quit(): void {
    this.broken = true;
    if (this.conn.destroyed) return;
    try {
      this.conn.quit();
    } catch {
      this.conn.close();
      return;
    }
    setTimeout(() => this.conn.close(), QUIT_GRACE_MS).unref();
  }

  close(): void {
    this.broken = true;
    this.conn.close();
  }
}

/**
 * The login, as AlertDesk decides it before nodemailer says a word of it: the server must offer
 * AUTH and the method (a password mechanism it advertises for `any`), the connection must be
 * encrypted unless the connector allows otherwise, and there must be a secret to send.
 */
async function authenticate(
  conn: SMTPConnection,
  target: SmtpTarget,
  capabilities: Capabilities,
  encrypted: boolean,
  stage: () => SmtpStep | null,
): Promise<void> {
  const refuse = (raw: Omit<ConstructorParameters<typeof SmtpFailure>[0], 'stage'>) =>
    new SmtpFailure({ stage: 'auth', ...raw });
  const offered = capabilities.authMechanisms;
  if (offered.length === 0) {
    throw refuse({
      local: 'auth-not-offered',
      message: 'Credentials are configured but the server offers no AUTH',
      facts: { encrypted, starttlsOffered: capabilities.starttls },
    });
  }
  const mechanism =
    target.auth === 'any' ? PASSWORD_MECHANISMS.find((m) => offered.includes(m)) : MECHANISM[target.auth];
  if (!mechanism || !offered.includes(mechanism)) {
    throw refuse({
      local: 'auth-mechanism-unsupported',
      message: `The server does not offer AUTH ${mechanism ?? PASSWORD_MECHANISMS.join(', ')}`,
      facts: { mechanism: mechanism ?? PASSWORD_MECHANISMS.join(' or '), offered: offered.join(' ') },
    });
  }
  if (!encrypted && !target.allowPlainLogin) {
    throw refuse({
      local: 'login-not-encrypted',
      message: 'The login would cross the network unencrypted',
      facts: { starttlsOffered: capabilities.starttls },
    });
  }
  const oauth2 = target.auth === 'xoauth2' ? (target.oauth2 ?? null) : null;
  if (target.auth === 'xoauth2' ? !oauth2?.accessToken : !target.password) {
    throw refuse(
      target.auth === 'xoauth2'
        ? { local: 'missing-token', message: 'No OAuth2 access token for this login' }
        : { local: 'missing-password', message: 'No password is stored for this login' },
    );
  }
  await operate<boolean>(conn, stage, (done) =>
    conn.login(
      oauth2
        ? {
            type: 'OAuth2',
            user: oauth2.user,
            method: 'XOAUTH2',
            oauth2: new XOAuth2({ user: oauth2.user, accessToken: oauth2.accessToken }),
          }
        : { user: target.username, pass: target.password, method: mechanism },
      (err, ok) => done(err, ok),
    ),
  );
}

/** Every form of the secrets a target may send, to keep them out of transcripts and reports. */
function sessionSecrets(target: SmtpTarget): string[] {
  const forms = [
    ...secretForms(target.username, target.password),
    ...(target.oauth2 ? secretForms(target.oauth2.user, target.oauth2.accessToken) : []),
    ...(target.pop ? secretForms(target.pop.username, target.pop.password) : []),
  ];
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

function scrubCapabilities(c: Capabilities, forms: readonly string[]): Capabilities {
  const s = (text: string) => scrubSecrets(text, forms);
  return { ...c, greeting: s(c.greeting), extensions: c.extensions.map(s) };
}
