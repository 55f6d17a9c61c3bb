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
import { emailAddress, id, isoDate } from '../../../shared/validation.ts';
import { mailboxShape } from '../../../shared/mailboxes.ts';
import { HeartbeatConfigSchema } from '../../../shared/heartbeats.ts';
import { APP_PASSWORD_STATUSES } from '../../../shared/vault.ts';

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
  })
  .strict();
export type BackupPayload = z.output<typeof BackupPayload>;
