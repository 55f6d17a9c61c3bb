import type { FailureDetails } from '../../../shared/delivery.ts';
import type { SecurityMode } from '../../../shared/domain.ts';
import { FAILURE_CATALOG, isFailureClass, type FailureClass } from '../../../shared/failures.ts';
import { DEFAULT_PORTS } from '../../../shared/presets.ts';
import type { RawFailure } from './failure.ts';
import type { SessionAuth } from './session.ts';

export interface ClassifyContext {
  host: string;
  port: number;
  security: SecurityMode;
  auth: SessionAuth;
  username: string;
  sender: string;
}

export const CERT_EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
export const CERT_NAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);
export const CERT_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
]);
export const TLS_ON_PLAIN =
  /wrong version number|packet length too long|unknown protocol|record layer failure|http request|ssl3_get_record|tls_get_more_records|ERR_SSL_/i;
export const DNS_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENODATA',
  'ESERVFAIL',
  'ETIMEOUT',
  'EDNS',
  'ECONNREFUSED_DNS',
  'EAI_FAIL',
  'EAI_NONAME',
]);
export const DNS_TRANSIENT = new Set(['EAI_AGAIN', 'ESERVFAIL', 'ETIMEOUT']);
const THROTTLE =
  /\b(rate|limit(ed|s)?|too many|throttl\w*|exceeded|slow down|quota|temporarily deferred|busy)\b/i;
const GREYLIST = /gr[ea]y ?list/i;
const DAILY_LIMIT =
  /\b5\.4\.5\b|daily (user )?sending (quota|limit)|sending (quota|limit) exceeded|SubmissionQuotaExceeded/i;
/** The recipient's mailbox is full (RFC 3463 x.2.2): about the recipient, not the sender's quota. */
const MAILBOX_FULL = /\b[45]\.2\.2\b|mailbox (is )?full|over quota|mailbox quota/i;

const enhanced = (reply: string | null): string | null =>
  /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply ?? '')?.[1] ?? null;

const commandOf = (raw: RawFailure): string => {
  const c = (raw.command ?? '').toUpperCase();
  if (c.startsWith('MAIL')) return 'MAIL FROM';
  if (c.startsWith('RCPT')) return 'RCPT TO';
  return c;
};

interface Verdict {
  cls: FailureClass;
  explanation: string;
  fix?: string;
  retryable?: boolean;
}

/**
 * Gives a failed attempt exactly one class, a one-line explanation and a fix. It reads every clue
 * — the stage AlertDesk was in, nodemailer's code and the system code beneath it, the command,
 * the reply code and enhanced status code, the reply text — because the code alone is ambiguous:
 * a refused connection and SSL spoken to a STARTTLS port both arrive as ESOCKET.
 */
export function classify(raw: RawFailure, ctx: ClassifyContext): FailureDetails {
  const verdict = decide(raw, ctx);
  const info = FAILURE_CATALOG[verdict.cls];
  return {
    class: verdict.cls,
    explanation: verdict.explanation,
    fix: verdict.fix ?? info.fix,
    retryable: verdict.retryable ?? info.transient,
    command: raw.command ?? (raw.stage ? stageCommand(raw.stage) : null),
    responseCode: raw.responseCode,
    enhancedCode: enhanced(raw.response),
    reply: raw.response,
    errorCode: raw.originalCode ?? raw.code,
    message: raw.message,
  };
}

function stageCommand(stage: string): string | null {
  switch (stage) {
    case 'dns':
      return 'DNS';
    case 'connect':
    case 'tls':
    case 'greeting':
      return 'CONN';
    case 'ehlo':
      return 'EHLO';
    case 'starttls':
      return 'STARTTLS';
    case 'auth':
      return 'AUTH';
    case 'envelope':
      return 'MAIL FROM';
    case 'data':
      return 'DATA';
    case 'pop3':
      return 'POP3';
    default:
      return null;
  }
}

