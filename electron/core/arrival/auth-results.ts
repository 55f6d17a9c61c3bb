import headerParser from 'mailauth/lib/parse-dkim-headers.js';
import type { AuthCheck, AuthMethodChecked, AuthResults } from '../../../shared/arrival.ts';

/** One resinfo of mailauth's parse: `spf=fail (comment) smtp.mailfrom=a@b` → { value, smtp: { mailfrom }, comment }. */
interface ResInfo {
  value?: unknown;
  comment?: unknown;
  smtp?: Record<string, unknown>;
  header?: Record<string, unknown>;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);
const domainOf = (v: string | null): string | null =>
  v === null ? null : (v.includes('@') ? v.slice(v.lastIndexOf('@') + 1) : v).toLowerCase() || null;

const FAILED = new Set(['fail', 'softfail', 'permerror']);

/** Where the SPF record of the big providers points: the include to add, in the words of the fix. */
function spfHint(domain: string): string {
  return `add the server that sends the alerts to the SPF record of ${domain} (Google: "include:_spf.google.com", Microsoft 365: "include:spf.protection.outlook.com", Amazon SES: "include:amazonses.com")`;
}

function fixFor(method: AuthMethodChecked, result: string | null, domain: string | null): string | null {
  const d = domain ?? 'the sender’s domain';
  if (result === null || result === 'pass') return null;
  switch (method) {
    case 'spf':
      if (result === 'fail' || result === 'softfail')
        return `This sender's domain (${d}) does not allow this server to send for it: ${spfHint(d)}.`;
      if (result === 'permerror')
        return `The SPF record of ${d} is broken (bad syntax or more than 10 DNS look-ups): correct the record.`;
      if (result === 'none')
        return `${d} publishes no SPF record, so receivers cannot tell this server may send for it: publish one (${spfHint(d)}).`;
      return result === 'temperror'
        ? `The receiving server could not look up the SPF record of ${d} (a DNS error): if it lasts, check the domain's DNS.`
        : null;
    case 'dkim':
      if (result === 'fail')
        return `The DKIM signature for ${d} did not verify: the message was changed on the way, or the key in DNS is not the one the provider signs with. Publish the provider's current DKIM key for ${d}.`;
      if (result === 'none')
        return `The message is not DKIM-signed: turn on DKIM signing for ${d} at the mail provider and publish its key in DNS.`;
      if (result === 'permerror')
        return `The DKIM key record for ${d} is broken: publish the provider's DKIM key again.`;
      return null;
    case 'dmarc':
      if (result === 'fail')
        return `The DMARC check of ${d} failed: neither SPF nor DKIM passed for the From domain. Fix SPF or DKIM for ${d}; with a "quarantine" or "reject" policy such alerts go to Junk or are refused.`;
      if (result === 'none')
        return `${d} publishes no DMARC policy: large providers file such mail as Junk more often. Publish one (start with "v=DMARC1; p=none").`;
      if (result === 'permerror') return `The DMARC record of ${d} is broken: correct it.`;
      return null;
  }
}

function check(method: AuthMethodChecked, info: ResInfo | undefined, domain: string | null): AuthCheck {
  const result = text(info?.value)?.toLowerCase() ?? null;
  return {
    method,
    result,
    ok: result === null ? null : result === 'pass' ? true : FAILED.has(result) ? false : null,
    domain,
    comment: text(info?.comment),
    fix: fixFor(method, result, domain),
  };
}

/**
 * Reads an Authentication-Results header (RFC 8601) with mailauth's parser into the three checks
 * an integrator acts on — SPF, DKIM and DMARC — each with its fix when it failed. Several DKIM
 * signatures: a pass of any is a pass (that is how DMARC reads them), else the first result counts.
 */
export function readAuthResults(value: string): AuthResults | null {
  const parsed = headerParser(`Authentication-Results: ${value}`).parsed as Record<string, unknown>;
  // Microsoft 365 writes no authserv-id: its methods are read all the same.
  const authservId = text(parsed.value) ?? '';
  if (!authservId && !['spf', 'dkim', 'dmarc'].some((m) => m in parsed)) return null;
  const spf = parsed.spf as ResInfo | undefined;
  const dkims = (Array.isArray(parsed.dkim) ? parsed.dkim : []) as ResInfo[];
  const dkim = dkims.find((d) => text(d.value)?.toLowerCase() === 'pass') ?? dkims[0];
  const dmarc = parsed.dmarc as ResInfo | undefined;
  return {
    authservId,
    header: value,
    checks: [
      check('spf', spf, domainOf(text(spf?.smtp?.mailfrom) ?? text(spf?.smtp?.helo))),
      check('dkim', dkim, domainOf(text(dkim?.header?.d) ?? text(dkim?.header?.i))),
      check('dmarc', dmarc, domainOf(text(dmarc?.header?.from))),
    ],
  };
}

/**
 * The Authentication-Results a message's receiving server wrote: the topmost such header (each
 * server adds its own on top; those further down were written by servers before it, or forged by
 * the sender, and prove nothing about this mailbox).
 */
export function authResultsOf(fields: Record<string, string[]> | null): AuthResults | null {
  const first = fields?.['authentication-results']?.[0];
  return first ? readAuthResults(first) : null;
}
