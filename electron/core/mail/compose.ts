import MailComposer from 'nodemailer/lib/mail-composer';
import type { Importance } from '../../../shared/schemas.ts';

/** A message ready for the wire: the bytes, the envelope, and what the history needs to show. */
export interface ComposedMessage {
  raw: Buffer;
  envelopeFrom: string;
  /** Every envelope recipient (to + cc + bcc). */
  recipients: string[];
  to: string[];
  cc: string[];
  bcc: string[];
  from: string;
  subject: string;
  messageId: string;
}

export interface MessageParts {
  from: string;
  fromName: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string;
  subject: string;
  body: string;
  contentType: 'text' | 'html';
  importance: Importance;
  attachments: Array<{ filename: string; content: Buffer; contentType?: string }>;
  /** Extra headers, e.g. X-AlertDesk-Delivery for tracing a test message back to its record. */
  headers?: Record<string, string>;
  /** Host part of the generated Message-ID. */
  messageIdDomain?: string;
}

/** The three headers mail clients read for importance (Outlook, Thunderbird, Apple Mail). */
const IMPORTANCE_HEADERS: Record<Importance, Record<string, string>> = {
  high: { 'X-Priority': '1 (Highest)', 'X-MSMail-Priority': 'High', Importance: 'High' },
  normal: { 'X-Priority': '3 (Normal)', 'X-MSMail-Priority': 'Normal', Importance: 'Normal' },
  low: { 'X-Priority': '5 (Lowest)', 'X-MSMail-Priority': 'Low', Importance: 'Low' },
};

export async function composeMessage(parts: MessageParts): Promise<ComposedMessage> {
  const domain = parts.messageIdDomain ?? parts.from.slice(parts.from.lastIndexOf('@') + 1);
  const composer = new MailComposer({
    from: parts.fromName ? { name: parts.fromName, address: parts.from } : parts.from,
    to: parts.to,
    cc: parts.cc.length > 0 ? parts.cc : undefined,
    bcc: parts.bcc.length > 0 ? parts.bcc : undefined,
    replyTo: parts.replyTo || undefined,
    subject: parts.subject,
    ...(parts.contentType === 'html' ? { html: parts.body } : { text: parts.body }),
    attachments: parts.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      ...(a.contentType ? { contentType: a.contentType } : {}),
    })),
    headers: { ...IMPORTANCE_HEADERS[parts.importance], ...parts.headers },
    messageId: `<${crypto.randomUUID()}@${domain}>`,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const node = composer.compile();
  // Bcc stays in the envelope only; MailComposer leaves it out of the headers.
  const raw = await node.build();
  const recipients = [...parts.to, ...parts.cc, ...parts.bcc];
  return {
    raw,
    envelopeFrom: parts.from,
    recipients: [...new Set(recipients.map((r) => r.trim()))],
    to: parts.to,
    cc: parts.cc,
    bcc: parts.bcc,
    from: parts.from,
    subject: parts.subject,
    messageId: node.messageId(),
  };
}
