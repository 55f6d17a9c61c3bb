import type { SecurityMode } from '../../../shared/domain.ts';
import {
  IMAP_FAILURE_CATALOG,
  IMAP_LOGIN_REJECTED,
  type ImapFailureClass,
} from '../../../shared/failures.ts';
import type { MailboxAuthMethod } from '../../../shared/inbound.ts';
import type { ImapFailure, ImapStage } from '../../../shared/mailboxes.ts';
import {
  CERT_EXPIRED,
  CERT_NAME,
  CERT_UNTRUSTED,
  DNS_CODES,
  DNS_TRANSIENT,
  TLS_ON_PLAIN,
} from '../mail/classify.ts';

/** A failure AlertDesk decides itself (no password stored, a folder gone), before or instead of the server. */
export class ImapProblem extends Error {
  readonly cls: ImapFailureClass;
  readonly stage: ImapStage;
  readonly explanation: string;
  constructor(cls: ImapFailureClass, stage: ImapStage, explanation: string) {
    super(explanation);
    this.name = 'ImapProblem';
    this.cls = cls;
    this.stage = stage;
    this.explanation = explanation;
  }
}

export interface ImapContext {
  host: string;
  port: number;
  security: SecurityMode;
  username: string;
  /** How the mailbox logs in: a refused OAuth2 token is not a wrong password. Default: password. */
  auth?: MailboxAuthMethod;
  /** What AlertDesk was doing when the error came. */
  stage: ImapStage;
}

