import { parseLines, stringify } from 'dot-properties';
import type { AuthMethod, Connector, SecurityMode } from './domain.ts';
import { DEFAULT_PORTS } from './presets.ts';
import { quoted } from './validation.ts';

/**
 * JavaMail-style connector properties (seed 000): `mail.smtp.host`, `.port`, `.auth`,
 * `.ssl.enable`, `.starttls.enable`, `mail.debug`, … AlertDesk maps the keys it understands onto
 * connector fields and keeps every other key, in order, so it is exported again unchanged.
 */

export interface JavaMailFields {
  host?: string;
  port?: number;
  portIsManual?: boolean;
  security?: SecurityMode;
  auth?: AuthMethod;
  username?: string;
  sender?: string;
  connectionTimeoutSec?: number;
  mailDebug?: boolean;
}

export interface JavaMailImport {
  fields: JavaMailFields;
  extraProperties: Array<[string, string]>;
  warnings: string[];
}

const MECHANISMS: Record<string, AuthMethod> = { PLAIN: 'plain', LOGIN: 'login', 'CRAM-MD5': 'cram-md5' };
const MECHANISM_NAMES: Partial<Record<AuthMethod, string>> = {
  plain: 'PLAIN',
  login: 'LOGIN',
  'cram-md5': 'CRAM-MD5',
  xoauth2: 'XOAUTH2',
};

/** Keys whose meaning AlertDesk takes over; everything else is kept verbatim. */
const MAPPED = new Set([
  'mail.transport.protocol',
  'host',
  'port',
  'auth',
  'auth.mechanisms',
  'ssl.enable',
  'starttls.enable',
  'starttls.required',
  'user',
  'from',
  'connectiontimeout',
  'mail.debug',
]);

/**
 * A key whose last part names a secret (`mail.smtp.password`, `.passwd`, `.pwd`, `.secret`,
 * `.oauth.token`, `.credentials`…): never imported, never kept as an extra property, so it can
 * neither sit in the store in clear nor travel in an export.
 */
export function holdsSecret(key: string): boolean {
  const last = key.slice(key.lastIndexOf('.') + 1);
  return /pass|pwd|secret|token|credential|api-?key/i.test(last);
}

const truthy = (v: string | undefined): boolean | undefined =>
  v === undefined ? undefined : /^(true|yes|1|on)$/i.test(v.trim());

/** `mail.smtp.port` and `mail.smtps.port` mean the same to us; the protocol decides SSL. */
function shortKey(key: string): string {
  const m = /^mail\.smtps?\.(.+)$/.exec(key);
  return m ? m[1]! : key;
}

