import { z } from 'zod';
import { emailAddress, id } from './validation.ts';

/**
 * OAuth2 sign-in for Microsoft 365 / Outlook.com and Gmail: the sign-in apps (client IDs), the
 * signed-in accounts as the renderer sees them (never a token), and the schemas of their calls.
 */

export const OAUTH_PROVIDERS = ['microsoft', 'google'] as const;
export type OAuthProvider = (typeof OAUTH_PROVIDERS)[number];

export const OAUTH_PROVIDER_LABELS: Record<OAuthProvider, string> = {
  microsoft: 'Microsoft',
  google: 'Google',
};

/** What a sign-in is for: sending (SMTP) and, for watched mailboxes, reading (IMAP). */
export const OAUTH_ACCESS = ['smtp', 'imap'] as const;
export type OAuthAccess = (typeof OAUTH_ACCESS)[number];

/** The scopes asked for, per provider and access. `offline_access` / `access_type=offline` gives the refresh token. */
export const OAUTH_SCOPES: Record<OAuthProvider, Record<OAuthAccess | 'base', string[]>> = {
  microsoft: {
    base: ['openid', 'email', 'profile', 'offline_access'],
    smtp: ['https://outlook.office.com/SMTP.Send'],
    imap: ['https://outlook.office.com/IMAP.AccessAsUser.All'],
  },
  google: {
    base: ['openid', 'email'],
    // Google has one scope for SMTP and IMAP alike.
    smtp: ['https://mail.google.com/'],
    imap: ['https://mail.google.com/'],
  },
};

export function scopesFor(provider: OAuthProvider, access: readonly OAuthAccess[]): string[] {
  const scopes = OAUTH_SCOPES[provider];
  return [...new Set([...scopes.base, ...access.flatMap((a) => scopes[a])])];
}

/**
 * The apps AlertDesk signs in as. A client ID identifies an app registered at the provider; the
 * README explains how an integrator registers their own. Empty means "not set up yet": sign-in
 * refuses with a message that says where to set it.
 */
export interface OAuthApps {
  microsoft: {
    clientId: string;
    /** `common` (work, school and personal accounts), `organizations`, `consumers`, or a tenant ID / domain. */
    tenant: string;
  };
  google: {
    clientId: string;
    /** Google issues desktop apps a "secret" that is not secret; its token endpoint still wants it. */
    clientSecret: string;
  };
}

export const DEFAULT_OAUTH_APPS: OAuthApps = {
  microsoft: { clientId: '', tenant: 'common' },
  google: { clientId: '', clientSecret: '' },
};

export type OAuthAccountStatus = 'signed-in' | 'consent-revoked' | 'refresh-failing';

export interface OAuthAccount {
  id: string;
  provider: OAuthProvider;
  /** The mailbox address the provider vouched for (ID token `email` or `preferred_username`). */
  account: string;
  /** Other names the same sign-in answers to (Microsoft: UPN and e-mail may differ). */
  aliases: string[];
  displayName: string;
  /** Microsoft tenant (directory) ID; null for Google and personal Microsoft accounts' fixed tenant. */
  tenantId: string | null;
  access: OAuthAccess[];
  signedInAt: string;
  signedInBy: string;
  status: OAuthAccountStatus;
  /** The last refresh of an access token, ok or not, with the reason in plain words. */
  lastRefresh: { at: string; ok: boolean; message: string } | null;
  /** When the access token held in memory expires; null when none is held. */
  accessTokenExpiresAt: string | null;
  connectorIds: string[];
  /** Watched mailboxes set to OAuth2 whose user this sign-in answers to (they log in with it). */
  mailboxIds: string[];
}

/** What the app shows while a sign-in is under way. */
export interface SignInStart {
  flowId: string;
  provider: OAuthProvider;
  /** Microsoft: a code typed on the provider's page; Google: the browser opens and comes back. */
  method: 'device-code' | 'browser';
  userCode: string | null;
  verificationUri: string | null;
  expiresAt: string;
}

/** How a sign-in ended (one event per sign-in). */
export type SignInState = 'signed-in' | 'failed' | 'cancelled';

export interface SignInEvent {
  flowId: string;
  state: SignInState;
  account: OAuthAccount | null;
  error: { code: string; message: string } | null;
}

