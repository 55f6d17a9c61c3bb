import type { Capabilities } from '../../../shared/delivery.ts';
import type { Transcript } from './transcript.ts';

export type { Capabilities };

/** The login mechanisms AlertDesk can use, in the order nodemailer prefers them. */
export const PASSWORD_MECHANISMS = ['PLAIN', 'LOGIN', 'CRAM-MD5'] as const;

/**
 * What the server said it can do: its greeting's first line and the extension lines of its EHLO
 * reply. AUTH is read as nodemailer reads it — every AUTH line (servers list mechanisms over
 * several, `AUTH=LOGIN` for old clients among them), separated by spaces, tabs or "=".
 */
export function capabilitiesOf(greeting: string, extensions: string[]): Capabilities {
  const mechanisms = new Set<string>();
  for (const line of extensions) {
    const auth = /^AUTH[\s=](.*)$/i.exec(line);
    if (!auth) continue;
    for (const m of auth[1]!.split(/[\s=]+/)) if (m) mechanisms.add(m.toUpperCase());
  }
  const sizeLine = extensions.find((e) => /^SIZE\b/i.test(e));
  const size = sizeLine ? Number(sizeLine.split(/\s+/)[1] ?? 0) || 0 : null;
  return {
    greeting,
    extensions,
    authMechanisms: [...mechanisms],
    starttls: extensions.some((e) => /^STARTTLS\b/i.test(e)),
    pipelining: extensions.some((e) => /^PIPELINING\b/i.test(e)),
    size,
  };
}

/** The extension lines of an EHLO reply (its lines with their codes, the first one the server's name). */
export function extensionsOf(replyLines: string[]): string[] {
  return replyLines
    .map((l) => l.replace(/^\d{3}[ -]?/, '').trim())
    .filter(Boolean)
    .slice(1);
}

/** Reads the greeting and the last EHLO reply from the transcript (a diagnosis that stopped half-way). */
export function readCapabilities(transcript: Transcript): Capabilities {
  const lines = transcript.lines();
  const greeting = lines.find((l) => l.dir === 's')?.text ?? '';
  let ehloAt = -1;
  lines.forEach((l, i) => {
    if (l.dir === 'c' && /^(EHLO|HELO|LHLO)\b/i.test(l.text)) ehloAt = i;
  });
  const reply: string[] = [];
  for (let i = ehloAt + 1; ehloAt >= 0 && i < lines.length; i++) {
    const l = lines[i]!;
    if (l.dir === 'c') break;
    if (l.dir === 's') reply.push(l.text);
  }
  return capabilitiesOf(greeting, extensionsOf(reply));
}
