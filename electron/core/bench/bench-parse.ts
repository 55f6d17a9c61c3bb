import { decode as decodeJpeg, encode as encodeJpeg } from 'jpeg-js';
import PostalMime, { type Address, type Attachment } from 'postal-mime';
import type { BenchSnapshot, ImageKind } from '../../../shared/bench.ts';
import type { InboundMessage } from '../../../shared/inbound.ts';

/**
 * What the bench needs of a received message: the envelope-level headers the inbound hub keeps,
 * the raw header block (tokens, Authentication-Results, rules), and snapshots with thumbnails.
 */
export interface ParsedBenchMessage extends Pick<
  InboundMessage,
  'messageId' | 'from' | 'fromName' | 'to' | 'subject' | 'sentAt'
> {
  /** The raw header block (latin1). */
  headerBlock: string;
  snapshots: BenchSnapshot[];
  problems: string[];
}

/** Thumbnails fit this box and stay under this size as data: URLs (the list holds hundreds). */
const THUMB_WIDTH = 240;
const THUMB_HEIGHT = 180;
const THUMB_MAX_BYTES = 24 * 1024;
/** Images larger than this are not decoded for a thumbnail (a 12 MP camera still fits). */
const DECODE_MAX_MEGAPIXELS = 40;
const MAX_SNAPSHOTS = 20;
const HEADER_BLOCK_MAX = 256 * 1024;

/** What the bytes are, from their signature; the file name and declared type are not trusted. */
export function imageKindOf(bytes: Uint8Array): ImageKind | null {
  const at = (i: number) => bytes[i] ?? -1;
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return 'jpeg';
  if (
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => at(i) === b) // \x89PNG\r\n\x1a\n
  )
    return 'png';
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(ascii(0, 6))) return 'gif';
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (bytes.length >= 26 && ascii(0, 2) === 'BM') return 'bmp';
  return null;
}

/** Width and height from a PNG's IHDR or a GIF's screen descriptor (JPEG's come from decoding). */
function dimensionsOf(kind: ImageKind, b: Uint8Array): { width: number; height: number } | null {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (kind === 'png' && b.length >= 24) return { width: view.getUint32(16), height: view.getUint32(20) };
  if (kind === 'gif' && b.length >= 10)
    return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
  return null;
}

/** An averaging (box) downscale of RGBA pixels into the thumbnail box. */
function downscale(
  src: Uint8Array,
  w: number,
  h: number,
): { data: Uint8Array; width: number; height: number } {
  const scale = Math.min(1, THUMB_WIDTH / w, THUMB_HEIGHT / h);
  const tw = Math.max(1, Math.round(w * scale));
  const th = Math.max(1, Math.round(h * scale));
  const out = new Uint8Array(tw * th * 4);
  for (let ty = 0; ty < th; ty++) {
    const y0 = Math.floor((ty * h) / th);
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * h) / th));
    for (let tx = 0; tx < tw; tx++) {
      const x0 = Math.floor((tx * w) / tw);
      const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * w) / tw));
      let r = 0;
      let g = 0;
      let bl = 0;
      let n = 0;
      // Sampling every second pixel of large boxes keeps a 12 MP image at ~0.1 s.
      const step = x1 - x0 > 8 ? 2 : 1;
      for (let y = y0; y < y1; y += step) {
        let i = (y * w + x0) * 4;
        for (let x = x0; x < x1; x += step, i += 4 * step) {
          r += src[i]!;
          g += src[i + 1]!;
          bl += src[i + 2]!;
          n++;
        }
      }
      const o = (ty * tw + tx) * 4;
      out[o] = r / n;
      out[o + 1] = g / n;
      out[o + 2] = bl / n;
      out[o + 3] = 255;
    }
  }
  return { data: out, width: tw, height: th };
}

function jpegThumbnail(bytes: Uint8Array): { thumbnail: string; width: number; height: number } {
  const image = decodeJpeg(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: DECODE_MAX_MEGAPIXELS,
    maxMemoryUsageInMB: 256,
  });
  const small = downscale(image.data, image.width, image.height);
  let quality = 70;
  let encoded = encodeJpeg(small, quality).data;
  while (encoded.length > THUMB_MAX_BYTES && quality > 20) {
    quality -= 20;
    encoded = encodeJpeg(small, quality).data;
  }
  return {
    thumbnail: `data:image/jpeg;base64,${Buffer.from(encoded).toString('base64')}`,
    width: image.width,
    height: image.height,
  };
}

const bytesOf = (a: Attachment): Uint8Array =>
  typeof a.content === 'string'
    ? Buffer.from(a.content, a.encoding === 'base64' ? 'base64' : 'utf8')
    : a.content instanceof Uint8Array
      ? a.content
      : new Uint8Array(a.content);

const looksLikeImage = (a: Attachment, name: string) =>
  a.mimeType.toLowerCase().startsWith('image/') || /\.(jpe?g|png|gif|webp|bmp)$/i.test(name);

