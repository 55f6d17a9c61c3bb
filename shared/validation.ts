import { z } from 'zod';

/**
 * Field rules shared by every schema. Messages are written for the integrator who typed the value:
 * they name the rule and, where it helps, the fix.
 */

const CRLF = /[\r\n]/;
/**
 * C0 controls (but tab), DEL, C1 controls (U+0085 NEXT LINE among them) and the Unicode line and
 * paragraph separators: never part of a header value or an address, and some systems read them
 * as line ends.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const CONTROL_OR_TAB = /[\u0000-\u0008\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A value quoted in a message, cut to its first characters: a refused 30 MB value must not come
 * back whole in the error (nor land in a log), and the start is enough to recognise it.
 */
export function quoted(value: string, max = 60): string {
  return `"${clip(value, max)}"`;
}

/** The same, without the quotes. */
export function clip(value: string, max = 60): string {
  const flat = value.replace(/[\r\n\t]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** A value that ends up in a mail header: CR or LF would let it inject headers of its own. */
export const headerText = (label: string, max = 998) =>
  z
    .string({ error: `${label} must be text.` })
    .max(max, `${label} is longer than ${max} characters.`)
    .refine(
      (v) => !CRLF.test(v),
      `${label} must be on one line (line breaks are not allowed in mail headers).`,
    )
    .refine((v) => !CONTROL.test(v), `${label} contains a control character: remove it.`);

export const requiredText = (label: string, max = 200) =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .min(1, `${label} is required.`)
    .max(max, `${label} is longer than ${max} characters.`)
    .refine((v) => !CRLF.test(v), `${label} must be on one line.`);

export const optionalText = (label: string, max = 2000) =>
  z
    .string({ error: `${label} must be text.` })
    .max(max, `${label} is longer than ${max} characters.`)
    .default('');

/**
 * An e-mail address as a mail server accepts it in MAIL FROM / RCPT TO. Deliberately looser than
 * RFC 5322 display forms (no names, no comments) and looser than web-form validators on the domain
 * part: relays inside a customer's network often use single-label or `.local` domains.
 */
const ADDRESS = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+$/;

export function addressProblem(value: string): string | undefined {
  if (CRLF.test(value)) return 'must be on one line';
  if (CONTROL_OR_TAB.test(value))
    return 'contains a control character (an invisible character such as NUL or DEL): type the address again';
  const v = value.trim();
  if (v === '') return 'is empty';
  if (!v.includes('@')) return `${quoted(v)} has no @ — write it as name@domain`;
  if (!ADDRESS.test(v)) return `${quoted(v)} is not a valid e-mail address`;
  const domain = v.slice(v.lastIndexOf('@') + 1);
  if (domain.startsWith('.') || domain.endsWith('.') || domain.includes('..')) {
    return `${quoted(v)} has a malformed domain`;
  }
  return undefined;
}

export const emailAddress = (label: string) =>
  z
    .string({ error: `${label} is required.` })
    .superRefine((v, ctx) => {
      const problem = addressProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: `${label} ${problem}.` });
    })
    .transform((v) => v.trim());

export const optionalEmailAddress = (label: string) =>
  z
    .string({ error: `${label} must be text.` })
    .superRefine((v, ctx) => {
      if (v.trim() === '') return;
      const problem = addressProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: `${label} ${problem}.` });
    })
    .transform((v) => v.trim())
    .default('');

/** A list of addresses; each bad entry is reported at its own index (`to.2`). */
export const addressList = (label: string, { min = 0, max = 100 } = {}) =>
  z
    .array(emailAddress(label), { error: `${label} must be a list of addresses.` })
    .min(
      min,
      min === 1 ? `Add at least one ${label.toLowerCase()} address.` : `${label} needs ${min} addresses.`,
    )
    .max(max, `${label} has more than ${max} addresses.`);

/** Host name or IP literal. No scheme, no port, no spaces. */
const HOSTNAME =
  /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
const IPV6 = /^\[?[0-9A-Fa-f:.]+\]?$/;

export function hostProblem(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return 'Host is required (for example smtp.gmail.com or 192.168.1.20).';
  const scheme = /^[a-z]+:\/\//i.exec(v)?.[0];
  if (scheme) return `Host must be a name or address only — remove the "${scheme}" part.`;
  if (/:\d+$/.test(v) && !v.includes('::'))
    return 'Host must not include the port — put the port in the Port field.';
  if (/\s/.test(v)) return 'Host must not contain spaces.';
  if (!HOSTNAME.test(v) && !(v.includes(':') && IPV6.test(v)))
    return `${quoted(v)} is not a valid host name or IP address.`;
  return undefined;
}

export const host = () =>
  z
    .string({ error: 'Host is required (for example smtp.gmail.com or 192.168.1.20).' })
    .superRefine((v, ctx) => {
      const problem = hostProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .transform((v) => v.trim().replace(/\.$/, ''));

export const port = (label = 'Port') =>
  z
    .number({ error: `${label} must be a number between 1 and 65535.` })
    .int(`${label} must be a whole number.`)
    .min(1, `${label} must be between 1 and 65535.`)
    .max(65535, `${label} must be between 1 and 65535.`);

/** Standard base64 (line breaks tolerated, as produced by most encoders). */
export function base64Problem(value: string): string | undefined {
  const compact = value.replace(/[\r\n\t ]/g, '');
  if (compact.length === 0) return 'is empty';
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    return 'is not valid base64 (only A–Z, a–z, 0–9, +, / and = padding, in groups of four)';
  }
  return undefined;
}

export const id = (label = 'Id') =>
  z
    .string({ error: `${label} is required.` })
    .min(1, `${label} is required.`)
    .max(64);

export const isoDate = () => z.iso.datetime({ offset: true, error: 'Must be an ISO date-time.' });
