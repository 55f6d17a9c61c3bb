import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

export interface TestCertificate {
  key: string;
  cert: string;
}

export interface CertOptions {
  /** Names the certificate is issued for (DNS names and IPs); default localhost and 127.0.0.1. */
  names?: string[];
  notBefore?: Date;
  notAfter?: Date;
  commonName?: string;
}

/**
 * A self-signed server certificate made on the spot, so tests can produce the exact certificate
 * faults they need (expired, wrong name, untrusted) without any file in the repository.
 */
export function makeCertificate(options: CertOptions = {}): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pubPem);
  cert.serialNumber = '01' + forge.util.bytesToHex(forge.random.getBytesSync(8));
  const now = Date.now();
  cert.validity.notBefore = options.notBefore ?? new Date(now - 24 * 3600_000);
  cert.validity.notAfter = options.notAfter ?? new Date(now + 365 * 24 * 3600_000);
  const names = options.names ?? ['localhost', '127.0.0.1'];
  const attrs = [
    { name: 'commonName', value: options.commonName ?? names[0] ?? 'localhost' },
    { name: 'organizationName', value: 'AlertDesk tests' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: names.map((n) =>
        /^\d+\.\d+\.\d+\.\d+$/.test(n) ? { type: 7, ip: n } : { type: 2, value: n },
      ),
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { key: keyPem, cert: forge.pki.certificateToPem(cert) };
}
