import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import {
  DEFAULT_BENCH_SETTINGS,
  BenchSettingsFields,
  type BenchCertificate,
  type BenchSettings,
} from '../../../shared/bench.ts';
import type { Logger, SecretBox } from '../adapters.ts';
import { makePrivateDir, writePrivateFile } from '../store/data-folder.ts';

/** Where the certificate's key is sealed for: a value copied elsewhere is never opened. */
const KEY_PLACE = 'bench/certificate-key';

/** The keyring's bound secrets: each sealed for its place. */
export interface PlacedSecretBox {
  status(): ReturnType<SecretBox['status']>;
  seal(plain: string, place?: string): Promise<string>;
  open(sealed: string, place?: string): Promise<string>;
}

interface BenchFile {
  settings: BenchSettings;
  certificatePem: string | null;
  /** The certificate's private key, sealed by the secret box. */
  keySealed: string | null;
  /** UIDVALIDITY of the bench as a mailbox of the inbound hub: changes when the bench is cleared. */
  epoch: string;
}

/**
 * The bench inbox's own file (`bench/bench.json` in the data folder): its settings and its
 * self-signed certificate. They belong to this laptop, not to the inventory a backup carries to
 * another computer. The certificate is made on first use and kept, so a camera that pinned it
 * goes on trusting it; its private key is sealed like every other secret.
 */
export class BenchConfig {
  readonly dir: string;
  private readonly file: string;
  private readonly secrets: PlacedSecretBox;
  private readonly logger: Logger;
  private state: BenchFile;
  /** The key of a certificate that could not be sealed (no secure storage): kept for this session only. */
  private unsealedKey: string | null = null;

  constructor(dir: string, secrets: PlacedSecretBox, logger: Logger) {
    this.dir = dir;
    this.file = join(dir, 'bench.json');
    this.secrets = secrets;
    this.logger = logger;
    this.state = this.read();
  }

  get settings(): BenchSettings {
    return this.state.settings;
  }

  get epoch(): string {
    return this.state.epoch;
  }

  saveSettings(settings: BenchSettings): void {
    this.write({ ...this.state, settings });
  }

  /** A new UIDVALIDITY (after clearing the bench), so new messages never collide with old keys. */
  renewEpoch(): void {
    this.write({ ...this.state, epoch: String(Date.now()) });
  }

  certificateInfo(): BenchCertificate | null {
    if (!this.state.certificatePem) return null;
    const x509 = new X509Certificate(this.state.certificatePem);
    return {
      subject: x509.subject.replace(/\n/g, ', '),
      fingerprint256: x509.fingerprint256,
      validFrom: new Date(x509.validFrom).toISOString(),
      validTo: new Date(x509.validTo).toISOString(),
    };
  }

  /** The certificate and key for TLS; made (and kept) the first time one is needed. */
  async tlsCredentials(): Promise<{ cert: string; key: string }> {
    const pem = this.state.certificatePem;
    if (pem && this.unsealedKey) return { cert: pem, key: this.unsealedKey };
    if (pem && this.state.keySealed) {
      try {
        return { cert: pem, key: await this.secrets.open(this.state.keySealed, KEY_PLACE) };
      } catch (error) {
        this.logger.warn('bench: the certificate key could not be opened; making a new certificate', {
          error: String(error),
        });
      }
    }
    return this.renewCertificate();
  }

  /** Makes a new self-signed certificate (the old fingerprint stops matching). */
  async renewCertificate(): Promise<{ cert: string; key: string }> {
    const made = makeBenchCertificate();
    let keySealed: string | null = null;
    this.unsealedKey = null;
    const status = await this.secrets.status();
    if (status.available) keySealed = await this.secrets.seal(made.key, KEY_PLACE);
    else {
      this.unsealedKey = made.key;
      this.logger.warn('bench: no secure storage for the certificate key; it lasts until AlertDesk closes', {
        reason: status.reason,
      });
    }
    this.write({ ...this.state, certificatePem: made.cert, keySealed });
    return made;
  }

  private read(): BenchFile {
    const fresh: BenchFile = {
      settings: DEFAULT_BENCH_SETTINGS,
      certificatePem: null,
      keySealed: null,
      epoch: String(Date.now()),
    };
    let stored: Partial<BenchFile>;
    try {
      stored = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<BenchFile>;
    } catch {
      return fresh;
    }
    // Settings from an older or damaged file fall back field by field to the defaults.
    const parsed = BenchSettingsFields.safeParse({ ...DEFAULT_BENCH_SETTINGS, ...stored.settings });
    return {
      settings: parsed.success ? parsed.data : DEFAULT_BENCH_SETTINGS,
      certificatePem: typeof stored.certificatePem === 'string' ? stored.certificatePem : null,
      keySealed: typeof stored.keySealed === 'string' ? stored.keySealed : null,
      epoch: typeof stored.epoch === 'string' ? stored.epoch : fresh.epoch,
    };
  }

  /** Written whole to a temporary file and renamed over the old one: never half-written. */
  private write(next: BenchFile): void {
    makePrivateDir(this.dir);
    const tmp = `${this.file}.tmp`;
    writePrivateFile(tmp, JSON.stringify(next, null, 2));
    renameSync(tmp, this.file);
    this.state = next;
  }
}

/** A self-signed certificate for the bench, named after this computer, valid for ten years. */
export function makeBenchCertificate(): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = `01${forge.util.bytesToHex(forge.random.getBytesSync(8))}`;
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 3600_000);
  cert.validity.notAfter = new Date(now + 10 * 365 * 24 * 3600_000);
  const name = hostname() || 'alertdesk-bench';
  const attrs = [
    { name: 'commonName', value: name },
    { name: 'organizationName', value: 'AlertDesk bench inbox' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: name }] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(key), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key };
}
