import { connect as netConnect, isIP, type Socket } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import tls from 'node:tls';
import type { AuthMethod, SecurityMode } from '../../../shared/domain.ts';
import type {
  Capabilities,
  RejectedRecipient,
  SmtpStep,
  TlsDetails,
  TranscriptLine,
} from '../../../shared/delivery.ts';

export type { Capabilities };
import type { HostLookup } from '../adapters.ts';
import type { ComposedMessage } from './compose.ts';
import { SmtpFailure, toSmtpFailure } from './failure.ts';
import { popBeforeSmtp, type PopTarget } from './pop3.ts';
import { SmtpDialogue, type ServerFacts } from './smtp-dialogue.ts';
import { describeTls, tlsOptionsFor, tlsSummary } from './tls.ts';
import { secretForms, type Transcript } from './transcript.ts';

export interface SmtpTarget {
  host: string;
  port: number;
  security: SecurityMode;
  auth: AuthMethod;
  username: string;
  password: string;
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

export const defaultLookup: HostLookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/** The addresses of an SMTP host (the 'dns' step of the transcript); an IP address is its own. */
export async function resolveHost(
  host: string,
  transcript: Transcript,
  lookup: HostLookup,
): Promise<string[]> {
  if (isIP(host)) return [host];
  transcript.begin('dns');
  let addresses: string[];
  try {
    const found = await withTimeout(lookup(host), DNS_TIMEOUT_MS, () =>
      Object.assign(new Error(`DNS lookup of ${host} timed out`), { code: 'ETIMEOUT' }),
    );
    addresses = found.map((a) => a.address);
    if (addresses.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENODATA' });
  } catch (error) {
    transcript.close(false);
    const e = error as NodeJS.ErrnoException;
    throw new SmtpFailure({ stage: 'dns', code: e.code ?? 'EDNS', message: e.message });
  }
  transcript.note(`Resolved ${host} to ${addresses.join(', ')}`);
  return addresses;
}

const MECHANISM: Partial<Record<AuthMethod, 'PLAIN' | 'LOGIN' | 'CRAM-MD5'>> = {
  plain: 'PLAIN',
  login: 'LOGIN',
  'cram-md5': 'CRAM-MD5',
};
const DNS_TIMEOUT_MS = 10_000;

function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(onTimeout()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function tcpConnect(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: address, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new SmtpFailure({
          stage: 'connect',
          code: 'ETIMEDOUT',
          timeoutType: 'CONNECT_TIMEOUT',
          message: `No answer from ${address}:${port} within ${timeoutMs} ms`,
        }),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(
        new SmtpFailure({ stage: 'connect', code: error.code ?? 'ECONNECTION', message: error.message }),
      );
    });
  });
}

function tlsHandshake(
  socket: Socket,
  options: tls.ConnectionOptions,
  timeoutMs: number,
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ ...options, socket });
    const timer = setTimeout(() => {
      secure.destroy();
      reject(
        new SmtpFailure({
          stage: 'tls',
          code: 'ETIMEDOUT',
          timeoutType: 'TLS_HANDSHAKE_TIMEOUT',
          message: `The TLS handshake did not complete within ${timeoutMs} ms`,
        }),
      );
    }, timeoutMs);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      secure.removeAllListeners('error');
      resolve(secure);
    });
    secure.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      secure.destroy();
      const names = (error as NodeJS.ErrnoException & { cert?: { subjectaltname?: string } }).cert
        ?.subjectaltname;
      reject(
        new SmtpFailure({
          stage: 'tls',
          code: error.code ?? 'ETLS',
          message: error.message,
          facts: names ? { certNames: names } : {},
        }),
      );
    });
  });
}

/**
 * One SMTP session: DNS, TCP, TLS (done here so every step is timed and the TLS details are
 * known), then the SMTP dialogue (smtp-dialogue.ts) over that socket. A session may carry several
 * messages of the same connector and login.
 */
export class SmtpSession {
  readonly openedAt = Date.now();
  messagesSent = 0;
  private broken = false;

  private readonly dialogue: SmtpDialogue;
  /** What the dialogue needs to know of the server for each message, fixed once the session is open. */
  private readonly server: ServerFacts;
  readonly tls: TlsDetails | null;
  readonly capabilities: Capabilities;
  /** The opening of the session (connect, TLS, EHLO, AUTH), shown in front of reused attempts. */
  readonly openingLines: TranscriptLine[];
  private readonly route: { transcript: Transcript };

