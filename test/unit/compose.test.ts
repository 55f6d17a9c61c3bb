import { readFileSync } from 'node:fs';
import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { composeMessage, prepareAttachments, type MessageParts } from '../../electron/core/mail/compose.ts';

const files = [
  { filename: 'snapshot-1.jpg', content: readFileSync('assets/snapshots/snapshot-1.jpg') },
  // a user's file with a name that needs RFC 2231 / 2047 encoding
  {
    filename: 'Überwachung Einfahrt – Kamera 2.jpg',
    content: readFileSync('assets/snapshots/snapshot-2.jpg'),
  },
  { filename: 'notes.txt', content: Buffer.from('line one\r\nline two\r\n'), contentType: 'text/plain' },
];

const parts = (attachments: MessageParts['attachments']): MessageParts => ({
  from: 'cam1@site.example.test',
  fromName: 'Gate camera (AlertDesk test)',
  to: ['control-room@example.test'],
  cc: [],
  bcc: [],
  replyTo: '',
  subject: 'Site 1 – Gate – Motion',
  body: 'Test message.\n',
  contentType: 'text',
  importance: 'normal',
  attachments,
});

/** The message without what differs between any two compositions: boundaries, Message-ID, Date. */
const normalise = (raw: Buffer) =>
  raw
    .toString('latin1')
    .replace(/--_NmP-[0-9a-f]+-Part_\d+/g, '--BOUNDARY')
    .replace(/boundary="--_NmP-[0-9a-f]+-Part_\d+"/g, 'boundary="--BOUNDARY"')
    .replace(/^Message-ID: .*$/m, '')
    .replace(/^Date: .*$/m, '');

describe('prepared attachments', () => {
  it('compose to the same bytes as attachments encoded with each message', async () => {
    const prepared = await prepareAttachments(files);
    expect(prepared.map((p) => [p.filename, p.size])).toEqual(
      files.map((f) => [f.filename, f.content.length]),
    );

    const direct = await composeMessage(parts(files));
    const reused = await composeMessage(parts(prepared));
    expect(normalise(reused.raw)).toBe(normalise(direct.raw));
    // the boundary pattern above did match: both messages are multipart
    expect(normalise(direct.raw)).toContain('--BOUNDARY');
  });

  it('arrive intact, with their names and types, in every message that reuses them', async () => {
    const prepared = await prepareAttachments(files);
    for (let i = 0; i < 2; i++) {
      const parsed = await PostalMime.parse((await composeMessage(parts(prepared))).raw);
      expect(parsed.attachments.map((a) => [a.filename, a.mimeType])).toEqual([
        ['snapshot-1.jpg', 'image/jpeg'],
        ['Überwachung Einfahrt – Kamera 2.jpg', 'image/jpeg'],
        ['notes.txt', 'text/plain'],
      ]);
      parsed.attachments.forEach((a, k) => {
        const bytes =
          typeof a.content === 'string' ? Buffer.from(a.content) : Buffer.from(new Uint8Array(a.content));
        expect(bytes.equals(files[k]!.content)).toBe(true);
      });
      expect(parsed.text?.trim()).toBe('Test message.');
    }
  });

  it('work for a single attachment too', async () => {
    const [one] = await prepareAttachments([files[0]!]);
    expect(one!.part.toString('latin1')).toMatch(/^Content-Type: image\/jpeg; name=snapshot-1\.jpg\r\n/);
    const direct = await composeMessage(parts([files[0]!]));
    const reused = await composeMessage(parts([one!]));
    expect(normalise(reused.raw)).toBe(normalise(direct.raw));
  });

  it('are nothing at all when there are no attachments', async () => {
    expect(await prepareAttachments([])).toEqual([]);
  });
});

describe('composeMessage', () => {
  it('encodes raw files in their order among prepared ones', async () => {
    const [first] = await prepareAttachments([files[0]!]);
    const base = { ...parts([]), messageId: '<m@x>', baseBoundary: 'b' };
    const mixed = await composeMessage({ ...base, attachments: [first!, files[1]!, files[2]!] });
    const all = await composeMessage({ ...base, attachments: await prepareAttachments(files) });
    expect(normalise(mixed.raw)).toBe(normalise(all.raw));
  });

  it('gives each message its own Message-ID and boundary, and reports the envelope', async () => {
    const a = await composeMessage({ ...parts(await prepareAttachments(files)), bcc: ['b@example.test'] });
    const b = await composeMessage(parts(await prepareAttachments(files)));
    expect(a.messageId).toMatch(/^<[0-9a-f-]{36}@site\.example\.test>$/);
    expect(a.messageId).not.toBe(b.messageId);
    const boundary = (raw: Buffer) => /boundary="([^"]+)"/.exec(raw.toString('latin1'))![1];
    expect(boundary(a.raw)).not.toBe(boundary(b.raw));
    expect(a.recipients).toEqual(['control-room@example.test', 'b@example.test']);
    expect(a.raw.toString('latin1')).not.toMatch(/b@example\.test/);
    const parsed = await PostalMime.parse(a.raw);
    expect(parsed.messageId).toBe(a.messageId);
    expect(parsed.subject).toBe('Site 1 – Gate – Motion');
    expect(parsed.from?.name).toBe('Gate camera (AlertDesk test)');
  });

  it('writes internationalized domains in punycode, in the envelope and the headers alike', async () => {
    const m = await composeMessage({
      ...parts([]),
      from: 'alerts@bücher.example',
      to: ['leitstelle@münchen.example'],
      cc: ['ops@example.test'],
    });
    expect(m.envelopeFrom).toBe('alerts@xn--bcher-kva.example');
    expect(m.recipients).toEqual(['leitstelle@xn--mnchen-3ya.example', 'ops@example.test']);
    const head = m.raw.toString('latin1').split('\r\n\r\n')[0]!;
    expect(head).toMatch(/^From: .*<alerts@xn--bcher-kva\.example>$/m);
    expect(head).toMatch(/^To: leitstelle@xn--mnchen-3ya\.example$/m);
    // the whole message is 7-bit: nothing raw 8-bit reaches a server without SMTPUTF8 or 8BITMIME
    expect([...m.raw].every((byte) => byte < 0x80)).toBe(true);
  });

  it('leaves empty extra headers out and writes the importance headers', async () => {
    const m = await composeMessage({
      ...parts([]),
      importance: 'high',
      headers: { 'X-AlertDesk-Run': 'run-1', 'X-Empty': ' ' },
    });
    const head = m.raw.toString('latin1').split('\r\n\r\n')[0]!;
    expect(head).toMatch(/^X-Priority: 1 \(Highest\)$/m);
    expect(head).toMatch(/^Importance: High$/m);
    expect(head).toMatch(/^X-Alertdesk-Run: run-1$/im);
    expect(head).not.toMatch(/^X-Empty/im);
  });
});