function decide(raw: RawFailure, ctx: ClassifyContext): Verdict {
  const where = `${ctx.host}:${ctx.port}`;
  const reply = raw.response ?? '';
  const code = raw.responseCode;
  const enh = enhanced(raw.response);
  const sys = raw.originalCode ?? raw.code ?? '';
  const text = `${raw.message} ${reply}`;
  const quoted = reply ? ` The server said: "${reply.trim()}".` : '';

  // ── Decisions AlertDesk made itself ──────────────────────────────────────────────
  switch (raw.local) {
    case 'connector-stopped':
      return {
        cls: 'connector-stopped',
        explanation: 'The connector is STOPPED, so AlertDesk refused to send through it.',
      };
    case 'daily-limit':
      return {
        cls: 'rate-limited',
        retryable: false,
        explanation: `AlertDesk held this message back: the connector's daily limit (${raw.facts.limit}) is used up.`,
        fix: "Wait for tomorrow's quota, raise the connector's daily limit if the provider allows more, or use another account.",
      };
    case 'auth-not-offered':
      return {
        cls: 'auth-not-offered',
        explanation: `A login is configured, but ${where} offers no AUTH${raw.facts.encrypted ? '' : ' on this unencrypted connection'}. Sending without logging in would pass silently here and fail at the real site.`,
        fix:
          !raw.facts.encrypted && raw.facts.starttlsOffered
            ? 'The server offers STARTTLS and probably allows login only after it: set security to STARTTLS.'
            : ctx.port === 25
              ? 'Port 25 is for server-to-server mail: use the submission port 587 (STARTTLS) or 465 (SSL/TLS), or set authentication to none if this relay trusts the site by address.'
              : FAILURE_CATALOG['auth-not-offered'].fix,
      };
    case 'auth-mechanism-unsupported':
      return {
        cls: 'auth-mechanism-unsupported',
        explanation: `${where} does not offer AUTH ${raw.facts.mechanism}; it offers ${raw.facts.offered || 'no login method'}.`,
        fix: `Set the connector's authentication to one of: ${raw.facts.offered}.`,
      };
    case 'login-not-encrypted':
      return {
        cls: 'login-not-encrypted',
        explanation: `${where} offers no encryption${raw.facts.starttlsOffered ? '' : ' (no STARTTLS in its EHLO reply)'}, so the login of ${ctx.username || 'this connector'} would cross the network in clear text. AlertDesk did not send it.`,
        fix:
          ctx.port === 25
            ? 'Port 25 is for server-to-server mail: use the submission port 587 (STARTTLS) or 465 (SSL/TLS). Only for a relay inside a trusted network, turn on "Allow login without encryption" in the connector.'
            : FAILURE_CATALOG['login-not-encrypted'].fix,
      };
    case 'starttls-injection':
      return {
        cls: 'server-permanent',
        explanation: `${where} agreed to STARTTLS, but ${raw.facts.discarded} bytes arrived in plain text before the TLS handshake. Nothing received before encryption can be trusted (someone on the network path may be injecting commands), so AlertDesk ended the session before logging in or sending anything.`,
        fix: 'Check the network path to the server (a firewall, antivirus or "mail guard" that rewrites SMTP does this), or use SSL/TLS on port 465, where there is no plain-text phase.',
      };
    case 'oauth':
      return {
        cls: isFailureClass(String(raw.facts.failureClass))
          ? (raw.facts.failureClass as FailureClass)
          : 'oauth-sign-in-needed',
        explanation: raw.message,
      };
    case 'missing-token':
      return {
        cls: 'oauth-token-rejected',
        explanation: `There is no current sign-in for ${ctx.username || 'this account'}, so AlertDesk could not log in with OAuth.`,
      };
    case 'missing-password':
      return {
        cls: 'auth-failed',
        explanation: 'No password is stored for this login, so AlertDesk could not log in.',
        fix: 'Enter the password (or app password) in the connector and save it.',
      };
    case 'message-too-large':
      return {
        cls: 'message-too-large',
        explanation: `The message is ${kb(raw.facts.size)}; ${ctx.host} accepts at most ${kb(raw.facts.limit)} (its SIZE limit). Nothing was sent.`,
      };
    case 'pop3':
      return {
        cls: 'pop-before-smtp-failed',
        explanation: `POP-before-SMTP failed: ${raw.message}.${quoted}`,
      };
    default:
      break;
  }

  // ── Name resolution and TCP ───────────────────────────────────────────────────────
  if (raw.stage === 'dns' || raw.code === 'EDNS' || DNS_CODES.has(sys)) {
    const transient = DNS_TRANSIENT.has(sys);
    return {
      cls: 'dns-failure',
      retryable: transient,
      explanation:
        sys === 'ESERVFAIL'
          ? `The DNS server failed to look up ${ctx.host} (SERVFAIL).`
          : transient
            ? `The DNS server did not answer for ${ctx.host} (${sys}).`
            : `The host name ${ctx.host} does not exist in DNS (${sys || 'not found'}).`,
      fix: transient
        ? 'The DNS server is slow or unreachable: check the DNS servers of the network (on 4G sites, set 8.8.8.8 or 1.1.1.1).'
        : 'Check the spelling of the SMTP host (for example smtp.gmail.com, smtp.office365.com).',
    };
  }
  if (sys === 'ECONNREFUSED') {
    return {
      cls: 'connection-refused',
      explanation: `${where} refused the connection: nothing is listening on port ${ctx.port}, or a firewall rejects it.`,
      fix:
        ctx.port === DEFAULT_PORTS[ctx.security]
          ? 'Check that the server is running and reachable from this network; the port matches the security mode.'
          : `Check the port: ${ctx.security === 'tls' ? '465' : ctx.security === 'starttls' ? '587' : '25'} is usual for ${ctx.security === 'tls' ? 'SSL/TLS' : ctx.security === 'starttls' ? 'STARTTLS' : 'plain SMTP'}. Then check that the server is running.`,
    };
  }
  if (
    raw.stage === 'connect' ||
    raw.timeoutType === 'CONNECT_TIMEOUT' ||
    sys === 'EHOSTUNREACH' ||
    sys === 'ENETUNREACH'
  ) {
    return {
      cls: 'connect-timeout',
      explanation:
        sys === 'EHOSTUNREACH' || sys === 'ENETUNREACH'
          ? `There is no network route to ${ctx.host} (${sys}).`
          : `${where} did not answer the connection attempt in time; packets are probably dropped by a firewall.`,
    };
  }

  // ── TLS ───────────────────────────────────────────────────────────────────────────
  if (CERT_EXPIRED.has(sys)) {
    return {
      cls: 'certificate-expired',
      explanation: `The certificate of ${ctx.host} ${sys === 'CERT_NOT_YET_VALID' ? 'is not valid yet (check the clock of this computer)' : 'has expired'}.`,
    };
  }
  if (CERT_NAME.has(sys) || /does not match certificate|altnames/i.test(text)) {
    const names = raw.facts.certNames ? String(raw.facts.certNames).replace(/DNS:|IP Address:/g, '') : null;
    return {
      cls: 'certificate-name-mismatch',
      explanation: names
        ? `The certificate presented by ${ctx.host} is issued for ${names}, not for ${ctx.host}.`
        : `The certificate presented by ${ctx.host} is issued for another name. ${raw.message}`,
      ...(names
        ? {
            fix: `Set the host to a name the certificate covers (${names}), or pin this relay's own certificate in the connector.`,
          }
        : {}),
    };
  }
  if (CERT_UNTRUSTED.has(sys)) {
    return {
      cls: 'certificate-untrusted',
      explanation: `The certificate of ${ctx.host} is not signed by an authority this computer trusts (${sys === 'DEPTH_ZERO_SELF_SIGNED_CERT' ? 'it is self-signed' : sys}).`,
    };
  }
  const tlsStage = raw.stage === 'tls' || raw.stage === 'starttls' || raw.code === 'ETLS';
  if (tlsStage && TLS_ON_PLAIN.test(`${sys} ${raw.message}`)) {
    return {
      cls: 'tls-mode-mismatch',
      explanation:
        ctx.security === 'tls'
          ? `AlertDesk spoke SSL/TLS from the first byte, but ${where} answered in plain SMTP: this port expects STARTTLS or no encryption.`
          : `The TLS handshake on ${where} failed: the server's answer was not TLS.`,
      fix:
        ctx.security === 'tls'
          ? `Set security to STARTTLS${ctx.port === 465 ? '' : ` (port ${ctx.port} is usually STARTTLS)`}, or use port 465 for SSL/TLS.`
          : FAILURE_CATALOG['tls-mode-mismatch'].fix,
    };
  }
  if (raw.stage === 'tls' && raw.timeoutType === 'TLS_HANDSHAKE_TIMEOUT') {
    return {
      cls: 'greeting-timeout',
      explanation: `${where} accepted the connection but never answered the TLS handshake.`,
      fix: 'Check that the port really speaks SSL/TLS (465); for 587 use STARTTLS.',
    };
  }

  // ── Greeting ──────────────────────────────────────────────────────────────────────
  if (raw.timeoutType === 'GREETING_TIMEOUT' || (raw.stage === 'greeting' && raw.code === 'ETIMEDOUT')) {
    const likelyTls = ctx.security !== 'tls' && (ctx.port === 465 || ctx.port === 993 || ctx.port === 995);
    return {
      cls: 'greeting-timeout',
      retryable: !likelyTls,
      explanation: likelyTls
        ? `${where} accepted the connection but never sent its SMTP greeting: port ${ctx.port} expects SSL/TLS from the first byte, and the connector speaks ${ctx.security === 'starttls' ? 'STARTTLS' : 'plain SMTP'}.`
        : `${where} accepted the connection but never sent its SMTP greeting.`,
      fix: likelyTls
        ? 'Set security to SSL/TLS for port 465, or keep STARTTLS and change the port to 587.'
        : 'If this port expects SSL/TLS from the first byte, set security to SSL/TLS; otherwise the server is overloaded — try again later.',
    };
  }
  if (raw.stage === 'greeting' && code === 421) {
    return throttled(raw, where, quoted, true);
  }
  if (raw.stage === 'greeting' && code !== null && code >= 500) {
    return { cls: 'server-permanent', explanation: `${where} refused the session in its greeting.${quoted}` };
  }

  // ── STARTTLS ──────────────────────────────────────────────────────────────────────
  if (
    ctx.security === 'starttls' &&
    (raw.command === 'STARTTLS' || /STARTTLS/i.test(raw.message)) &&
    raw.code !== 'ESOCKET'
  ) {
    if (raw.facts.starttlsOffered === false) {
      return {
        cls: 'starttls-not-offered',
        explanation: `${where} does not offer STARTTLS (its EHLO reply does not list it), and the connector requires it.${quoted}`,
      };
    }
    if (code !== null && code >= 400) {
      return { cls: 'starttls-not-offered', explanation: `${where} refused STARTTLS.${quoted}` };
    }
    if (/not support|does not support|required STARTTLS/i.test(text) || raw.stage === 'ehlo') {
      return {
        cls: 'starttls-not-offered',
        explanation: `${where} does not offer STARTTLS, and the connector requires it.`,
      };
    }
  }
  if (raw.stage === 'starttls' && raw.code === 'ETIMEDOUT') {
    return {
      cls: 'greeting-timeout',
      explanation: `${where} accepted STARTTLS but never completed the TLS handshake.`,
    };
  }

  // ── Authentication ────────────────────────────────────────────────────────────────
  const isAuth =
    raw.stage === 'auth' || raw.code === 'EAUTH' || (raw.command ?? '').toUpperCase().startsWith('AUTH');
  if (isAuth && (ctx.auth === 'xoauth2' || /XOAUTH2/i.test(raw.command ?? ''))) {
    if (code === 421 || (code !== null && code >= 400 && code < 500))
      return throttled(raw, where, quoted, true);
    if (/SmtpClientAuthentication is disabled|5\.7\.139/i.test(reply))
      return {
        cls: 'oauth-token-rejected',
        explanation: `${where} accepted AlertDesk's sign-in but refuses SMTP for ${ctx.username || 'this mailbox'}: Authenticated SMTP is turned off for the mailbox.${quoted}`,
        fix: 'In the Microsoft 365 admin center, open the user → Mail → Manage email apps and turn on Authenticated SMTP (or ask the tenant administrator to); OAuth2 needs it too.',
      };
    return {
      cls: 'oauth-token-rejected',
      explanation: `${where} refused the OAuth sign-in of ${ctx.username || '(no user name)'}: the access token is expired, revoked or not meant for SMTP.${quoted}`,
    };
  }
  if (isAuth || /5\.7\.(9|139|30)\b/.test(reply)) {
    if (code === 534 || enh === '5.7.9' || /application-specific password|app password/i.test(reply)) {
      return {
        cls: 'app-password-required',
        explanation: `Google refused the password of ${ctx.username}: the account requires an app password (534 5.7.9).`,
      };
    }
    if (
      enh === '5.7.139' ||
      enh === '5.7.30' ||
      /basic authentication is disabled|SmtpClientAuthentication is disabled|basic auth/i.test(reply)
    ) {
      return {
        cls: 'basic-auth-disabled',
        explanation: `Microsoft refused password login for ${ctx.username}: basic SMTP authentication is disabled for the tenant or mailbox (${enh ?? code}).`,
      };
    }
    if (code === 421 || (code !== null && code >= 400 && code < 500 && THROTTLE.test(reply))) {
      return throttled(raw, where, quoted, true);
    }
    if (code !== null && code >= 400 && code < 500) {
      return {
        cls: 'server-temporary',
        explanation: `${where} could not check the login right now.${quoted}`,
      };
    }
    if (code !== null || raw.code === 'EAUTH') {
      return {
        cls: 'auth-failed',
        explanation: `${where} rejected the login of ${ctx.username || '(no user name)'} with ${/^AUTH \S+/i.test(raw.command ?? '') ? raw.command : `AUTH ${ctx.auth.toUpperCase()}`}.${quoted}`,
      };
    }
  }

  // ── Throttling and size, at any command ───────────────────────────────────────────
  if (MAILBOX_FULL.test(reply)) {
    return code !== null && code < 500
      ? { cls: 'server-temporary', explanation: `A recipient's mailbox is full for now.${quoted}` }
      : {
          cls: 'recipient-rejected',
          explanation: `A recipient's mailbox is full, so ${where} refused the message.${quoted}`,
          fix: 'Ask the recipient to make room in the mailbox, or send the alerts to another address.',
        };
  }
  if (DAILY_LIMIT.test(reply)) {
    return {
      cls: 'rate-limited',
      retryable: code !== null && code < 500,
      explanation: `The provider's sending quota for ${ctx.username || ctx.sender} is used up.${quoted}`,
      fix: 'Wait until the quota resets (usually 24 hours), or spread the cameras over several accounts.',
    };
  }
  if (code === 421) return throttled(raw, where, quoted, true);
  if ((code === 450 || code === 451 || code === 452) && THROTTLE.test(reply) && !GREYLIST.test(reply)) {
    return throttled(raw, where, quoted, true);
  }
  if (
    code === 552 ||
    enh === '5.3.4' ||
    (code !== null && code >= 500 && /size|too (big|large)/i.test(reply))
  ) {
    return { cls: 'message-too-large', explanation: `${where} refused the message as too large.${quoted}` };
  }
  if ((code === 530 || enh === '5.7.57' || enh === '5.7.0') && /auth/i.test(reply)) {
    return {
      cls: 'auth-failed',
      explanation: `${where} accepts mail only after a login, and the connector does not log in.${quoted}`,
      fix: 'Set authentication (LOGIN or PLAIN) with the account user name and password.',
    };
  }

  // ── Envelope ──────────────────────────────────────────────────────────────────────
  const command = commandOf(raw);
  if (command === 'MAIL FROM' && code !== null) {
    if (code >= 500) {
      return {
        cls: 'sender-rejected',
        explanation:
          enh === '5.7.60'
            ? `${ctx.username} has no right to send as ${ctx.sender} (550 5.7.60).${quoted}`
            : `${where} refused the sender ${ctx.sender}.${quoted}`,
        fix:
          ctx.username && ctx.username.toLowerCase() !== ctx.sender.toLowerCase()
            ? `Use the login address (${ctx.username}) as the sender, or grant ${ctx.username} "Send As" rights for ${ctx.sender}.`
            : FAILURE_CATALOG['sender-rejected'].fix,
      };
    }
    return { cls: 'server-temporary', explanation: `${where} temporarily refused the sender.${quoted}` };
  }
  if (command === 'RCPT TO' || raw.code === 'EENVELOPE') {
    if (code !== null && code >= 400 && code < 500) {
      return {
        cls: 'server-temporary',
        explanation: `${where} temporarily refused the recipients (greylisting or a busy server).${quoted}`,
      };
    }
    return {
      cls: 'recipient-rejected',
      explanation: `${where} refused every recipient of the message.${quoted}`,
    };
  }

  // ── A server that does not speak SMTP properly ──────────────────────────────────
  if (raw.code === 'EPROTOCOL' && (code === null || code < 400)) {
    return {
      cls: 'server-permanent',
      explanation: `${where} broke the SMTP protocol: ${raw.message}.`,
      fix: 'Check that the host and port belong to an SMTP server (not a web or other service), and that nothing between (a proxy, an antivirus) rewrites the conversation.',
    };
  }

  // ── Connection lost ───────────────────────────────────────────────────────────────
  const dropped =
    raw.code === 'ECONNECTION' ||
    sys === 'ECONNRESET' ||
    sys === 'EPIPE' ||
    /closed unexpectedly|socket hang up/i.test(raw.message);
  if (dropped && code === null) {
    const during =
      raw.stage === 'data'
        ? 'while the message was being sent (DATA)'
        : raw.stage
          ? `during ${raw.stage.toUpperCase()}`
          : '';
    return {
      cls: 'connection-dropped',
      explanation: `${where} closed the connection ${during}.`.replace(' .', '.'),
    };
  }
  if (raw.timeoutType === 'SOCKET_TIMEOUT' || raw.code === 'ETIMEDOUT') {
    return {
      cls: 'server-temporary',
      explanation: `${where} stopped answering${raw.stage ? ` during ${raw.stage.toUpperCase()}` : ''}.`,
      fix: 'The server or the line is too slow; AlertDesk retries. Raise the connector timeout if it keeps happening.',
    };
  }

  // ── Anything else with a reply code ───────────────────────────────────────────────
  if (code !== null && code >= 400 && code < 500) {
    return {
      cls: 'server-temporary',
      explanation: `${where} reported a temporary problem at ${command || 'this step'}.${quoted}`,
    };
  }
  if (code !== null && code >= 500) {
    return {
      cls: 'server-permanent',
      explanation: `${where} refused the message at ${command || 'this step'}.${quoted}`,
    };
  }
  return { cls: 'unexpected', explanation: `Sending failed: ${raw.message}` };
}

function throttled(raw: RawFailure, where: string, quoted: string, transient: boolean): Verdict {
  return {
    cls: 'rate-limited',
    retryable: transient,
    explanation: `${where} is throttling this account${raw.responseCode ? ` (${raw.responseCode})` : ''}.${quoted}`,
  };
}

function kb(value: string | number | boolean | undefined): string {
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}
