import { z } from 'zod';

/**
 * Arrival proof: a delivery's second verdict. "250 OK" says a server queued the message; the
 * arrival says whether it landed where the customer will see it, found by its token in a watched
 * mailbox: arrived (Inbox), in Junk, not arrived within the wait, or not checked.
 */

export const ARRIVAL_STATES = ['waiting', 'arrived', 'junk', 'not-arrived', 'not-checked'] as const;
export type ArrivalState = (typeof ARRIVAL_STATES)[number];

export const ARRIVAL_LABELS: Record<ArrivalState, string> = {
  waiting: 'waiting',
  arrived: 'arrived',
  junk: 'in Junk',
  'not-arrived': 'not arrived',
  'not-checked': 'not checked',
};

export const AUTH_METHODS_CHECKED = ['spf', 'dkim', 'dmarc'] as const;
export type AuthMethodChecked = (typeof AUTH_METHODS_CHECKED)[number];

/** One method of an Authentication-Results header (RFC 8601), with what to do when it failed. */
export interface AuthCheck {
  method: AuthMethodChecked;
  /** The result keyword as the receiving server wrote it (pass, fail, softfail, none…); null: not reported. */
  result: string | null;
  /** true: passed; false: failed; null: nothing proven either way (none, neutral, temperror, not reported). */
  ok: boolean | null;
  /** The domain the result is about (smtp.mailfrom, header.d, header.from). */
  domain: string | null;
  /** The server's own comment, e.g. "domain of … does not designate 1.2.3.4 as permitted sender". */
  comment: string | null;
  /** What to change, in plain words; null when it passed. */
  fix: string | null;
}

export interface AuthResults {
  /** The server that wrote the header (its authserv-id; '' when it names none, as Microsoft 365). */
  authservId: string;
  checks: AuthCheck[];
  /** The header as found (unfolded). */
  header: string;
}

export interface RecipientArrival {
  recipient: string;
  state: ArrivalState;
  acceptedAt: string;
  /** When "not arrived" is decided if nothing turns up. */
  dueAt: string;
  mailboxId: string | null;
  mailboxTitle: string | null;
  folder: string | null;
  folderRole: 'inbox' | 'junk' | 'other' | null;
  arrivedAt: string | null;
  /** Minutes between the SMTP accept and the mailbox receiving it (one decimal). */
  minutesAfter: number | null;
  /** Why it was not checked or did not arrive, or a note on a late arrival. */
  reason: string | null;
  auth: AuthResults | null;
}

export interface DeliveryArrival {
  deliveryId: string;
  runId: string | null;
  token: string;
  overall: ArrivalState;
  recipients: RecipientArrival[];
  /** One sentence for the whole delivery. */
  summary: string;
  /** What to do, when something is wrong (Junk, not arrived, failed SPF/DKIM/DMARC): `fixes` in one text. */
  fix: string | null;
  /** Each thing to do, one per problem. */
  fixes: string[];
}

export interface ArrivalEvent {
  arrival: DeliveryArrival;
}

/** Settings of arrival proof (part of the app's settings). */
export const ARRIVAL_SETTINGS_SHAPE = {
  /** How long after the SMTP accept a message may take to land before it is "not arrived". */
  arrivalWaitMinutes: z
    .number({ error: 'The wait must be a number of minutes.' })
    .int('The wait must be a whole number of minutes.')
    .min(1, 'Wait at least 1 minute.')
    .max(1440, 'The wait is at most 1440 minutes (a day).'),
  /** Also put the token in the subject (`[AD:…]`), for servers that strip unknown headers. */
  tokenInSubject: z.boolean({ error: 'Token in subject must be yes or no.' }),
};
export const DEFAULT_ARRIVAL_SETTINGS = { arrivalWaitMinutes: 5, tokenInSubject: false };

/** Options of a handover run about arrival proof. */
export const RUN_ARRIVAL_OPTIONS = {
  /** A camera passes only when its mail arrived in the Inbox (in Junk or not arrived = failed). */
  requireArrival: z.boolean().default(false),
  /** Overrides the setting for this run's messages. */
  tokenInSubject: z.boolean().optional(),
};

/** The token of a test message: 12 characters of Crockford base32 (60 random bits). */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export function newToken(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(12));
  let out = '';
  for (const b of bytes) out += CROCKFORD[b & 31];
  return out;
}

/** The subject with the short token suffix, for servers that strip unknown headers. */
export const subjectWithToken = (subject: string, token: string) => `${subject} [AD:${token}]`;
