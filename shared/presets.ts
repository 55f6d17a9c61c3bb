import type { AuthMethod, SecurityMode } from './domain.ts';

/** Port a security mode implies until the user types another one (seeds 001, 002, 004). */
export const DEFAULT_PORTS: Record<SecurityMode, number> = { tls: 465, starttls: 587, none: 25 };

export const SECURITY_LABELS: Record<SecurityMode, string> = {
  tls: 'SSL/TLS (implicit, port 465)',
  starttls: 'STARTTLS (port 587)',
  none: 'None (plain, port 25)',
};

export const AUTH_LABELS: Record<AuthMethod, string> = {
  none: 'None',
  plain: 'PLAIN',
  login: 'LOGIN',
  'cram-md5': 'CRAM-MD5',
  'pop-before-smtp': 'POP-before-SMTP',
  xoauth2: 'OAuth2 (XOAUTH2)',
};

export type PresetNoticeLevel = 'info' | 'warning' | 'blocker';

export interface PresetNotice {
  level: PresetNoticeLevel;
  text: string;
}

export interface ConnectorPreset {
  id: string;
  label: string;
  provider: 'gmail' | 'office365' | 'outlook' | 'ses' | 'relay';
  host: string;
  security: SecurityMode;
  port: number;
  auth: AuthMethod;
  /** How the password field is labelled and what it expects. */
  passwordHint: string;
  /** Rate limits the provider is known for, pre-filled on the connector. */
  rateLimitPerMinute: number | null;
  dailyLimit: number | null;
  notices: PresetNotice[];
}

export const SES_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'eu-south-1',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'sa-east-1',
  'me-south-1',
  'af-south-1',
] as const;

const GMAIL_PASSWORD =
  'A 16-character Google app password (myaccount.google.com/apppasswords; 2-Step Verification must be on). Spaces are removed.';

