import { z } from 'zod';
import { CONNECTOR_STATES } from '../../../shared/domain.ts';
import {
  AppPasswordFields,
  CameraFields,
  PopBeforeSmtpFields,
  SettingsFields,
  SiteFields,
  appSecret,
  connectorRules,
  connectorShape,
} from '../../../shared/schemas.ts';
import { emailAddress, headerText, id, isoDate } from '../../../shared/validation.ts';
import { mailboxShape } from '../../../shared/mailboxes.ts';
import { HeartbeatConfigSchema } from '../../../shared/heartbeats.ts';
import { APP_PASSWORD_STATUSES } from '../../../shared/vault.ts';
import {
  OAUTH_ACCESS,
  OAUTH_PROVIDERS,
  OAuthAppsFields,
  clientId,
  tenantSetting,
} from '../../../shared/oauth.ts';

/**
 * What is inside a backup's ciphertext, checked with the very rules a record typed into the app
 * passes (host names, addresses, CR/LF in header values, lengths, ranges): a restored record is one
 * the app could have stored itself. Fields only the app sets (ids, times, states) are added here.
 */

const stamps = { createdAt: isoDate(), updatedAt: isoDate() };
const password = z
  .string()
  .max(1024)
  .refine((v) => !/[\r\n]/.test(v), 'A password must be on one line.')
  .nullable();

const SiteBackup = SiteFields.extend({
  id: id('Site'),
  handedOverAt: isoDate().nullable(),
  ...stamps,
}).strict();

const { password: _p, clearPassword: _c, pop: _pop, ...connectorInputs } = connectorShape;
const { password: _pp, clearPassword: _pc, ...popInputs } = PopBeforeSmtpFields.shape;

const ConnectorBackup = z
  .object({
    ...connectorInputs,
    id: id('Connector'),
    password,
    pop: z
      .object({ ...popInputs, password })
      .strict()
      .nullable(),
    state: z.enum(CONNECTOR_STATES),
    lastTest: z
      .object({
        at: isoDate(),
        ok: z.boolean(),
        deliveryId: id('Delivery'),
        failureClass: z.string().max(64).nullable(),
        summary: z.string().max(2000),
      })
      .strict()
      .nullable(),
    ...stamps,
  })
  .strict()
  .superRefine((value, ctx) => connectorRules({ ...value, clearPassword: false, password: undefined }, ctx));

const CameraBackup = CameraFields.extend({ id: id('Camera'), ...stamps }).strict();

const AppPasswordBackup = AppPasswordFields.extend({
  id: id('App password'),
  secret: appSecret().nullable(),
  secretLength: z.number().int().min(0).max(256).nullable(),
  status: z.enum(APP_PASSWORD_STATUSES),
  createdAt: isoDate(),
  createdBy: z.string().max(320),
  lastVerified: z
    .object({
      at: isoDate(),
      ok: z.boolean(),
      failureClass: z.string().max(64).nullable(),
      message: z.string().max(2000),
    })
    .strict()
    .nullable(),
  replacesId: id().nullable(),
  replacedById: id().nullable(),
  retiredAt: isoDate().nullable(),
  secretDestroyedAt: isoDate().nullable(),
  account: emailAddress('Account'),
}).strict();

// The sign-in a form names is not part of a mailbox (OAuth2 mailboxes log in as their user name).
const { password: _mp, clearPassword: _mc, oauthAccountId: _mo, ...mailboxInputs } = mailboxShape;

/** A watched mailbox, checked like one typed into its form; its password in clear like every secret here. */
const MailboxBackup = z
  .object({
    ...mailboxInputs,
    id: id('Mailbox'),
    password,
    ...stamps,
  })
  .strict();

/** One line of text without control characters (the rule of every header value). */
const line = (max: number) => headerText('Sign-in field', max);

/** A sign-in (OAuth2), its refresh token in clear like every secret here. */
const OAuthAccountBackup = z
  .object({
    id: id('Sign-in'),
    provider: z.enum(OAUTH_PROVIDERS),
    account: emailAddress('Signed-in account'),
    aliases: z.array(emailAddress('Signed-in account')).max(20),
    displayName: line(256),
    tenantId: z
      .string()
      .regex(/^[0-9a-f-]{1,64}$/i, 'A tenant ID is a GUID.')
      .nullable(),
    access: z.array(z.enum(OAUTH_ACCESS)).min(1).max(OAUTH_ACCESS.length),
    signedInAt: isoDate(),
    signedInBy: line(320),
    status: z.enum(['signed-in', 'consent-revoked', 'refresh-failing']),
    lastRefresh: z
      .object({ at: isoDate(), ok: z.boolean(), message: line(2000) })
      .strict()
      .nullable(),
    subject: line(256).pipe(z.string().min(1)),
    clientId: clientId('Client ID').pipe(z.string().min(1)),
    tenant: z.union([z.literal(''), tenantSetting()]),
    refreshToken: z
      .string()
      .min(1)
      .max(16_384)
      .refine((v) => /^[\x21-\x7e]+$/.test(v), 'A refresh token is printable text without spaces.'),
  })
  .strict();

export const BackupPayload = z
  .object({
    sites: z.array(SiteBackup).max(10_000),
    connectors: z.array(ConnectorBackup).max(50_000),
    cameras: z.array(CameraBackup).max(200_000),
    appPasswords: z.array(AppPasswordBackup).max(200_000),
    // Backups made before mailboxes were watched have none.
    mailboxes: z.array(MailboxBackup).max(10_000).default([]),
    // Heartbeat rules, expectations, maintenance windows, alert settings (none before heartbeats).
    heartbeats: HeartbeatConfigSchema.optional(),
    // Not strict: a setting that no longer exists is dropped instead of refusing the whole backup.
    settings: z.object(SettingsFields.shape).partial(),
    // Backups of format 1 carry no sign-ins: restoring one keeps this computer's.
    oauthAccounts: z.array(OAuthAccountBackup).max(10_000).optional(),
    oauthApps: OAuthAppsFields.optional(),
  })
  .strict();
export type BackupPayload = z.output<typeof BackupPayload>;