  private constructor(
    dialogue: SmtpDialogue,
    host: string,
    tls: TlsDetails | null,
    capabilities: Capabilities,
    openingLines: TranscriptLine[],
    route: { transcript: Transcript },
  ) {
    this.dialogue = dialogue;
    this.server = {
      pipelining: capabilities.pipelining,
      smtputf8: capabilities.extensions.some((e) => /^SMTPUTF8\b/i.test(e)),
      size: capabilities.size !== null,
      host,
    };
    this.tls = tls;
    this.capabilities = capabilities;
    this.openingLines = openingLines;
    this.route = route;
    dialogue.onEnd = () => this.markBroken();
  }

  get usable(): boolean {
    return !this.broken && this.dialogue.usable;
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
    if (target.pop) transcript.protect(secretForms(target.pop.username, target.pop.password));

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
        throw error;
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
    transcript.protect(secretForms(target.username, target.password));

    transcript.begin('connect');
    let socket: Socket | undefined;
    let lastFailure: unknown;
    const deadline = performance.now() + target.connectTimeoutMs;
    for (const address of addresses.slice(0, 3)) {
      const budget = Math.max(1, Math.round(deadline - performance.now()));
      try {
        transcript.note(`Connecting to ${address} port ${target.port}`);
        socket = await tcpConnect(address, target.port, budget);
        transcript.note(`Connected to ${address} port ${target.port}`);
        break;
      } catch (error) {
        lastFailure = error;
        transcript.note(`Could not connect to ${address}: ${(error as Error).message}`);
        if (performance.now() >= deadline) break;
      }
    }
    if (!socket) {
      transcript.close(false);
      throw toSmtpFailure(lastFailure, 'connect');
    }
    transcript.close(true);

    const tlsOptions = tlsOptionsFor(target.host, target.trustedCertificatePem);
    let tlsDetails: TlsDetails | null = null;
    if (target.security === 'tls') {
      transcript.begin('tls');
      try {
        socket = await tlsHandshake(socket, tlsOptions, target.greetingTimeoutMs);
      } catch (error) {
        transcript.close(false);
        throw error;
      }
      tlsDetails = describeTls(socket as tls.TLSSocket, 'implicit');
      transcript.note(tlsSummary(tlsDetails));
      transcript.close(true);
    }

    const route = { transcript };
    const dialogue = new SmtpDialogue(socket, {
      log: {
        client: (line) => route.transcript.client(line),
        server: (line) => route.transcript.server(line),
        note: (text) => route.transcript.note(text),
      },
      socketTimeoutMs: target.socketTimeoutMs,
      greetingTimeoutMs: target.greetingTimeoutMs,
    });
    const stage = () => route.transcript.currentStep();
    const fail = (error: unknown, at: SmtpStep | null) => {
      const failure = toSmtpFailure(error, stage() ?? at);
      transcript.close(false);
      dialogue.close();
      return failure;
    };

    transcript.begin('greeting');
    let greeting: string;
    let extensions: string[];
    try {
      greeting = (await dialogue.greeting()).text.split('\n')[0]!;
      ({ extensions } = await dialogue.hello(target.security === 'starttls'));
      if (target.security === 'starttls') {
        // Sent whether or not the server offered it (the connector requires it): the failure says which.
        try {
          const secure = await dialogue.startTls(tlsOptions, target.greetingTimeoutMs);
          tlsDetails = describeTls(secure, 'starttls');
          transcript.note(tlsSummary(tlsDetails));
        } catch (error) {
          const failure = fail(error, 'starttls');
          if (failure.raw.command === 'STARTTLS')
            failure.raw.facts.starttlsOffered = extensions.some((e) => /^STARTTLS\b/i.test(e));
          throw failure;
        }
        ({ extensions } = await dialogue.hello(true));
      }
    } catch (error) {
      if (error instanceof SmtpFailure) throw error;
      throw fail(error, 'greeting');
    }
    transcript.close(true);
    const capabilities = capabilitiesOf(greeting, extensions);

    const mechanism = MECHANISM[target.auth];
    if (mechanism) {
      transcript.begin('auth');
      if (capabilities.authMechanisms.length === 0) {
        throw fail(
          new SmtpFailure({
            stage: 'auth',
            local: 'auth-not-offered',
            message: 'Credentials are configured but the server offers no AUTH',
            facts: { encrypted: tlsDetails !== null, starttlsOffered: capabilities.starttls },
          }),
          'auth',
        );
      }
      if (!capabilities.authMechanisms.includes(mechanism)) {
        throw fail(
          new SmtpFailure({
            stage: 'auth',
            local: 'auth-mechanism-unsupported',
            message: `The server does not offer AUTH ${mechanism}`,
            facts: { mechanism, offered: capabilities.authMechanisms.join(' ') },
          }),
          'auth',
        );
      }
      if (!target.password) {
        throw fail(
          new SmtpFailure({
            stage: 'auth',
            local: 'missing-password',
            message: 'No password is stored for this login',
          }),
          'auth',
        );
      }
      try {
        await dialogue.login(mechanism, target.username, target.password);
      } catch (error) {
        throw fail(error, 'auth');
      }
      transcript.close(true);
    }
    return new SmtpSession(dialogue, target.host, tlsDetails, capabilities, transcript.lines(), route);
  }

