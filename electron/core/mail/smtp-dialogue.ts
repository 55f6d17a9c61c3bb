import { createHmac } from 'node:crypto';
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import tls from 'node:tls';

/**
 * The SMTP dialogue of a session (RFC 5321 with PIPELINING, SIZE, SMTPUTF8, STARTTLS and AUTH
 * PLAIN/LOGIN/CRAM-MD5), over a socket AlertDesk opened itself (session.ts does DNS, TCP and
 * implicit TLS, so every step is timed and the TLS details are known).
 *
 * It replaces nodemailer's SMTPConnection, which cost about twice the CPU per session (streams,
 * an Error with a stack for every phase, a formatted log call per line) — the larger part of what
 * a 1,000-camera handover run spends. Its failures keep SMTPConnection's shape (code EAUTH,
 * EENVELOPE, EMESSAGE, EPROTOCOL, ETLS, ESOCKET with the system code as originalCode, ETIMEDOUT
 * with timeoutType, ECONNECTION; command; response; responseCode) and its decisions (HELO after a
 * refused EHLO, STARTTLS whenever the connector requires it, the envelope verdicts of a pipelined
 * or a step-by-step transaction, 421 ends the session), so classify.ts reads them as before.
 */

export interface Reply {
  code: number;
  /** The whole reply, its lines joined by '\n', each with its code, as the server sent it. */
  text: string;
}

/** Where the dialogue writes what it says and hears; AUTH payloads arrive already masked. */
export interface DialogueLog {
  client(line: string): void;
  server(line: string): void;
  note(text: string): void;
}

export interface SmtpError extends Error {
  code: string;
  command?: string;
  response?: string;
  responseCode?: number;
  originalCode?: string;
  timeoutType?: string;
  recipient?: string;
}

export interface Envelope {
  from: string;
  to: string[];
  size: number;
}

export interface Delivered {
  accepted: string[];
  rejected: string[];
  rejectedErrors: SmtpError[];
  response: string;
  serverMessageId: string | null;
}

/** The longest reply (or unterminated line) kept before the server is taken for broken. */
const MAX_RESPONSE = 1024 * 1024;
/** How long a closed dialogue waits for the server to close its side before dropping the socket. */
const CLOSE_GRACE_MS = 1000;

/** An error in SMTPConnection's shape: the reply, when there is one, is appended to the message. */
export function smtpError(
  message: string | Error,
  code: string,
  response?: string | null,
  command?: string,
): SmtpError {
  const err = (typeof message === 'string' ? new Error(message) : message) as SmtpError;
  const previous = (err as Partial<SmtpError>).code;
  if (previous && previous !== code && !err.originalCode) err.originalCode = previous;
  err.code = code;
  if (response) {
    err.response = response;
    err.message += `: ${response}`;
    const responseCode = Number(/^\d+/.exec(response)?.[0] ?? 0);
    if (responseCode) err.responseCode = responseCode;
  }
  if (command) err.command = command;
  return err;
}

const timeoutError = (message: string, timeoutType: string) =>
  Object.assign(smtpError(message, 'ETIMEDOUT', null, 'CONN'), { timeoutType });

/**
 * The name the client gives in EHLO: this computer's name when it is a fully qualified one,
 * otherwise an address literal (as nodemailer does; servers only check its syntax).
 */
export const EHLO_NAME = (() => {
  let name: string;
  try {
    name = hostname();
  } catch {
    name = '';
  }
  if (!name.includes('.')) return '[127.0.0.1]';
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) ? `[${name}]` : name.replace(/[\r\n]+/g, '');
})();

/** The reply code a line starts with (three digits), or 0. */
function codeOf(line: string): number {
  const a = line.charCodeAt(0) - 48;
  const b = line.charCodeAt(1) - 48;
  const c = line.charCodeAt(2) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9 ? a * 100 + b * 10 + c : 0;
}

/** Replies are read as bytes; a line that is valid UTF-8 is shown as such, any other kept byte for byte. */
function decode(bytes: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(bytes)) return bytes;
  const utf8 = Buffer.from(bytes, 'latin1').toString('utf8');
  return utf8.includes('\uFFFD') ? bytes : utf8;
}

/**
 * Message data as it goes on the wire after DATA: line ends made CRLF (a bare CR or LF too, so no
 * "\r.\r" can end the data early), dots at the start of a line doubled, and the ending
 * CRLF "." CRLF — byte for byte what nodemailer's DataStream writes.
 */
