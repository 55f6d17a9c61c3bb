import { domainToASCII } from 'node:url';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Importance } from '../../../shared/schemas.ts';

/** A message ready for the wire: the bytes, the envelope, and what the history needs to show. */
export interface ComposedMessage {
  raw: Buffer;
  /** The envelope as nodemailer derived it from the headers' addresses (IDN domains in punycode). */
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
  attachments: Array<Attachment | PreparedAttachment>;
  /** Extra headers, e.g. X-AlertDesk-Delivery for tracing a test message back to its record. */
  headers?: Record<string, string>;
  /** Host part of the generated Message-ID. */
  messageIdDomain?: string;
  /** The Message-ID (generated unless given) and the shared part of multipart boundaries, for tests. */
  messageId?: string;
  baseBoundary?: string;
}

export interface Attachment {
  filename: string;
  content: Buffer;
  contentType?: string;
}

/** An attachment already encoded as its MIME part (headers and base64 body), to reuse across messages. */
export interface PreparedAttachment {
  filename: string;
  /** Size of the file itself (not of its base64 encoding). */
  size: number;
  part: Buffer;
}

/**
 * Encodes attachments once for many messages: a handover run sends the same snapshots with every
 * camera's test, and base64-encoding 350 KB of JPEGs costs ~2.5 ms a message. The parts are built by
 * nodemailer itself (a throwaway message's attachment nodes), so they are exactly what composing
 * each message would have produced.
 */
export async function prepareAttachments(attachments: Attachment[]): Promise<PreparedAttachment[]> {
  if (attachments.length === 0) return [];
  const root = new MailComposer({
    // a text part keeps the message multipart even for one attachment (alone it would be the root)
    text: '-',
    attachments: attachments.map(toNodemailer),
    disableFileAccess: true,
    disableUrlAccess: true,
  }).compile() as unknown as { childNodes: Array<{ build(): Promise<Buffer> }> };
  // The first child is the text part; the attachments follow in order.
  const nodes = root.childNodes.slice(-attachments.length);
  const parts = await Promise.all(nodes.map((node) => node.build()));
  return attachments.map((a, i) => ({
    filename: a.filename,
    size: a.content.length,
    // nodemailer puts the line break before the next boundary itself
    part: trimTrailingNewlines(parts[i]!),
  }));
}

function trimTrailingNewlines(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x0a || b[end - 1] === 0x0d)) end--;
  return b.subarray(0, end);
}

const toNodemailer = (a: Attachment | PreparedAttachment) =>
  'part' in a
    ? { raw: a.part }
    : { filename: a.filename, content: a.content, ...(a.contentType ? { contentType: a.contentType } : {}) };

/** The three headers mail clients read for importance (Outlook, Thunderbird, Apple Mail). */
const IMPORTANCE_HEADERS: Record<Importance, Record<string, string>> = {
  high: { 'X-Priority': '1 (Highest)', 'X-MSMail-Priority': 'High', Importance: 'High' },
  normal: { 'X-Priority': '3 (Normal)', 'X-MSMail-Priority': 'Normal', Importance: 'Normal' },
  low: { 'X-Priority': '5 (Lowest)', 'X-MSMail-Priority': 'Low', Importance: 'Low' },
};

/**
 * Composes a message with nodemailer's MailComposer: headers (addresses, punycode, RFC 2047),
 * body encoding and MIME structure are nodemailer's, and so is the envelope — derived from the
 * same parsed addresses as the To/Cc headers (Bcc only in the envelope), so the recipients a
 * server is asked for are exactly the ones the message names.
 */
export async function composeMessage(parts: MessageParts): Promise<ComposedMessage> {
  const named = parts.messageIdDomain ?? parts.from.slice(parts.from.lastIndexOf('@') + 1);
  // The Message-ID is a header too: an internationalized domain goes in its ASCII form.
  const domain = domainToASCII(named) || named;
  const headers: Record<string, string> = {};
  // An empty extra header would be written as an empty field: leave it out.
  for (const [key, value] of Object.entries({ ...IMPORTANCE_HEADERS[parts.importance], ...parts.headers }))
    if (value.trim()) headers[key] = value;
  const node = new MailComposer({
    from: parts.fromName ? { name: parts.fromName, address: parts.from } : parts.from,
    to: parts.to,
    cc: parts.cc.length > 0 ? parts.cc : undefined,
    bcc: parts.bcc.length > 0 ? parts.bcc : undefined,
    replyTo: parts.replyTo || undefined,
    subject: parts.subject,
    ...(parts.contentType === 'html' ? { html: parts.body } : { text: parts.body }),
    attachments: parts.attachments.map(toNodemailer),
    headers,
    messageId: parts.messageId ?? `<${crypto.randomUUID()}@${domain}>`,
    ...(parts.baseBoundary ? { baseBoundary: parts.baseBoundary } : {}),
    disableFileAccess: true,
    disableUrlAccess: true,
  }).compile();
  const envelope = node.getEnvelope();
  // Bcc stays in the envelope only; MailComposer leaves it out of the headers.
  const raw = await node.build();
  return {
    raw,
    envelopeFrom: envelope.from || parts.from,
    recipients: envelope.to,
    to: parts.to,
    cc: parts.cc,
    bcc: parts.bcc,
    from: parts.from,
    subject: parts.subject,
    messageId: node.messageId(),
  };
}