  /**
   * Sends one message. `last`: nothing else is to go over this session, so QUIT may travel with the
   * message (when the server offers PIPELINING); the session is over once the message is answered.
   */
  async send(
    message: Pick<ComposedMessage, 'raw' | 'envelopeFrom' | 'recipients'>,
    transcript: Transcript,
    last = false,
  ): Promise<SendOutcome> {
    this.route.transcript = transcript;
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
      const info = await this.dialogue.send(
        { from: message.envelopeFrom, to: message.recipients, size: message.raw.length },
        message.raw,
        this.server,
        { thenQuit: last },
      );
      if (last) this.broken = true;
      transcript.close(true);
      this.messagesSent++;
      return {
        accepted: info.accepted,
        rejected: info.rejected.map((address, i) => ({
          address,
          reply: info.rejectedErrors[i]?.response ?? 'rejected',
        })),
        response: info.response,
        serverMessageId: info.serverMessageId,
      };
    } catch (error) {
      const at = transcript.currentStep() ?? 'envelope';
      transcript.close(false);
      this.broken = true;
      this.dialogue.close();
      throw toSmtpFailure(error, at);
    }
  }

  /** Says goodbye politely; the server's reply is not waited for. */
  quit(): void {
    this.broken = true;
    this.dialogue.quit();
  }

  close(): void {
    this.broken = true;
    this.dialogue.close();
  }
}

/** What the server said it can do: its greeting's first line and its EHLO reply's extension lines. */
function capabilitiesOf(greeting: string, extensions: string[]): Capabilities {
  const authLine = extensions.find((e) => /^AUTH[ =]/i.test(e));
  const authMechanisms = authLine
    ? authLine
        .slice(5)
        .toUpperCase()
        .split(/[\s=]+/)
        .filter(Boolean)
    : [];
  const sizeLine = extensions.find((e) => /^SIZE\b/i.test(e));
  const size = sizeLine ? Number(sizeLine.split(/\s+/)[1] ?? 0) || 0 : null;
  return {
    greeting,
    extensions,
    authMechanisms: [...new Set(authMechanisms)],
    starttls: extensions.some((e) => /^STARTTLS\b/i.test(e)),
    pipelining: extensions.some((e) => /^PIPELINING\b/i.test(e)),
    size,
  };
}

/** Reads the greeting and the last EHLO reply from the transcript (a diagnosis that stopped half-way). */
export function readCapabilities(transcript: Transcript): Capabilities {
  const lines = transcript.lines();
  const greeting = lines.find((l) => l.dir === 's')?.text ?? '';
  let ehloAt = -1;
  lines.forEach((l, i) => {
    if (l.dir === 'c' && /^(EHLO|HELO)\b/i.test(l.text)) ehloAt = i;
  });
  const reply: string[] = [];
  for (let i = ehloAt + 1; ehloAt >= 0 && i < lines.length; i++) {
    const l = lines[i]!;
    if (l.dir === 'c') break;
    if (l.dir === 's') reply.push(l.text.replace(/^\d{3}[ -]/, '').trim());
  }
  return capabilitiesOf(greeting, reply.slice(1));
}