export function dataFor(raw: Buffer): Buffer {
  const last = raw.length ? raw[raw.length - 1] : -1;
  const end = last === 0x0a ? '.\r\n' : last === 0x0d ? '\n.\r\n' : '\r\n.\r\n';
  if (isCleanData(raw)) return Buffer.concat([raw, Buffer.from(end, 'latin1')]);
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    const prev = i > 0 ? raw[i - 1]! : -1;
    let insert: string | null = null;
    if (prev === 0x0d && byte !== 0x0a) insert = byte === 0x2e ? '\n.' : '\n';
    else if (byte === 0x0a && prev !== 0x0d) insert = '\r';
    else if (byte === 0x2e && (prev === 0x0a || prev === -1)) insert = '.';
    if (insert !== null) {
      parts.push(raw.subarray(from, i), Buffer.from(insert, 'latin1'));
      from = i;
    }
  }
  if (parts.length === 0) return Buffer.concat([raw, Buffer.from(end, 'latin1')]);
  parts.push(raw.subarray(from), Buffer.from(end, 'latin1'));
  return Buffer.concat(parts);
}

/**
 * Whether `raw` goes on the wire as it is: every line break CRLF and no line starting with a dot
 * (what the composer writes). Found with indexOf, not a look at every byte.
 */
function isCleanData(raw: Buffer): boolean {
  if (raw[0] === 0x2e) return false;
  for (let lf = raw.indexOf(0x0a); lf >= 0; lf = raw.indexOf(0x0a, lf + 1))
    if (lf === 0 || raw[lf - 1] !== 0x0d || raw[lf + 1] === 0x2e) return false;
  for (let cr = raw.indexOf(0x0d); cr >= 0; cr = raw.indexOf(0x0d, cr + 1))
    if (raw[cr + 1] !== 0x0a && cr !== raw.length - 1) return false;
  return true;
}

// The Message-ID some providers give a message in their final reply (as nodemailer reads it).
const OUTLOOK_REPLY = /^250 2\.0\.0 OK (<[^<>\s]+\.prod\.outlook\.com>)/i;
const SES_REPLY = /^250 Ok ([0-9a-f]+(?:-[0-9a-f]+)+)$/i;

/** The Message-ID a receiving server gave the message (Microsoft 365, Amazon SES), if its reply names one. */
export function serverMessageIdOf(response: string, host: string): string | null {
  const reply = response.trim();
  const outlook = OUTLOOK_REPLY.exec(reply);
  if (outlook) return outlook[1]!;
  const ses = SES_REPLY.exec(reply);
  if (!ses) return null;
  const labels = host.toLowerCase().replace(/\.$/, '').split('.');
  const domain = labels.slice(-2).join('.');
  if (domain !== 'amazonaws.com' && domain !== 'awsapps.com') return null;
  const region = labels.slice(0, -2).find((l) => /^[a-z]{2}(?:-[a-z]+)+-\d+$/.test(l));
  if (!region) return null;
  return `<${ses[1]!.toLowerCase()}@${region === 'us-east-1' ? 'email' : region}.amazonses.com>`;
}

const QUIT_LINE = Buffer.from('QUIT\r\n', 'latin1');

type Waiter = { resolve: (reply: Reply) => void; reject: (error: SmtpError) => void };

/** What the server offered (EHLO) that shapes a transaction, and its host name (for Message-IDs in replies). */
export interface ServerFacts {
  pipelining: boolean;
  smtputf8: boolean;
  size: boolean;
  host: string;
}

export interface DialogueOptions {
  log: DialogueLog;
  /** Inactivity allowed while a reply is awaited. */
  socketTimeoutMs: number;
  greetingTimeoutMs: number;
}

export class SmtpDialogue {
  private socket: Socket;
  private readonly log: DialogueLog;
  private readonly socketTimeoutMs: number;
  private readonly waiters: Waiter[] = [];
  /** The unterminated line received so far (bytes as latin1). */
  private rest = '';
  /** Lines of a multi-line reply still being received. */
  private partial: string[] = [];
  private failure: SmtpError | null = null;
  private closing = false;
  /** QUIT went along with the last message: the 221 that follows its verdict is only logged. */
  private quitSent = false;
  private ended = false;
  private upgrading = false;
  private greetingTimer: NodeJS.Timeout | null;
  /** Told once the connection is over, however it ended. */
  onEnd: (() => void) | null = null;

