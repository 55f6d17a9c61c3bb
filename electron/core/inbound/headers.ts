import type { HeaderFields } from '../../../shared/inbound.ts';
import { SUBJECT_TOKEN, TOKEN_HEADER, TOKEN_PATTERN } from '../../../shared/inbound.ts';

/**
 * Reads a raw header block (as IMAP `BODY[HEADER]` or the bench inbox gives it) into fields by
 * lower-case name, folded lines unfolded (RFC 5322 §2.2.3), values trimmed, in order. Encoded words
 * are left as they are: the fields read this way (Authentication-Results, a rule's header, the
 * token) are ASCII by definition; subjects and addresses come decoded from the envelope.
 */
export function parseHeaderFields(raw: string | Buffer): HeaderFields {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = end >= 0 ? text.slice(0, end) : text;
  const fields: HeaderFields = {};
  let name: string | null = null;
  let value = '';
  const flush = () => {
    if (name !== null) (fields[name] ??= []).push(value.trim());
    name = null;
    value = '';
  };
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (name !== null) value += ` ${line.trim()}`;
      continue;
    }
    flush();
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // not a header line (the mbox "From " line, garbage): skipped
    name = line.slice(0, colon).trim().toLowerCase();
    value = line.slice(colon + 1);
  }
  flush();
  return fields;
}

/** The AlertDesk token of a message: its X-AlertDesk-Token header, else the subject's `[AD:…]` suffix. */
export function tokenOf(fields: HeaderFields, subject: string): string | null {
  const header = fields[TOKEN_HEADER.toLowerCase()]?.find((v) => TOKEN_PATTERN.test(v.trim().toUpperCase()));
  if (header) return header.trim().toUpperCase();
  return SUBJECT_TOKEN.exec(subject)?.[1] ?? null;
}
