import type { AuthMethod, SecurityMode } from './domain.ts';
import { DEFAULT_PORTS, presetById, type PresetNotice } from './presets.ts';

/** What the connector form and table say about a configuration before anything is sent. */
export interface ConnectorAdviceInput {
  host: string;
  port: number;
  security: SecurityMode;
  auth: AuthMethod;
  username: string;
  sender: string;
  presetId: string | null;
  mailDebug: boolean;
  /** The "allow login without encryption" switch. */
  allowPlainLogin: boolean;
  /** Only known while the user types a new password in the form. */
  newPassword?: string | undefined;
}

export interface Advice extends PresetNotice {
  field?: string;
}

const usesLogin = (auth: AuthMethod) =>
  auth === 'plain' || auth === 'login' || auth === 'cram-md5' || auth === 'xoauth2';

export function connectorAdvice(c: ConnectorAdviceInput): Advice[] {
  const out: Advice[] = [];
  const preset = presetById(c.presetId);
  if (preset) out.push(...preset.notices);

  if (
    usesLogin(c.auth) &&
    c.username.includes('@') &&
    c.sender &&
    c.sender.toLowerCase() !== c.username.toLowerCase()
  ) {
    out.push({
      level: 'warning',
      field: 'sender',
      text: `The sender (${c.sender}) differs from the login (${c.username}). Most providers reject or spam-file such mail unless the account may send as that address.`,
    });
  }
  if (c.security === 'none' && usesLogin(c.auth)) {
    out.push({
      level: 'warning',
      field: 'security',
      text: c.allowPlainLogin
        ? 'Login without encryption is allowed: where the server offers no STARTTLS, the password crosses the network in clear text. Use STARTTLS or SSL/TLS unless this relay is inside a trusted network.'
        : 'Without encryption AlertDesk logs in only after upgrading with STARTTLS; a server that does not offer it gets no password. Use STARTTLS or SSL/TLS.',
    });
  } else if (c.security === 'none') {
    out.push({
      level: 'info',
      field: 'security',
      text: 'Mail is sent unencrypted. Use encryption unless this is a relay inside a trusted network.',
    });
  }
  if (c.security === 'tls' && c.port === DEFAULT_PORTS.starttls) {
    out.push({
      level: 'warning',
      field: 'port',
      text: 'Port 587 normally expects STARTTLS, not SSL from the first byte.',
    });
  }
  if (c.security !== 'tls' && c.port === DEFAULT_PORTS.tls) {
    out.push({
      level: 'warning',
      field: 'port',
      text: 'Port 465 normally expects SSL/TLS from the first byte; plain or STARTTLS will time out.',
    });
  }
  if (
    /(^|\.)gmail\.com$|googlemail\.com$/i.test(c.host) &&
    c.newPassword !== undefined &&
    c.newPassword !== ''
  ) {
    const compact = c.newPassword.replace(/\s+/g, '');
    if (!/^[a-z]{16}$/i.test(compact)) {
      out.push({
        level: 'warning',
        field: 'password',
        text: 'Google app passwords are 16 letters. This looks like an account password, which Gmail rejects (534 5.7.9).',
      });
    }
  }
  if (c.mailDebug) {
    out.push({
      level: 'info',
      field: 'mailDebug',
      text: 'Mail debug is on: transcripts keep full server details. Turn it off in production (seed 000).',
    });
  }
  return out;
}
