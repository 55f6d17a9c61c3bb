import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  randomBytes,
  scrypt,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../../shared/result.ts';
import type { SecretBox } from '../adapters.ts';
import { makePrivateDir, PRIVATE_FILE } from '../store/data-folder.ts';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** scrypt cost: 2^15 × 8 × 1 ≈ 32 MiB and ~50–100 ms, once per opening. */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

const PREFIX = 'pp1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export async function deriveKey(
  passphrase: string,
  salt: Buffer,
  params: { N: number; r: number; p: number; maxmem: number } = SCRYPT_PARAMS,
): Promise<Buffer> {
  return scryptAsync(passphrase.normalize('NFC'), salt, 32, params);
}

export function aesGcmSeal(key: Buffer | KeyObject, plain: Buffer, aad?: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** Throws when the key is wrong or a single bit of the data was changed. */
export function aesGcmOpen(key: Buffer | KeyObject, sealed: Buffer, aad?: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('sealed data is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  if (aad) decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

interface KeyFile {
  format: 'alertdesk-passphrase-box';
  version: 1;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  /** A known value sealed with the key: tells a wrong passphrase apart from corrupt data. */
  check: string;
}

const CHECK_VALUE = 'alertdesk-key-check';

/**
 * Secret box for tests and scripts: AES-256-GCM under a key derived with scrypt from a passphrase.
 * The salt and a check value live in a key file next to the data; the passphrase never does.
 */
export class PassphraseSecretBox implements SecretBox {
  /** A KeyObject: a bulk run opens a secret per session, and a raw key is re-imported on every call. */
  private readonly key: KeyObject;

  private constructor(key: Buffer) {
    this.key = createSecretKey(key);
  }

  static async open(keyFilePath: string, passphrase: string): Promise<PassphraseSecretBox> {
    if (passphrase.length < 8) {
      throw new AppError(
        'weak-passphrase',
        'The passphrase must be at least 8 characters long.',
        'passphrase',
      );
    }
    if (!existsSync(keyFilePath)) {
      const salt = randomBytes(16);
      const key = await deriveKey(passphrase, salt);
      const file: KeyFile = {
        format: 'alertdesk-passphrase-box',
        version: 1,
        kdf: 'scrypt',
        N: SCRYPT_PARAMS.N,
        r: SCRYPT_PARAMS.r,
        p: SCRYPT_PARAMS.p,
        salt: salt.toString('base64'),
        check: aesGcmSeal(key, Buffer.from(CHECK_VALUE)).toString('base64'),
      };
      makePrivateDir(dirname(keyFilePath));
      // 'wx': never replace a key file, which would make every secret sealed with it unreadable.
      writeFileSync(keyFilePath, JSON.stringify(file, null, 2), { mode: PRIVATE_FILE, flag: 'wx' });
      return new PassphraseSecretBox(key);
    }
    const file = JSON.parse(readFileSync(keyFilePath, 'utf8')) as KeyFile;
    if (file.format !== 'alertdesk-passphrase-box' || file.version !== 1) {
      throw new AppError(
        'unsupported-format',
        `${keyFilePath} is not an AlertDesk key file this version understands.`,
      );
    }
    const key = await deriveKey(passphrase, Buffer.from(file.salt, 'base64'), {
      N: file.N,
      r: file.r,
      p: file.p,
      maxmem: SCRYPT_PARAMS.maxmem,
    });
    let check: Buffer;
    try {
      check = aesGcmOpen(key, Buffer.from(file.check, 'base64'));
    } catch {
      throw new AppError('wrong-passphrase', 'The passphrase does not open this data folder.', 'passphrase');
    }
    if (!timingSafeEqual(check, Buffer.from(CHECK_VALUE))) {
      throw new AppError('wrong-passphrase', 'The passphrase does not open this data folder.', 'passphrase');
    }
    return new PassphraseSecretBox(key);
  }

  async status() {
    return { available: true, backend: 'passphrase', reason: null };
  }

  async seal(plain: string): Promise<string> {
    return PREFIX + aesGcmSeal(this.key, Buffer.from(plain, 'utf8')).toString('base64');
  }

  async open(sealed: string): Promise<string> {
    if (!sealed.startsWith(PREFIX))
      throw new AppError('secret-unreadable', 'A stored secret was sealed by another secret box.');
    try {
      return aesGcmOpen(this.key, Buffer.from(sealed.slice(PREFIX.length), 'base64')).toString('utf8');
    } catch {
      throw new AppError(
        'secret-unreadable',
        'A stored secret could not be decrypted (wrong key or damaged data).',
      );
    }
  }
}
