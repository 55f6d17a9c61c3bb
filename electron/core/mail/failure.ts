import type { SmtpStep } from '../../../shared/delivery.ts';

/** Decisions AlertDesk makes itself, before or instead of asking the server. */
export type LocalFailure =
  | 'auth-not-offered'
  | 'auth-mechanism-unsupported'
  | 'message-too-large'
  | 'connector-stopped'
  | 'daily-limit'
  | 'missing-password'
  | 'pop3';

/** Everything known about a failure, gathered where it happened, before it is classified. */
export interface RawFailure {
  stage: SmtpStep | null;
  /** The SMTP dialogue's code (EAUTH, ESOCKET, ETIMEDOUT…, as nodemailer names them) or Node's (ECONNREFUSED, CERT_HAS_EXPIRED…). */
  code: string | null;
  /** The system error code the dialogue's own code stands for (ECONNREFUSED under ESOCKET). */
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
}

/** Turns whatever the SMTP dialogue or Node threw into a RawFailure, keeping every clue. */
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
  });
}
