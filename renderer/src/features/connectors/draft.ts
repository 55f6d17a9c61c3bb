import type { AuthMethod, Connector, SecurityMode } from '../../../../shared/domain.ts';
import { DEFAULT_PORTS, presetById, sesHost, type ConnectorPreset } from '../../../../shared/presets.ts';
import type { ConnectorInput } from '../../../../shared/schemas.ts';

/** What the connector form edits. Numbers stay nullable while the user types. */
export interface ConnectorDraft {
  siteId: string;
  title: string;
  host: string;
  port: number | null;
  portIsManual: boolean;
  security: SecurityMode;
  auth: AuthMethod;
  username: string;
  password: string;
  clearPassword: boolean;
  oauthAccountId: string | null;
  sender: string;
  senderName: string;
  replyTo: string;
  connectionTimeoutSec: number | null;
  trustedCertificatePem: string;
  allowPlainLogin: boolean;
  presetId: string | null;
  extraProperties: Array<[string, string]>;
  mailDebug: boolean;
  maxSessions: number | null;
  rateLimitPerMinute: number | null;
  dailyLimit: number | null;
  retryDelays: string;
  pop: {
    host: string;
    port: number | null;
    security: SecurityMode;
    username: string;
    password: string;
    apop: boolean;
    delayMs: number | null;
  };
}

export const POP_PORTS: Record<SecurityMode, number> = { tls: 995, starttls: 110, none: 110 };

export function emptyDraft(siteId: string): ConnectorDraft {
  return {
    siteId,
    title: '',
    host: '',
    port: DEFAULT_PORTS.tls,
    portIsManual: false,
    security: 'tls',
    auth: 'login',
    username: '',
    password: '',
    clearPassword: false,
    oauthAccountId: null,
    sender: '',
    senderName: '',
    replyTo: '',
    connectionTimeoutSec: 60,
    trustedCertificatePem: '',
    allowPlainLogin: false,
    presetId: null,
    extraProperties: [],
    mailDebug: false,
    maxSessions: 4,
    rateLimitPerMinute: null,
    dailyLimit: null,
    retryDelays: '10, 30',
    pop: { host: '', port: 110, security: 'none', username: '', password: '', apop: false, delayMs: 5 },
  };
}

export function draftOf(c: Connector): ConnectorDraft {
  return {
    siteId: c.siteId,
    title: c.title,
    host: c.host,
    port: c.port,
    portIsManual: c.portIsManual,
    security: c.security,
    auth: c.auth,
    username: c.username,
    password: '',
    clearPassword: false,
    oauthAccountId: c.oauthAccountId,
    sender: c.sender,
    senderName: c.senderName,
    replyTo: c.replyTo,
    connectionTimeoutSec: c.connectionTimeoutSec,
    trustedCertificatePem: c.trustedCertificate?.pem ?? '',
    allowPlainLogin: c.allowPlainLogin,
    presetId: c.presetId,
    extraProperties: c.extraProperties,
    mailDebug: c.mailDebug,
    maxSessions: c.maxSessions,
    rateLimitPerMinute: c.rateLimitPerMinute,
    dailyLimit: c.dailyLimit,
    retryDelays: c.retryDelaysSec.join(', '),
    pop: c.pop
      ? {
          host: c.pop.host,
          port: c.pop.port,
          security: c.pop.security,
          username: c.pop.username,
          password: '',
          apop: c.pop.apop,
          delayMs: c.pop.delayMs,
        }
      : emptyDraft(c.siteId).pop,
  };
}

/** Applies a provider preset; the user's title, login and sender stay. */
export function applyPreset(d: ConnectorDraft, preset: ConnectorPreset, sesRegion?: string): ConnectorDraft {
  return {
    ...d,
    presetId: preset.id,
    host: preset.provider === 'ses' && sesRegion ? sesHost(sesRegion) : preset.host || d.host,
    security: preset.security,
    port: preset.port,
    portIsManual: preset.port !== DEFAULT_PORTS[preset.security],
    auth: preset.auth,
    rateLimitPerMinute: preset.rateLimitPerMinute,
    dailyLimit: preset.dailyLimit,
    title: d.title || preset.label.replace(/ —.*$/, '') + ' alerts',
  };
}

/** Mode change: the port follows the mode (465/587/25) until the user typed one. */
export function withSecurity(d: ConnectorDraft, security: SecurityMode): ConnectorDraft {
  return { ...d, security, port: d.portIsManual ? d.port : DEFAULT_PORTS[security] };
}

/** Turns the draft into the call's input. Numbers left empty are sent as-is so the schema names the field. */
export function inputOf(d: ConnectorDraft): ConnectorInput {
  const retry =
    d.retryDelays.trim() === ''
      ? []
      : d.retryDelays
          .split(/[\s,;]+/)
          .filter(Boolean)
          .map(Number);
  const input: ConnectorInput = {
    siteId: d.siteId,
    title: d.title,
    host: d.host,
    port: d.port as number,
    portIsManual: d.portIsManual,
    security: d.security,
    auth: d.auth,
    username: d.username,
    clearPassword: d.clearPassword,
    oauthAccountId: d.auth === 'xoauth2' ? d.oauthAccountId : null,
    sender: d.sender,
    senderName: d.senderName,
    replyTo: d.replyTo,
    connectionTimeoutSec: d.connectionTimeoutSec as number,
    trustedCertificatePem: d.trustedCertificatePem.trim() === '' ? null : d.trustedCertificatePem,
    allowPlainLogin: d.allowPlainLogin,
    presetId: d.presetId,
    extraProperties: d.extraProperties,
    mailDebug: d.mailDebug,
    maxSessions: d.maxSessions as number,
    rateLimitPerMinute: d.rateLimitPerMinute,
    dailyLimit: d.dailyLimit,
    retryDelaysSec: retry,
    pop:
      d.auth === 'pop-before-smtp'
        ? {
            host: d.pop.host,
            port: d.pop.port as number,
            security: d.pop.security,
            username: d.pop.username,
            ...(d.pop.password ? { password: d.pop.password } : {}),
            apop: d.pop.apop,
            delayMs: d.pop.delayMs as number,
          }
        : null,
  };
  if (d.password !== '') input.password = d.password;
  return input;
}

export const presetOf = (d: ConnectorDraft) => presetById(d.presetId);