export const PRESETS: ConnectorPreset[] = [
  {
    id: 'gmail-ssl',
    label: 'Gmail — SSL on 465',
    provider: 'gmail',
    host: 'smtp.gmail.com',
    security: 'tls',
    port: 465,
    auth: 'login',
    passwordHint: GMAIL_PASSWORD,
    rateLimitPerMinute: null,
    dailyLimit: 500,
    notices: [
      {
        level: 'info',
        text: 'Gmail needs an app password, not the account password. All app passwords of the account are revoked when its password changes or 2-Step Verification is turned off.',
      },
      { level: 'info', text: 'The sender must be the Gmail address you log in with (or a verified alias).' },
    ],
  },
  {
    id: 'gmail-starttls',
    label: 'Gmail — STARTTLS on 587',
    provider: 'gmail',
    host: 'smtp.gmail.com',
    security: 'starttls',
    port: 587,
    auth: 'login',
    passwordHint: GMAIL_PASSWORD,
    rateLimitPerMinute: null,
    dailyLimit: 500,
    notices: [
      {
        level: 'info',
        text: 'For cameras whose firmware cannot do SSL on 465. Needs an app password, like the SSL preset.',
      },
    ],
  },
  {
    id: 'office365',
    label: 'Office 365 / Microsoft 365',
    provider: 'office365',
    host: 'smtp.office365.com',
    security: 'starttls',
    port: 587,
    auth: 'login',
    passwordHint: 'The mailbox password, or an app password when the account uses MFA.',
    rateLimitPerMinute: 30,
    dailyLimit: 10000,
    notices: [
      {
        level: 'warning',
        text: 'Microsoft turns basic SMTP AUTH off by default for existing tenants at the end of December 2026. Check that SMTP AUTH is enabled for this mailbox, or plan a move to a relay.',
      },
      {
        level: 'info',
        text: 'Office 365 accepts 30 messages a minute per mailbox; the connector is limited to that.',
      },
      { level: 'info', text: 'Sending from another address needs "Send As" rights on it (else 550 5.7.60).' },
    ],
  },
  {
    id: 'outlook-com',
    label: 'Outlook.com / Hotmail (personal)',
    provider: 'outlook',
    host: 'smtp-mail.outlook.com',
    security: 'starttls',
    port: 587,
    auth: 'login',
    passwordHint: 'Personal Outlook.com accounts no longer accept passwords for SMTP.',
    rateLimitPerMinute: null,
    dailyLimit: 300,
    notices: [
      {
        level: 'blocker',
        text: 'Since September 2024 personal Outlook.com accounts accept neither basic authentication nor app passwords for SMTP. Cameras that only support a password cannot send through Outlook.com: use another provider or a relay.',
      },
    ],
  },
  {
    id: 'office365-oauth',
    label: 'Microsoft 365 — OAuth2',
    provider: 'office365',
    host: 'smtp.office365.com',
    security: 'starttls',
    port: 587,
    auth: 'xoauth2',
    passwordHint: 'No password: AlertDesk signs in with the mailbox (OAuth2).',
    rateLimitPerMinute: 30,
    dailyLimit: 10000,
    notices: [
      {
        level: 'info',
        text: 'AlertDesk signs in to the mailbox with OAuth2 (XOAUTH2) and keeps working after Microsoft turns basic SMTP AUTH off. The mailbox still needs "Authenticated SMTP" allowed (Microsoft 365 admin center → user → Mail → Manage email apps).',
      },
    ],
  },
  {
    id: 'outlook-com-oauth',
    label: 'Outlook.com — OAuth2',
    provider: 'outlook',
    host: 'smtp-mail.outlook.com',
    security: 'starttls',
    port: 587,
    auth: 'xoauth2',
    passwordHint: 'No password: AlertDesk signs in with the account (OAuth2).',
    rateLimitPerMinute: null,
    dailyLimit: 300,
    notices: [
      {
        level: 'info',
        text: 'Personal Outlook.com accounts send only with OAuth2: AlertDesk signs in with the account. Cameras cannot do this themselves; see Basic-auth readiness for their way out.',
      },
    ],
  },
  {
    id: 'gmail-oauth',
    label: 'Gmail — OAuth2',
    provider: 'gmail',
    host: 'smtp.gmail.com',
    security: 'tls',
    port: 465,
    auth: 'xoauth2',
    passwordHint: 'No password: AlertDesk signs in with the Google account (OAuth2).',
    rateLimitPerMinute: null,
    dailyLimit: 500,
    notices: [
      {
        level: 'info',
        text: 'AlertDesk signs in with the Google account (OAuth2): no app password to be revoked when the account password changes. The sender must be the account or a verified alias.',
      },
    ],
  },
  {
    id: 'aws-ses',
    label: 'Amazon SES',
    provider: 'ses',
    host: 'email-smtp.us-east-1.amazonaws.com',
    security: 'starttls',
    port: 587,
    auth: 'login',
    passwordHint: 'The SES SMTP password generated in the SES console (not the IAM secret access key).',
    rateLimitPerMinute: null,
    dailyLimit: null,
    notices: [
      {
        level: 'info',
        text: 'Use SES SMTP credentials (SES console → SMTP settings), not IAM access keys. The sender address or its domain must be verified in SES, and new accounts are in the sandbox (verified recipients only).',
      },
    ],
  },
  {
    id: 'corporate-relay',
    label: 'Corporate relay (port 25, no login)',
    provider: 'relay',
    host: '',
    security: 'none',
    port: 25,
    auth: 'none',
    passwordHint: 'Relays usually trust the site by IP address and need no password.',
    rateLimitPerMinute: null,
    dailyLimit: null,
    notices: [
      {
        level: 'info',
        text: 'A relay usually accepts mail from the site network without login. Use STARTTLS if it offers it; pin its certificate if it is self-signed.',
      },
    ],
  },
];

export const presetById = (id: string | null | undefined): ConnectorPreset | undefined =>
  PRESETS.find((p) => p.id === id);

export const sesHost = (region: string): string => `email-smtp.${region}.amazonaws.com`;