// ─── Schemas ──────────────────────────────────────────────────────────────────────────────────

export const clientId = (label: string) =>
  z
    .string({ error: `${label} must be text.` })
    .trim()
    .max(200, `${label} is longer than 200 characters.`)
    .refine((v) => /^[\w.\-~]*$/.test(v), `${label} has characters a client ID never has.`);

export const tenantSetting = () =>
  z
    .string()
    .trim()
    .min(1, 'Give a tenant: common, organizations, consumers, or your tenant ID or domain.')
    .max(200)
    .refine(
      (v) => /^[a-z0-9][a-z0-9.-]*$/i.test(v),
      'A tenant is common, organizations, consumers, a tenant ID or a domain such as contoso.onmicrosoft.com.',
    );

export const OAuthAppsFields = z
  .object({
    microsoft: z
      .object({
        clientId: clientId('Microsoft client ID'),
        tenant: tenantSetting(),
      })
      .strict(),
    google: z
      .object({
        clientId: clientId('Google client ID'),
        clientSecret: z
          .string()
          .trim()
          .max(200, 'Google client secret is longer than 200 characters.')
          .refine((v) => !/[\s]/.test(v), 'Google client secret has no spaces.'),
      })
      .strict(),
  })
  .strict();

/** What a sign-in is started from, for the words of its errors. */
export const SIGN_IN_PURPOSES = ['connector', 'mailbox'] as const;
export type SignInPurpose = (typeof SIGN_IN_PURPOSES)[number];

export const SignInInput = z
  .object({
    provider: z.enum(OAUTH_PROVIDERS, { error: 'Provider must be microsoft or google.' }),
    /** The connector's or mailbox's user name: the signed-in account must be this one. */
    expectedAccount: emailAddress('User name').optional(),
    access: z.array(z.enum(OAUTH_ACCESS)).min(1).max(2).default(['smtp']),
    purpose: z.enum(SIGN_IN_PURPOSES, { error: 'Purpose must be connector or mailbox.' }).optional(),
  })
  .strict();
export type SignInInputT = z.input<typeof SignInInput>;

export const FlowRef = z.object({ flowId: z.string().min(1).max(64) }).strict();
export const OAuthAccountRef = z.object({ id: id('Account') }).strict();

/** Which sign-in provider answers for a connector preset's provider. */
export const OAUTH_PROVIDER_OF_PRESET: Record<string, OAuthProvider | undefined> = {
  gmail: 'google',
  office365: 'microsoft',
  outlook: 'microsoft',
};

/** SMTP hosts each sign-in provider's tokens are good for (XOAUTH2). */
export const OAUTH_SMTP_HOSTS: Record<OAuthProvider, string[]> = {
  microsoft: ['smtp.office365.com', 'smtp-mail.outlook.com', 'smtp.outlook.com', 'outlook.office365.com'],
  google: ['smtp.gmail.com'],
};

/** IMAP hosts each sign-in provider's tokens are good for (XOAUTH2 / OAUTHBEARER). */
export const OAUTH_IMAP_HOSTS: Record<OAuthProvider, string[]> = {
  microsoft: ['outlook.office365.com', 'outlook.office.com', 'imap-mail.outlook.com'],
  google: ['imap.gmail.com'],
};

/**
 * Which sign-in answers for a connector or mailbox: its preset's provider, else its host (one of
 * `hosts`); null for any other server.
 */
export function oauthProviderFor(
  presetProvider: string | undefined,
  host: string,
  hosts: Record<OAuthProvider, string[]>,
): OAuthProvider | null {
  const byPreset = presetProvider ? OAUTH_PROVIDER_OF_PRESET[presetProvider] : undefined;
  if (byPreset) return byPreset;
  const h = host.trim().toLowerCase();
  for (const provider of OAUTH_PROVIDERS) if (hosts[provider].includes(h)) return provider;
  return null;
}

/** Case-insensitive: does a sign-in answer to this user name? */
export function accountAnswersTo(account: Pick<OAuthAccount, 'account' | 'aliases'>, user: string): boolean {
  const u = user.trim().toLowerCase();
  return [account.account, ...account.aliases].some((name) => name.toLowerCase() === u);
}