  constructor(socket: Socket, options: DialogueOptions) {
    this.socket = socket;
    this.log = options.log;
    this.socketTimeoutMs = options.socketTimeoutMs;
    this.attach(socket);
    this.greetingTimer = setTimeout(
      () => this.fail(timeoutError('Greeting never received', 'GREETING_TIMEOUT')),
      options.greetingTimeoutMs,
    );
  }

  get usable(): boolean {
    return !this.failure && !this.closing && !this.ended;
  }

  private readonly onData = (chunk: Buffer) => {
    const data = this.rest ? this.rest + chunk.toString('latin1') : chunk.toString('latin1');
    let from = 0;
    for (let nl = data.indexOf('\n'); nl >= 0 && !this.failure; nl = data.indexOf('\n', from)) {
      this.onLine(data.slice(from, nl > from && data.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      from = nl + 1;
    }
    this.rest = from === 0 ? data : data.slice(from);
    if (this.rest.length > MAX_RESPONSE) this.tooLarge();
  };

  /** One line of a reply: "250-…" continues it, "250 …" (or a bare "250") ends it. */
  private onLine(raw: string): void {
    if (!raw && this.partial.length === 0) return;
    const line = decode(raw);
    if (line.length > 3 && line.charCodeAt(3) === 45 && codeOf(line)) {
      this.partial.push(line);
      if (this.partial.length > 1000) this.tooLarge();
      return;
    }
    let text = line;
    if (this.partial.length) {
      this.partial.push(line);
      for (const l of this.partial) this.log.server(l);
      text = this.partial.join('\n');
      this.partial = [];
    } else this.log.server(line);
    this.onReply({ code: codeOf(text), text });
  }

  private readonly onError = (error: Error) => this.fail(smtpError(error, 'ESOCKET', null, 'CONN'));
  private readonly onTimeout = () => this.fail(timeoutError('Timeout', 'SOCKET_TIMEOUT'));
  private readonly onRemoteEnd = () => {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.end();
  };
  private readonly onClose = () => {
    if (this.ended) return;
    const last = this.rest.trim() ? decode(this.rest.trim()) : '';
    if (last) this.log.server(last);
    this.rest = '';
    const failureReply = /^[45]\d{2}[ -]/.test(last) ? last : null;
    if (this.upgrading) this.fail(smtpError('Connection closed unexpectedly', 'ETLS', failureReply, 'CONN'));
    else if (this.waiters.length || failureReply)
      this.fail(smtpError('Connection closed unexpectedly', 'ECONNECTION', failureReply, 'CONN'));
    else if (!this.closing && !this.failure) this.log.note('Server closed the idle connection');
    this.finish();
  };

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('timeout', this.onTimeout);
    socket.once('end', this.onRemoteEnd);
    socket.once('close', this.onClose);
    socket.setTimeout(this.socketTimeoutMs);
  }

  private detach(socket: Socket): void {
    socket.removeListener('data', this.onData);
    socket.removeListener('error', this.onError);
    socket.removeListener('timeout', this.onTimeout);
    socket.removeListener('end', this.onRemoteEnd);
    socket.removeListener('close', this.onClose);
    socket.setTimeout(0);
  }

  private tooLarge(): void {
    this.rest = '';
    this.partial = [];
    this.fail(smtpError('Server response exceeds maximum allowed size', 'EPROTOCOL', null, 'CONN'));
  }

  private onReply(reply: Reply): void {
    // After QUIT (or while closing) whatever the server still says is only logged.
    if (this.closing || (this.quitSent && this.waiters.length === 0)) return;
    const waiter = this.waiters.shift();
    const closing = reply.code === 421;
    if (waiter) {
      waiter.resolve(reply);
      // RFC 5321 4.2: 421 means the server closes the connection, whatever it answered: replies to
      // commands sent along with the answered one are not coming.
      if (closing) this.fail(smtpError('Server closed the connection', 'ECONNECTION', reply.text, 'CONN'));
    } else if (closing) {
      this.log.note(`Server closed the idle connection: ${reply.text}`);
      this.close();
    } else {
      this.fail(smtpError('Unexpected Response', 'EPROTOCOL', reply.text, 'CONN'));
    }
  }

  /** Ends the dialogue with `error`: every reply still awaited fails with it, the socket goes. */
  private fail(error: SmtpError): void {
    if (this.greetingTimer) clearTimeout(this.greetingTimer);
    this.greetingTimer = null;
    if (this.failure || this.ended) return;
    this.failure = error;
    if (!this.closing) this.log.note(error.message);
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    this.close();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.greetingTimer) clearTimeout(this.greetingTimer);
    this.greetingTimer = null;
    this.detach(this.socket);
    this.socket.on('error', () => {});
    for (const waiter of this.waiters.splice(0))
      waiter.reject(this.failure ?? smtpError('Connection closed', 'ECONNECTION', null, 'CONN'));
    this.onEnd?.();
  }

