import { readFileSync } from 'node:fs';
import PostalMime from 'postal-mime';
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import {
  composeMessage,
  prepareAttachments,
  type MessageParts,
  type PreparedAttachment,
} from '../../electron/core/mail/compose.ts';

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

/** What nodemailer's MailComposer makes of the same parts, with the same Date, Message-ID and boundary. */
async function byMailComposer(p: MessageParts & { date: Date; messageId: string; baseBoundary: string }) {
  const importance = { high: '1 (Highest)', normal: '3 (Normal)', low: '5 (Lowest)' }[p.importance];
  const ms = { high: 'High', normal: 'Normal', low: 'Low' }[p.importance];
  const node = new MailComposer({
    from: p.fromName ? { name: p.fromName, address: p.from } : p.from,
    to: p.to,
    cc: p.cc.length > 0 ? p.cc : undefined,
    bcc: p.bcc.length > 0 ? p.bcc : undefined,
    replyTo: p.replyTo || undefined,
    subject: p.subject,
    ...(p.contentType === 'html' ? { html: p.body } : { text: p.body }),
    attachments: (p.attachments as PreparedAttachment[]).map((a) => ({ raw: a.part })),
    headers: { 'X-Priority': importance, 'X-MSMail-Priority': ms, Importance: ms, ...p.headers },
    messageId: p.messageId,
    baseBoundary: p.baseBoundary,
    disableFileAccess: true,
    disableUrlAccess: true,
  }).compile();
  // The date a message is composed at (a `date` option would be a Date header set by hand, written
  // in another place among the headers).
  node.date = p.date;
  return node.build();
}

/** Header field names are case-insensitive (nodemailer writes X-Alertdesk-Run for X-AlertDesk-Run). */
const namesInLowerCase = (raw: Buffer) =>
  raw.toString('latin1').replace(/^([A-Za-z0-9-]+):/gm, (_, name: string) => `${name.toLowerCase()}:`);

describe('composeMessage', () => {
  const names = [
    '',
    'Gate camera (AlertDesk test)',
    'Gate, North "A"',
    'Kamera Einfahrt – Süd',
    'Камера 7',
    'x'.repeat(90),
  ];
  const froms = ['cam1@site.example.test', 'kamera@bücher.example', 'o.brien+cam@example.test'];
  const tos = [
    ['control-room@example.test'],
    ['a@example.test', 'Control Room <cr@example.test>', 'ü@müller.example'],
    ['"Doe, Jane" <jane@example.test>'],
  ];
  const subjects = [
    'Site 1 – Gate – Motion',
    'Plain ASCII subject',
    `A long subject that goes on ${'and on '.repeat(12)}until it must be folded`,
    'Überwachung – Tor Süd – Bewegungserkennung ausgelöst, bitte prüfen Sie die Aufnahmen sofort',
    '监控摄像头 报警 测试',
    'Tab\there',
    '',
    '🚨 Alarm',
  ];
  const bodies = [
    'Test message.\n',
    'Short lines only\r\nSecond line\r\n',
    `One long line ${'word '.repeat(40)}end\n`,
    'Grüße aus der Leitstelle, Kamera Süd funktioniert.\nZeile zwei   \n',
    'Тестовое сообщение от камеры наблюдения.\n',
    'trailing space at the end ',
    '',
    '<p>Hello <b>world</b></p>',
  ];
  const headerSets: Array<Record<string, string>> = [
    {},
    { 'X-AlertDesk-Run': 'run-1', 'X-Mailer': 'AlertDesk 1.0.0' },
    { 'X-AlertDesk-Camera': 'cam-7', 'X-Note': 'Prüfung', 'X-Empty': '' },
  ];
  const importances = ['normal', 'high', 'low'] as const;

  it('writes the bytes nodemailer’s MailComposer writes, for every kind of input', async () => {
    const prepared = await prepareAttachments(files);
    let multipart = 0;
    const encodings = new Set<string>();
    for (let i = 0; i < 240; i++) {
      const p = {
        from: froms[i % froms.length]!,
        fromName: names[i % names.length]!,
        to: tos[i % tos.length]!,
        cc: i % 4 === 1 ? ['cc1@example.test', 'Deputy <cc2@example.test>'] : [],
        bcc: i % 5 === 2 ? ['hidden@example.test'] : [],
        replyTo: i % 3 === 2 ? 'noc@example.test' : '',
        subject: subjects[i % subjects.length]!,
        body: bodies[(i * 3) % bodies.length]!,
        contentType: i % 7 === 3 ? ('html' as const) : ('text' as const),
        importance: importances[i % 3]!,
        attachments: prepared.slice(0, [0, 1, 3][i % 3]!),
        headers: headerSets[i % headerSets.length]!,
        date: new Date(Date.UTC(2026, 10, 21, 12, 0, i)),
        messageId: `<message-${i}@site.example.test>`,
        baseBoundary: `b0a${i}`,
      };
      const ours = await composeMessage(p);
      if (!p.body && p.attachments.length === 1) {
        // MailComposer makes a lone attachment the whole message, headers and all: AlertDesk keeps
        // the message's headers and sends the attachment as the one part of a multipart/mixed.
        const parsed = await PostalMime.parse(ours.raw);
        expect(parsed.subject ?? '').toBe(p.subject);
        expect(parsed.attachments.map((a) => a.filename)).toEqual(['snapshot-1.jpg']);
        continue;
      }
      const reference = await byMailComposer(p);
      expect(
        namesInLowerCase(ours.raw),
        `case ${i}: ${JSON.stringify(p.subject)} / ${JSON.stringify(p.body)}`,
      ).toBe(namesInLowerCase(reference));
      expect(ours.raw.toString('latin1')).not.toMatch(/hidden@example/);
      if (p.attachments.length) multipart++;
      for (const [, e] of ours.raw.toString('latin1').matchAll(/^Content-Transfer-Encoding: (.+)\r$/gm))
        encodings.add(e!);
    }
    // the corpus did reach every shape: 150 multipart messages compared, every body encoding
    expect(multipart).toBe(150);
    expect([...encodings].sort()).toEqual(['7bit', 'base64', 'quoted-printable']);
  });

  it('encodes raw files in their order among prepared ones', async () => {
    const [first] = await prepareAttachments([files[0]!]);
    const base = { ...parts([]), date: new Date(0), messageId: '<m@x>', baseBoundary: 'b' };
    const mixed = await composeMessage({ ...base, attachments: [first!, files[1]!, files[2]!] });
    const all = await composeMessage({ ...base, attachments: await prepareAttachments(files) });
    expect(mixed.raw.equals(all.raw)).toBe(true);
  });

  it('gives each message its own Message-ID and boundary, and reports the envelope', async () => {
    const a = await composeMessage({ ...parts(await prepareAttachments(files)), bcc: ['b@example.test'] });
    const b = await composeMessage(parts(await prepareAttachments(files)));
    expect(a.messageId).toMatch(/^<[0-9a-f-]{36}@site\.example\.test>$/);
    expect(a.messageId).not.toBe(b.messageId);
    const boundary = (raw: Buffer) => /boundary="([^"]+)"/.exec(raw.toString('latin1'))![1];
    expect(boundary(a.raw)).not.toBe(boundary(b.raw));
    expect(a.recipients).toEqual(['control-room@example.test', 'b@example.test']);
    const parsed = await PostalMime.parse(a.raw);
    expect(parsed.messageId).toBe(a.messageId);
    expect(parsed.subject).toBe('Site 1 – Gate – Motion');
    expect(parsed.from?.name).toBe('Gate camera (AlertDesk test)');
  });
});
