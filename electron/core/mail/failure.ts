import type { RejectedRecipient, SmtpStep } from '../../../shared/delivery.ts';
import { scrubSecrets } from './transcript.ts';

/** Decisions AlertDesk makes itself, before or instead of asking the server. */
export type LocalFailure =
  | 'auth-not-offered'
  | 'auth-mechanism-unsupported'
  | 'message-too-large'
  | 'connector-stopped'
  | 'daily-limit'
  | 'missing-password'
  /** auth 'xoauth2' without an access token. */
  | 'missing-token'
  /** No access token could be had for an OAuth2 connector (facts.failureClass says why). */
  | 'oauth'
  /** A login that would cross the network unencrypted, and the connector does not allow that. */
  | 'login-not-encrypted'
  /** Plain text arrived after the server's STARTTLS reply, before the TLS handshake (RFC 3207 §6). */
  | 'starttls-injection'
  | 'pop3';

/** Everything known about a failure, gathered where it happened, before it is classified. */
export interface RawFailure {
  stage: SmtpStep | null;
  /** nodemailer's code (EAUTH, ESOCKET, ETIMEDOUT…) or Node's (ECONNREFUSED, CERT_HAS_EXPIRED…). */
  code: string | null;
  /** The system error code nodemailer's own code stands for (ECONNREFUSED under ESOCKET). */
  originalCode: string | null;
  /** The kind of timeout: CONNECT_TIMEOUT, GREETING_TIMEOUT, UPGRADE_TIMEOUT, TLS_HANDSHAKE_TIMEOUT, SOCKET_TIMEOUT. */
  timeoutType: string | null;
  command: string | null;
  responseCode: number | null;
  response: string | null;
  message: string;
  local: LocalFailure | null;
  /** Facts the explanation may use: offered mechanisms, SIZE limit, message size… */
  facts: Record<string, string | number | boolean>;
  /** Recipients the server refused, each with its reply (all of them when it refused every one). */
  rejected: RejectedRecipient[];
}

export class SmtpFailure extends Error {
  readonly raw: RawFailure;
  constructor(raw: Partial<RawFailure> & { message: string }) {
    super(raw.message);
    this.name = 'SmtpFailure';
    this.raw = {
      stage: null,
      code: null,
      originalCode: null,
      timeoutType: null,
      command: null,
      responseCode: null,
      response: null,
      local: null,
      facts: {},
      rejected: [],
      ...raw,
    };
  }
}

interface ErrorLike {
  code?: unknown;
  originalCode?: unknown;
  timeoutType?: unknown;
  command?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
  reason?: unknown;
  cert?: { subjectaltname?: unknown };
  /** nodemailer's EENVELOPE when every recipient was refused: who, and each refusal. */
  rejected?: unknown;
  rejectedErrors?: unknown;
}

/** The refused recipients an error names, each with the server's reply to its RCPT TO. */
function rejectedOf(e: ErrorLike): RejectedRecipient[] {
  if (!Array.isArray(e.rejected)) return [];
  const errors = Array.isArray(e.rejectedErrors) ? (e.rejectedErrors as ErrorLike[]) : [];
  return (e.rejected as unknown[]).map((address, i) => ({
    address: String(address),
    reply: typeof errors[i]?.response === 'string' ? (errors[i]!.response as string) : 'rejected',
  }));
}

/** Turns whatever nodemailer or Node threw into a RawFailure, keeping every clue. */
export function toSmtpFailure(error: unknown, stage: SmtpStep | null): SmtpFailure {
  if (error instanceof SmtpFailure) return error;
  const e = (error ?? {}) as ErrorLike;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const certNames = str(e.cert?.subjectaltname);
  return new SmtpFailure({
    facts: certNames ? { certNames } : {},
    stage,
    code: str(e.code),
    originalCode: str(e.originalCode),
    timeoutType: str(e.timeoutType),
    command: str(e.command),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : null,
    response: str(e.response),
    message: str(e.message) ?? String(error),
    rejected: rejectedOf(e),
  });
}

/**
 * The failure with every secret form removed from what the server said and what the error says:
 * a server that echoes the password in its reply (`535 … u/<password>`) must not put it in the
 * history, the log, a connector's last test or an export.
 */
export function scrubFailure(failure: SmtpFailure, forms: readonly string[]): SmtpFailure {
  if (forms.length === 0) return failure;
  const s = (v: string) => scrubSecrets(v, forms);
  const raw = failure.raw;
  const facts: RawFailure['facts'] = {};
  for (const [k, v] of Object.entries(raw.facts)) facts[k] = typeof v === 'string' ? s(v) : v;
  return new SmtpFailure({
    ...raw,
    message: s(raw.message),
    response: raw.response === null ? null : s(raw.response),
    facts,
    rejected: raw.rejected.map((r) => ({ address: r.address, reply: s(r.reply) })),
  });
}