/** One attachment as the bench shows it: what its bytes are, with a thumbnail for JPEGs. */
export function snapshotOf(a: Attachment, index: number): BenchSnapshot {
  const bytes = bytesOf(a);
  const filename = a.filename ?? `attachment-${index + 1}`;
  const kind = imageKindOf(bytes);
  const base: BenchSnapshot = {
    index,
    filename,
    declaredType: a.mimeType,
    imageKind: kind,
    size: bytes.length,
    width: null,
    height: null,
    thumbnail: null,
    problem: null,
  };
  if (!kind) {
    return {
      ...base,
      problem: looksLikeImage(a, filename)
        ? `${filename} is named or labelled as an image (${a.mimeType}), but its bytes are not an image: the camera sent something else, or the file is damaged.`
        : null,
    };
  }
  if (kind !== 'jpeg') {
    const size = dimensionsOf(kind, bytes);
    return { ...base, width: size?.width ?? null, height: size?.height ?? null };
  }
  try {
    return { ...base, ...jpegThumbnail(bytes) };
  } catch (error) {
    return {
      ...base,
      problem: `${filename} starts like a JPEG but cannot be decoded (${error instanceof Error ? error.message : String(error)}): the image is truncated or damaged.`,
    };
  }
}

function firstAddress(list: Address | Address[] | undefined): { address: string; name: string } {
  const first = Array.isArray(list) ? list[0] : list;
  if (!first) return { address: '', name: '' };
  if (first.address !== undefined) return { address: first.address, name: first.name };
  const member = first.group[0];
  return { address: member?.address ?? '', name: member?.name ?? first.name };
}

function addressesOf(list: Address[] | undefined): string[] {
  return (list ?? []).flatMap((a) => (a.address !== undefined ? [a.address] : a.group.map((m) => m.address)));
}

/** A message that could not be read still arrived: its header block and why, nothing else. */
export function unreadableMessage(headerBlock: string, problems: string[]): ParsedBenchMessage {
  return {
    headerBlock,
    messageId: null,
    from: '',
    fromName: '',
    to: [],
    subject: '',
    sentAt: null,
    snapshots: [],
    problems,
  };
}

/** The header block of a raw message: up to the first empty line (the whole text if there is none). */
export function headerBlockOf(raw: Uint8Array): string {
  const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, HEADER_BLOCK_MAX)).toString(
    'latin1',
  );
  const end = head.search(/\r?\n\r?\n/);
  return end >= 0 ? head.slice(0, end) : head;
}

/**
 * Reads a message as the bench received it. Never throws: a message that is not valid MIME is
 * still a message that arrived, shown with what could be read and the problem in words.
 */
export async function parseBenchMessage(raw: Uint8Array): Promise<ParsedBenchMessage> {
  const headerBlock = headerBlockOf(raw);
  const problems: string[] = [];
  if (!/\r?\n\r?\n/.test(Buffer.from(raw.subarray(0, HEADER_BLOCK_MAX)).toString('latin1')))
    problems.push('The message has no empty line after its headers: it is not a valid e-mail (RFC 5322).');
  let email;
  try {
    email = await PostalMime.parse(raw, {
      attachmentEncoding: 'arraybuffer',
      maxNestingDepth: 50,
      maxHeadersSize: HEADER_BLOCK_MAX,
    });
  } catch (error) {
    problems.push(
      `The message could not be read as MIME (${error instanceof Error ? error.message : String(error)}): only its envelope is shown.`,
    );
    return unreadableMessage(headerBlock, problems);
  }
  const contentType = email.headers.find((h) => h.key === 'content-type')?.value ?? '';
  if (/^\s*multipart\//i.test(contentType) && !/boundary\s*=/i.test(contentType))
    problems.push('The message says it is multipart but gives no boundary: its parts cannot be told apart.');
  const from = firstAddress(email.from);
  if (!from.address) problems.push('The message has no readable From address.');
  const date = email.date ? new Date(email.date) : null;
  const attachments = email.attachments.slice(0, MAX_SNAPSHOTS);
  if (email.attachments.length > MAX_SNAPSHOTS)
    problems.push(
      `The message has ${email.attachments.length} attachments; the first ${MAX_SNAPSHOTS} are shown.`,
    );
  const snapshots = attachments.map(snapshotOf);
  for (const s of snapshots) if (s.problem) problems.push(s.problem);
  return {
    headerBlock,
    messageId: email.messageId?.replace(/^<|>$/g, '') || null,
    from: from.address.toLowerCase(),
    fromName: from.name,
    to: addressesOf(email.to),
    subject: email.subject ?? '',
    sentAt: date && !Number.isNaN(date.getTime()) ? date.toISOString() : null,
    snapshots,
    problems,
  };
}

/** One attachment's bytes, for the full-size viewer; null when the message has no such attachment. */
export async function extractAttachment(
  raw: Uint8Array,
  index: number,
): Promise<{ filename: string; bytes: Uint8Array } | null> {
  const email = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer', maxNestingDepth: 50 });
  const a = email.attachments[index];
  return a ? { filename: a.filename ?? `attachment-${index + 1}`, bytes: bytesOf(a) } : null;
}