  /** Sends `lines` in one write (a pipelined group, or a single command) and logs each; nothing once the dialogue is over. */
  private write(lines: string[], logged: string[] = lines): void {
    if (this.failure || this.closing) return;
    for (const line of logged) this.log.client(line);
    this.socket.write(`${lines.join('\r\n')}\r\n`, 'utf8');
  }

  private next(): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended || this.closing)
      return Promise.reject(smtpError('The connection is closed', 'ECONNECTION', null, 'API'));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private command(line: string, logged?: string): Promise<Reply> {
    const reply = this.next();
    this.write([line], logged === undefined ? undefined : [logged]);
    return reply;
  }

  /** The server's greeting (220), within the greeting timeout. */
  async greeting(): Promise<Reply> {
    const reply = await this.next();
    if (this.greetingTimer) clearTimeout(this.greetingTimer);
    this.greetingTimer = null;
    if (reply.code !== 220)
      throw this.failWith(
        smtpError(`Invalid greeting. response=${reply.text}`, 'EPROTOCOL', reply.text, 'CONN'),
      );
    return reply;
  }

  /**
   * EHLO, or HELO when the server refuses EHLO (not when STARTTLS is required: HELO cannot offer it).
   * Returns the reply's extension lines (empty after HELO).
   */
  async hello(requireTls: boolean): Promise<{ reply: Reply; extensions: string[] }> {
    const reply = await this.command(`EHLO ${EHLO_NAME}`);
    if (reply.code === 421)
      throw smtpError(
        `Server terminates connection. response=${reply.text}`,
        'ECONNECTION',
        reply.text,
        'EHLO',
      );
    if (reply.text[0] === '2') {
      const extensions = reply.text
        .split('\n')
        .map((l) => l.replace(/^\d+[ -]/, '').trim())
        .filter(Boolean)
        .slice(1);
      return { reply, extensions };
    }
    if (requireTls)
      throw this.failWith(
        smtpError(
          `EHLO failed but HELO does not support required STARTTLS. response=${reply.text}`,
          'ECONNECTION',
          reply.text,
          'EHLO',
        ),
      );
    const helo = await this.command(`HELO ${EHLO_NAME}`);
    if (helo.text[0] !== '2')
      throw this.failWith(smtpError(`Invalid HELO. response=${helo.text}`, 'EPROTOCOL', helo.text, 'HELO'));
    return { reply: helo, extensions: [] };
  }

  /**
   * STARTTLS, then the TLS handshake over the same connection (within `timeoutMs`). Whatever the
   * server sent in plain text after its 220 is discarded (RFC 3207 §6).
   */
  async startTls(options: tls.ConnectionOptions, timeoutMs: number): Promise<tls.TLSSocket> {
    const reply = await this.command('STARTTLS');
    if (reply.text[0] !== '2')
      throw this.failWith(
        smtpError('Error upgrading connection with STARTTLS', 'ETLS', reply.text, 'STARTTLS'),
      );
    const plain = this.socket;
    const discarded = this.rest.length + this.partial.join('\n').length;
    if (discarded)
      this.log.note(`Discarded ${discarded} bytes received in plaintext after the STARTTLS response`);
    this.rest = '';
    this.partial = [];
    this.detach(plain);
    this.upgrading = true;
    return new Promise<tls.TLSSocket>((resolve, reject) => {
      let secure: tls.TLSSocket;
      const timer = setTimeout(() => {
        const error = timeoutError('TLS handshake timed out', 'UPGRADE_TIMEOUT');
        reject(error);
        this.fail(error);
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: () => {},
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      // A failure of the handshake reaches the waiter like any other.
      this.waiters.push(waiter);
      try {
        secure = tls.connect({ ...options, socket: plain }, () => {
          clearTimeout(timer);
          this.upgrading = false;
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          plain.removeListener('close', this.onClose);
          // The TLS socket reports what happens to the connection from now on.
          plain.removeListener('error', this.onError);
          plain.on('error', () => {});
          this.log.note('Connection upgraded with STARTTLS');
          resolve(secure);
        });
      } catch (error) {
        clearTimeout(timer);
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        const failure = smtpError(
          `Error initiating TLS - ${(error as Error).message}`,
          'ETLS',
          null,
          'STARTTLS',
        );
        reject(failure);
        this.fail(failure);
        return;
      }
      this.socket = secure;
      this.attach(secure);
      // During the handshake the plain socket still tells when the connection fails or goes.
      plain.on('error', this.onError);
      plain.once('close', this.onClose);
    });
  }

  /** Logs in; resolves on 235, fails with EAUTH (and the server's reply) otherwise. */
  async login(mechanism: 'PLAIN' | 'LOGIN' | 'CRAM-MD5', user: string, pass: string): Promise<void> {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    const refused = (message: string, reply: Reply) =>
      smtpError(message, 'EAUTH', reply.text, `AUTH ${mechanism}`);
    let reply: Reply;
    if (mechanism === 'PLAIN') {
      reply = await this.command(`AUTH PLAIN ${b64(`\0${user}\0${pass}`)}`, 'AUTH PLAIN /* secret */');
    } else if (mechanism === 'LOGIN') {
      reply = await this.command('AUTH LOGIN');
      if (!/^334[ -]/.test(reply.text))
        throw refused('Invalid login sequence while waiting for "334 VXNlcm5hbWU6"', reply);
      reply = await this.command(b64(user));
      if (!/^334[ -]/.test(reply.text))
        throw refused('Invalid login sequence while waiting for "334 UGFzc3dvcmQ6"', reply);
      reply = await this.command(b64(pass), '/* secret */');
    } else {
      reply = await this.command('AUTH CRAM-MD5');
      const challenge = /^334\s+(.+)$/.exec(reply.text);
      if (!challenge)
        throw refused('Invalid login sequence while waiting for server challenge string', reply);
      const digest = createHmac('md5', pass)
        .update(Buffer.from(challenge[1]!, 'base64').toString('ascii'))
        .digest('hex');
      reply = await this.command(b64(`${user} ${digest}`), '/* secret */');
      if (!/^235\s+/.test(reply.text)) throw refused('Invalid login sequence while waiting for "235"', reply);
      return;
    }
    // A server that wants more (334) gets an empty line, once: it then answers yes or no.
    if (reply.code === 334) reply = await this.command('');
    if (reply.text[0] !== '2') throw refused('Invalid login', reply);
  }

  /**
   * One message: the envelope (pipelined when the server offers PIPELINING), DATA, the message
   * data in one write, and the server's verdict. Recipients the server refuses are reported;
   * when it refuses them all, or the sender, the message fails with EENVELOPE.
   */
  async send(
    envelope: Envelope,
    raw: Buffer,
    server: ServerFacts,
    options: { thenQuit?: boolean } = {},
  ): Promise<Delivered> {
    const from = envelope.from.trim();
    const to = envelope.to.map((r) => r.trim());
    if (to.length === 0) throw smtpError('No recipients defined', 'EENVELOPE', null, 'API');
    if (/[\r\n<>]/.test(from))
      throw smtpError(`Invalid sender ${JSON.stringify(from)}`, 'EENVELOPE', null, 'API');
    for (const r of to)
      if (!r || /[\r\n<>]/.test(r))
        throw smtpError(`Invalid recipient ${JSON.stringify(r)}`, 'EENVELOPE', null, 'API');
    // An internationalized address goes with SMTPUTF8 when the server offers it.
    const utf8 = server.smtputf8 && [from, ...to].some((a) => /[\x80-\uFFFF]/.test(a));
    const params: string[] = [];
    if (utf8) params.push('SMTPUTF8');
    if (envelope.size > 0 && server.size) params.push(`SIZE=${envelope.size}`);
    const mailFrom = `MAIL FROM:<${from}>${params.length ? ` ${params.join(' ')}` : ''}`;

    let mailError: SmtpError | null = null;
    const accepted: string[] = [];
    const rejected: string[] = [];
    const rejectedErrors: SmtpError[] = [];
    const onMail = (reply: Reply) => {
      if (reply.text[0] === '2') return;
      const message =
        utf8 && /^550 /.test(reply.text) && /[\x80-\uFFFF]/.test(from)
          ? 'Internationalized mailbox name not allowed'
          : 'Mail command failed';
      mailError = smtpError(message, 'EENVELOPE', reply.text, 'MAIL FROM');
    };
    const onRcpt = (recipient: string, reply: Reply) => {
      if (reply.text[0] === '2') {
        accepted.push(recipient);
        return;
      }
      const message =
        utf8 && /^553 /.test(reply.text) && /[\x80-\uFFFF]/.test(recipient)
          ? 'Internationalized mailbox name not allowed'
          : 'Recipient command failed';
      rejected.push(recipient);
      rejectedErrors.push(
        Object.assign(smtpError(message, 'EENVELOPE', reply.text, 'RCPT TO'), { recipient }),
      );
    };
    /** Once every reply to MAIL and RCPT is in: the error that ends the message, or null. */
    const envelopeError = (reply: Reply, pipelined: boolean): SmtpError | null => {
      if (mailError) return mailError;
      if (accepted.length) return null;
      const deferred = rejectedErrors.find((e) => e.responseCode && e.responseCode < 500);
      const last = rejectedErrors.at(-1);
      const text = deferred?.response ?? (pipelined && last ? last.response : reply.text);
      return Object.assign(
        smtpError("Can't send mail - all recipients were rejected", 'EENVELOPE', text, 'RCPT TO'),
        { rejected, rejectedErrors },
      );
    };

    let dataReply: Reply;
    if (server.pipelining) {
      // RFC 2920: the whole envelope and DATA in one group, the replies read in order.
      const replies = [this.next(), ...to.map(() => this.next()), this.next()];
      this.write([mailFrom, ...to.map((r) => `RCPT TO:<${r}>`), 'DATA']);
      // A 421 (or a dropped connection) fails the replies after it; the sender's refusal comes first.
      const settled = await Promise.allSettled(replies);
      settled.forEach((s, i) => {
        if (s.status !== 'fulfilled' || i === settled.length - 1) return;
        if (i === 0) onMail(s.value);
        else onRcpt(to[i - 1]!, s.value);
      });
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw mailError ?? (failed as PromiseRejectedResult).reason;
      dataReply = (settled.at(-1) as PromiseFulfilledResult<Reply>).value;
      const error = envelopeError(dataReply, true);
      if (error) {
        if (dataReply.text[0] === '3') {
          if (mailError) {
            // A server that refused the sender but takes DATA cannot be trusted with an empty message.
            this.close();
            throw error;
          }
          // It took DATA with nobody to deliver to: end the empty message, the session stays usable.
          await this.command('.');
        }
        throw error;
      }
    } else {
      const mail = await this.command(mailFrom);
      onMail(mail);
      if (mailError) throw mailError;
      let last = mail;
      for (const recipient of to) {
        last = await this.command(`RCPT TO:<${recipient}>`);
        onRcpt(recipient, last);
      }
      const error = envelopeError(last, false);
      if (error) throw error;
      dataReply = await this.command('DATA');
    }
    if (!/^[23]/.test(dataReply.text))
      throw smtpError('Data command failed', 'EENVELOPE', dataReply.text, 'DATA');

    const verdict = this.next();
    // RFC 2920: the message data may open a group and QUIT end it. When nothing else is to go over
    // this session, QUIT travels with the data (as Postfix's client does): one write and one
    // wake-up of the server fewer. Its 221 is not waited for.
    const quitting = options.thenQuit === true && server.pipelining;
    if (!this.failure && !this.closing) {
      const data = dataFor(raw);
      if (quitting) {
        this.quitSent = true;
        this.log.note('QUIT sent along with the message data (PIPELINING)');
        this.socket.write(Buffer.concat([data, QUIT_LINE]));
      } else this.socket.write(data);
    }
    let final: Reply;
    try {
      final = await verdict;
    } finally {
      if (quitting) this.close();
    }
    if (final.text[0] !== '2') throw smtpError('Message failed', 'EMESSAGE', final.text, 'DATA');
    return {
      accepted,
      rejected,
      rejectedErrors,
      response: final.text,
      serverMessageId: serverMessageIdOf(final.text, server.host),
    };
  }

  /** Fails the dialogue with `error` (the connection cannot go on) and returns it to be thrown. */
  private failWith(error: SmtpError): SmtpError {
    this.fail(error);
    return error;
  }

  /** Says QUIT (unless it went with the last message) and closes; the server's 221 is not waited for. */
  quit(): void {
    if (this.usable && !this.quitSent) this.write(['QUIT']);
    this.close();
  }

  /** Closes the connection: our side at once, the socket when the server has closed its (or after a grace). */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.greetingTimer) clearTimeout(this.greetingTimer);
    this.greetingTimer = null;
    const socket = this.socket;
    if (socket.destroyed) return this.finish();
    socket.end();
    const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }
}