/** What imapflow and Node put on their errors (every field optional). */
interface ErrorLike {
  code?: unknown;
  message?: unknown;
  authenticationFailed?: unknown;
  serverResponseCode?: unknown;
  responseText?: unknown;
  responseStatus?: unknown;
  mailboxMissing?: unknown;
  path?: unknown;
  reason?: unknown;
  _err?: { code?: unknown; message?: unknown };
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

const MICROSOFT = /(^|\.)(office365\.com|outlook\.com|hotmail\.com|live\.com)$/i;
const GMAIL_APP_PASSWORD = /application-specific password|app password|WEBALERT|web ?login required/i;
const TOO_MANY =
  /too many (simultaneous )?connections|\[LIMIT\]|maximum number of connections|connection limit/i;
const DROPPED = new Set([
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'StateLogout',
]);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EADDRNOTAVAIL']);

/**
 * Gives a failed IMAP connection or command one class, a one-line explanation with what was
 * involved, and a fix, reading every clue imapflow and Node leave: the stage, the system or
 * imapflow code, the server's response code (AUTHENTICATIONFAILED, UNAVAILABLE…) and text.
 */
export function classifyImap(error: unknown, ctx: ImapContext, at: string): ImapFailure {
  const verdict = decide(error, ctx);
  const info = IMAP_FAILURE_CATALOG[verdict.cls];
  const e = (error ?? {}) as ErrorLike;
  return {
    class: verdict.cls,
    title: info.title,
    explanation: verdict.explanation,
    fix: verdict.fix ?? info.fix,
    retryable: !IMAP_LOGIN_REJECTED.includes(verdict.cls) && info.transient,
    stage: error instanceof ImapProblem ? error.stage : ctx.stage,
    reply: str(e.responseText) ?? str(e.reason),
    errorCode: str(e.serverResponseCode) ?? str(e.code) ?? str(e._err?.code),
    at,
  };
}

interface Verdict {
  cls: ImapFailureClass;
  explanation: string;
  fix?: string;
}

function decide(error: unknown, ctx: ImapContext): Verdict {
  if (error instanceof ImapProblem) return { cls: error.cls, explanation: error.explanation };
  const e = (error ?? {}) as ErrorLike;
  const where = `${ctx.host}:${ctx.port}`;
  const code = str(e.code) ?? str(e._err?.code) ?? '';
  const response = str(e.serverResponseCode) ?? '';
  const reply = str(e.responseText) ?? str(e.reason) ?? '';
  const message = str(e.message) ?? String(error);
  const text = `${message} ${reply}`;
  const said = reply ? ` The server said: "${reply.trim()}"` : '';

  // ── Refusals that are not about the password (a login NO can carry them) ──────────────
  if (response === 'LIMIT' || TOO_MANY.test(text)) {
    return {
      cls: 'too-many-connections',
      explanation: `${ctx.host} refused another connection for ${ctx.username}: too many are open to this account.${said}`,
    };
  }
  if (response === 'UNAVAILABLE' || response === 'SERVERBUG' || /\[UNAVAILABLE\]|temporar/i.test(text)) {
    return {
      cls: 'server-unavailable',
      explanation: `${ctx.host} is temporarily unable to serve this mailbox.${said}`,
    };
  }

  // ── The login ──────────────────────────────────────────────────────────────────────────
  if (ctx.auth === 'oauth2' && /Unsupported authentication mechanism/i.test(message)) {
    return {
      cls: 'login-disabled',
      explanation: `${where} offers no OAuth2 login (AUTH=XOAUTH2 or OAUTHBEARER) on this connection.`,
      fix: 'This server does not take OAuth2 sign-ins: check the host and port (Microsoft: outlook.office365.com, Gmail: imap.gmail.com), or log in with an app password.',
    };
  }
  if (
    e.authenticationFailed === true ||
    response === 'AUTHENTICATIONFAILED' ||
    response === 'AUTHORIZATIONFAILED' ||
    (ctx.stage === 'login' && str(e.responseStatus) === 'NO')
  ) {
    if (ctx.auth === 'oauth2') {
      return {
        cls: 'oauth-token-rejected',
        explanation: `${ctx.host} refused the OAuth2 access token of ${ctx.username}, also after AlertDesk renewed it.${said}`,
      };
    }
    if (GMAIL_APP_PASSWORD.test(text)) {
      return {
        cls: 'app-password-required',
        explanation: `${ctx.host} refused the password of ${ctx.username}: the account wants an app password.${said}`,
      };
    }
    if (MICROSOFT.test(ctx.host)) {
      return {
        cls: 'basic-auth-disabled',
        explanation: `${ctx.host} refused the password login of ${ctx.username}. Microsoft refuses passwords for IMAP on most accounts, even correct ones.${said}`,
      };
    }
    return {
      cls: 'auth-failed',
      explanation: `${ctx.host} rejected the login of ${ctx.username}: wrong user name or password, or the app password was revoked.${said}`,
    };
  }
  if (response === 'PRIVACYREQUIRED' || /LOGINDISABLED|login(s)? (is |are )?disabled|plaintext/i.test(text)) {
    return {
      cls: 'login-disabled',
      explanation: `${ctx.host} accepts no password login on this ${ctx.security === 'none' ? 'unencrypted ' : ''}connection.${said}`,
    };
  }

  // ── Name resolution, TCP, TLS ──────────────────────────────────────────────────────────
  if (ctx.stage === 'dns' || (DNS_CODES.has(code) && code !== 'ETIMEOUT')) {
    const transient = DNS_TRANSIENT.has(code);
    return {
      cls: 'dns-failure',
      explanation: transient
        ? `The DNS server did not answer for ${ctx.host} (${code}).`
        : `The host name ${ctx.host} does not exist in DNS (${code || 'not found'}).`,
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      cls: 'connection-refused',
      explanation: `${where} refused the connection: nothing is listening on port ${ctx.port}, or a firewall rejects it.`,
    };
  }
  if (UNREACHABLE.has(code)) {
    return {
      cls: 'connect-timeout',
      explanation: `${where} cannot be reached from this computer (${code}): no network, or no route to it.`,
      fix: 'Check that this computer is online (Wi-Fi, VPN); AlertDesk reconnects by itself once it is.',
    };
  }
  if (code === 'CONNECT_TIMEOUT' || (code === 'ETIMEDOUT' && ctx.stage === 'connect')) {
    return {
      cls: 'connect-timeout',
      explanation: `${where} did not answer the connection attempt.`,
    };
  }
  if (code === 'GREETING_TIMEOUT') {
    return {
      cls: 'greeting-timeout',
      explanation:
        ctx.security === 'tls'
          ? `${where} accepted the connection but sent no IMAP greeting after the TLS handshake.`
          : `${where} accepted the connection but sent no IMAP greeting: the port probably expects SSL/TLS from the first byte.`,
      ...(ctx.security === 'tls'
        ? { fix: 'Check that this port is an IMAP port (993 for SSL/TLS, 143 for STARTTLS).' }
        : {}),
    };
  }
  if (CERT_EXPIRED.has(code)) {
    return {
      cls: 'certificate-expired',
      explanation: `The certificate of ${ctx.host} has expired (${code}).`,
    };
  }
  if (CERT_NAME.has(code)) {
    return {
      cls: 'certificate-name-mismatch',
      explanation: `The certificate of ${where} is not for the name "${ctx.host}". ${message}`,
    };
  }
  if (CERT_UNTRUSTED.has(code)) {
    return {
      cls: 'certificate-untrusted',
      explanation: `The certificate of ${where} is not signed by an authority this computer trusts (${code}), and no certificate is pinned for it.`,
    };
  }
  if (TLS_ON_PLAIN.test(text) && ctx.security === 'tls') {
    return {
      cls: 'tls-mode-mismatch',
      explanation: `${where} answered SSL/TLS with plain text: the port speaks IMAP without TLS from the first byte.`,
    };
  }
  if (code === 'UPGRADE_TIMEOUT' || /STARTTLS/i.test(text)) {
    return {
      cls: 'starttls-not-offered',
      explanation: `${where} did not take the connection to TLS with STARTTLS.${said}`,
    };
  }

  // ── Folders ────────────────────────────────────────────────────────────────────────────
  if (e.mailboxMissing === true || response === 'NONEXISTENT') {
    const folder = str(e.path);
    return {
      cls: 'folder-missing',
      explanation: `The folder ${folder ? `"${folder}" ` : ''}does not exist on ${ctx.host} (any more).${said}`,
    };
  }

  // ── A connection that ended or went quiet ──────────────────────────────────────────────
  if (code === 'ETIMEOUT' || code === 'ETIMEDOUT') {
    return {
      cls: 'command-timeout',
      explanation: `${where} stopped answering while AlertDesk was ${STAGE_WORDS[ctx.stage]}.`,
    };
  }
  if (DROPPED.has(code) || str(e.reason) !== null || /connection (was )?(closed|lost|reset)/i.test(text)) {
    const bye = str(e.reason);
    return {
      cls: 'connection-dropped',
      explanation: `${where} closed the connection while AlertDesk was ${STAGE_WORDS[ctx.stage]}${bye ? ` ("${bye}")` : ''}.`,
    };
  }
  return {
    cls: 'unexpected',
    explanation: `Reading ${ctx.username} at ${where} failed while ${STAGE_WORDS[ctx.stage]}: ${message}${said}`,
  };
}

const STAGE_WORDS: Record<ImapStage, string> = {
  dns: 'looking up the host',
  connect: 'connecting',
  tls: 'setting up TLS',
  greeting: 'waiting for the greeting',
  login: 'logging in',
  list: 'listing the folders',
  select: 'opening a folder',
  fetch: 'reading new messages',
  idle: 'waiting for new mail',
};