export function parseJavaMailProperties(text: string): JavaMailImport {
  const warnings: string[] = [];
  const pairs: Array<[string, string]> = [];
  for (const line of parseLines(text.replace(/^\uFEFF/, ''))) {
    if (Array.isArray(line) && line.length >= 2) pairs.push([line[0]!, line[1]!]);
  }

  const known = new Map<string, string>();
  const extraProperties: Array<[string, string]> = [];
  const protocol = pairs
    .find(([k]) => k === 'mail.transport.protocol')?.[1]
    ?.trim()
    .toLowerCase();

  for (const [key, rawValue] of pairs) {
    const value = rawValue.trim();
    if (holdsSecret(key)) {
      warnings.push(
        `${quoted(key)} holds a password or another secret; it was not imported. Enter the password in the Password field, where it is stored encrypted.`,
      );
      continue;
    }
    const short = key === 'mail.transport.protocol' || key === 'mail.debug' ? key : shortKey(key);
    const isSmtpKey =
      /^mail\.smtps?\./.test(key) || key === 'mail.transport.protocol' || key === 'mail.debug';
    if (isSmtpKey && MAPPED.has(short)) {
      if (known.has(short) && known.get(short) !== value)
        warnings.push(`${quoted(key)} appears twice; the last value (${quoted(value)}) is used.`);
      known.set(short, value);
      continue;
    }
    if (/^mail\.smtps?\.ssl\.trust$/.test(key) && value === '*') {
      warnings.push(
        `${quoted(`${key}=*`)} trusts every certificate. AlertDesk never does that: pin the relay's certificate in the connector instead. The key is kept for export only.`,
      );
    }
    if (/^mail\.smtps?\.ssl\.checkserveridentity$/.test(key) && truthy(value) === false) {
      warnings.push(
        `${quoted(`${key}=false`)} turns host-name checks off. AlertDesk always checks the name; the key is kept for export only.`,
      );
    }
    extraProperties.push([key, rawValue]);
  }

  const fields: JavaMailFields = {};
  const hostValue = known.get('host');
  if (hostValue) fields.host = hostValue;

  const ssl = truthy(known.get('ssl.enable')) === true || protocol === 'smtps';
  const starttls =
    truthy(known.get('starttls.enable')) === true || truthy(known.get('starttls.required')) === true;
  if (ssl && starttls) warnings.push('Both SSL and STARTTLS are enabled; SSL (implicit TLS) is used.');
  if (ssl) fields.security = 'tls';
  else if (starttls) fields.security = 'starttls';
  else if (known.has('ssl.enable') || known.has('starttls.enable') || protocol === 'smtp')
    fields.security = 'none';

  const portValue = known.get('port');
  if (portValue !== undefined) {
    const port = Number(portValue);
    if (Number.isInteger(port) && port >= 1 && port <= 65535) {
      fields.port = port;
      fields.portIsManual = port !== DEFAULT_PORTS[fields.security ?? 'tls'];
    } else {
      warnings.push(`mail.smtp.port ${quoted(portValue)} is not a port number; it was ignored.`);
    }
  } else if (fields.security) {
    fields.port = DEFAULT_PORTS[fields.security];
    fields.portIsManual = false;
  }

  const authValue = truthy(known.get('auth'));
  if (authValue === false) fields.auth = 'none';
  else if (authValue === true) {
    const listed = (known.get('auth.mechanisms') ?? '')
      .toUpperCase()
      .split(/[\s,]+/)
      .filter(Boolean);
    const usable = listed.map((m) => MECHANISMS[m]).filter((m): m is AuthMethod => m !== undefined);
    fields.auth = usable[0] ?? 'login';
    const unusable = listed.filter((m) => !MECHANISMS[m]);
    if (unusable.length > 0)
      warnings.push(
        `Login methods ${unusable.join(', ')} are not supported; ${fields.auth.toUpperCase()} is used.`,
      );
  }

  const logsIn = fields.auth === 'plain' || fields.auth === 'login' || fields.auth === 'cram-md5';
  if (logsIn && fields.security === 'none')
    // JavaMail has no property for it: the platform simply logs in in clear text. AlertDesk does
    // not, unless the connector says so (its "Allow login without encryption" switch).
    warnings.push(
      'These properties log in without encryption. AlertDesk logs in only after STARTTLS when the server offers it; for a relay inside a trusted network that offers none, turn on "Allow login without encryption".',
    );

  const user = known.get('user');
  if (user) fields.username = user;
  const from = known.get('from');
  if (from) fields.sender = from;

  const timeout = known.get('connectiontimeout');
  if (timeout !== undefined) {
    const ms = Number(timeout);
    if (Number.isFinite(ms) && ms > 0)
      fields.connectionTimeoutSec = Math.min(600, Math.max(1, Math.ceil(ms / 1000)));
    else
      warnings.push(
        `mail.smtp.connectiontimeout ${quoted(timeout)} is not a number of milliseconds; it was ignored.`,
      );
  }
  const debug = truthy(known.get('mail.debug'));
  if (debug !== undefined) fields.mailDebug = debug;
  if (debug)
    warnings.push(
      'mail.debug is on: debug logs can expose server details (seed 000). Turn it off once the connector works.',
    );

  return { fields, extraProperties, warnings };
}

type ExportableConnector = Pick<
  Connector,
  | 'title'
  | 'host'
  | 'port'
  | 'security'
  | 'auth'
  | 'username'
  | 'sender'
  | 'connectionTimeoutSec'
  | 'mailDebug'
  | 'extraProperties'
>;

export function formatJavaMailProperties(connector: ExportableConnector, exportedAt: string): string {
  const usesLogin = connector.auth !== 'none' && connector.auth !== 'pop-before-smtp';
  const lines: Array<string | [string, string]> = [
    `# AlertDesk connector: ${connector.title}`,
    `# Exported ${exportedAt}. The password is never exported.`,
    ['mail.transport.protocol', 'smtp'],
    ['mail.smtp.host', connector.host],
    ['mail.smtp.port', String(connector.port)],
    ['mail.smtp.auth', String(usesLogin)],
  ];
  const mechanism = MECHANISM_NAMES[connector.auth];
  if (mechanism) lines.push(['mail.smtp.auth.mechanisms', mechanism]);
  lines.push(['mail.smtp.ssl.enable', String(connector.security === 'tls')]);
  lines.push(['mail.smtp.starttls.enable', String(connector.security === 'starttls')]);
  if (connector.security === 'starttls') lines.push(['mail.smtp.starttls.required', 'true']);
  if (connector.username) lines.push(['mail.smtp.user', connector.username]);
  lines.push(['mail.smtp.from', connector.sender]);
  lines.push(['mail.smtp.connectiontimeout', String(connector.connectionTimeoutSec * 1000)]);
  lines.push(['mail.debug', String(connector.mailDebug)]);
  for (const pair of connector.extraProperties) lines.push(pair);
  return stringify(lines, { keySep: '=', lineWidth: null }) + '\n';
}
