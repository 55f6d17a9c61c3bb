import { z } from 'zod';
import { id } from './validation.ts';

/**
 * Basic-auth readiness: every connector and camera that logs in to Microsoft 365 or Outlook.com
 * with a password (and Gmail with an app password), what stops working when, and the ways out.
 */

/**
 * Microsoft turns basic-auth SMTP AUTH off by default for existing tenants at the end of
 * December 2026; tenants created after that never have it. Outlook.com personal accounts lost it
 * in September 2024.
 */
export const M365_BASIC_AUTH_CUTOFF = '2026-12-31';
export const OUTLOOK_COM_CUTOFF = '2024-09-16';

export type ReadinessProvider = 'office365' | 'outlook' | 'gmail';

export const READINESS_PROVIDER_LABELS: Record<ReadinessProvider, string> = {
  office365: 'Microsoft 365',
  outlook: 'Outlook.com (personal)',
  gmail: 'Gmail / Google Workspace',
};

/**
 * stops: logs in with a password to Microsoft 365 and stops at the cutoff; stopped: already
 * refused; at-risk: a Gmail app password, revoked without warning; ready: signs in with OAuth2.
 */
export const READINESS_VERDICTS = ['stopped', 'stops', 'at-risk', 'ready'] as const;
export type ReadinessVerdict = (typeof READINESS_VERDICTS)[number];

export const READINESS_VERDICT_LABELS: Record<ReadinessVerdict, string> = {
  stopped: 'Already refused',
  stops: 'Stops at the cutoff',
  'at-risk': 'At risk',
  ready: 'Ready (OAuth2)',
};

export type ReadinessOptionId =
  'oauth2-connector' | 'site-relay' | 'm365-relay-connector' | 'other-provider' | 'keep-verified';

/** The ways out, in plain words; the customer export prints them once, items refer to them. */
export const READINESS_OPTIONS: Record<ReadinessOptionId, { title: string; text: string }> = {
  'oauth2-connector': {
    title: 'Switch the connector to OAuth2',
    text: 'AlertDesk signs in to the mailbox with OAuth2 (XOAUTH2) instead of a password: open the connector, choose authentication "OAuth2 (XOAUTH2)" and sign in. This covers AlertDesk\'s own test e-mails and handover runs, not the cameras.',
  },
  'site-relay': {
    title: 'An SMTP relay on site',
    text: 'Cameras cannot do OAuth2. Point them at a small relay on the site network (a router, NAS or mini-PC) that accepts their mail without a password on the LAN and sends it on to Microsoft 365 or Gmail with OAuth2 or a relay connector. AlertDesk will offer such a relay; until then any SMTP relay does.',
  },
  'm365-relay-connector': {
    title: "Microsoft 365 relay connector by the site's IP",
    text: "In the Exchange admin center, add an inbound connector that accepts mail from the site's fixed public IP address. The cameras then send without a password to <your-domain>.mail.protection.outlook.com on port 25 (STARTTLS). Needs a fixed IP at the site and port 25 open outbound.",
  },
  'other-provider': {
    title: 'Another provider',
    text: 'Move the alert mail to a provider that still accepts SMTP passwords for devices, such as Amazon SES or a transactional mail service, with one login per site.',
  },
  'keep-verified': {
    title: 'Keep the app password verified',
    text: 'Verify the app passwords regularly in AlertDesk (no e-mail is sent) and rotate them when the account password changes; plan a relay or OAuth2 for the long run.',
  },
};

/** The whole story per provider, printed once under the table (items carry a short line). */
export const READINESS_PROVIDER_STORIES: Record<ReadinessProvider, string> = {
  office365:
    'Microsoft turns SMTP AUTH with passwords (basic authentication) off by default for existing Microsoft 365 tenants at the end of December 2026; tenants created after that never have it. From then on every camera and app that logs in with a password is refused with "535 5.7.139 Authentication unsuccessful" and its alert e-mails stop, silently, until someone notices an alert that never came. An administrator can turn SMTP AUTH back on per mailbox for a while, but Microsoft has announced its final removal.',
  outlook:
    'Personal Outlook.com / Hotmail accounts stopped accepting passwords and app passwords for SMTP in September 2024. Devices that still use them are already not sending.',
  gmail:
    'Gmail still accepts app passwords, but every app password of an account is revoked without warning when its password changes or 2-Step Verification is turned off, and Google steers accounts towards OAuth2. A camera with a revoked app password stops sending until someone enters a new one.',
};

export interface ReadinessItem {
  kind: 'connector' | 'camera';
  id: string;
  name: string;
  siteId: string;
  siteName: string;
  customer: string;
  /** The login: the mailbox the password (or sign-in) belongs to. */
  account: string;
  provider: ReadinessProvider;
  /** How AlertDesk knows it logs in there: "host smtp.office365.com", "preset Office 365"… */
  detectedBy: string;
  /** How it logs in: "password (LOGIN)", "app password", "OAuth2". */
  login: string;
  verdict: ReadinessVerdict;
  /** What stops working, and when, in one short line (the provider's story says why). */
  whatStops: string;
  options: ReadinessOptionId[];
  connectorId: string | null;
  connectorTitle: string;
  /** The last test or verification, when there was one. */
  lastResult: string | null;
}

export interface ReadinessReport {
  generatedAt: string;
  cutoff: string;
  /** Whole days from today to the cutoff; negative once it has passed. */
  daysLeft: number;
  items: ReadinessItem[];
  counts: {
    sites: number;
    accounts: number;
    connectors: number;
    cameras: number;
    byVerdict: Record<ReadinessVerdict, number>;
  };
}

export const ReadinessInput = z
  .object({
    siteId: id('Site').optional(),
    customer: z.string().max(200).optional(),
  })
  .strict()
  .optional();
export type ReadinessInputT = z.input<typeof ReadinessInput>;
