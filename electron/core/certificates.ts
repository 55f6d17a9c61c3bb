import { X509Certificate } from 'node:crypto';
import type { CertificateInfo } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads the first certificate of a PEM text, or says at the field what is wrong with it. */
export function inspectCertificate(pem: string, field = 'trustedCertificatePem'): CertificateInfo {
  const blocks = pem.match(PEM_BLOCK);
  if (!blocks || blocks.length === 0) {
    throw new AppError(
      'invalid-input',
      'Paste the certificate in PEM form: the text between -----BEGIN CERTIFICATE----- and -----END CERTIFICATE-----.',
      field,
    );
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(blocks[0]!);
  } catch {
    throw new AppError(
      'invalid-input',
      'The certificate could not be read; it may be damaged or incomplete.',
      field,
    );
  }
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
    subjectAltName: cert.subjectAltName ?? '',
    selfSigned: cert.checkIssued(cert),
  };
}

/** Normalizes the PEM text kept on a connector (only certificate blocks, one per line group). */
export function normalizePem(pem: string): string {
  return (pem.match(PEM_BLOCK) ?? []).map((b) => b.trim()).join('\n') + '\n';
}

/**
 * What a pinned-certificate text trusts, as one comparable value: the SHA-256 fingerprints of its
 * certificates (however the text was pasted), or the text itself when a block cannot be read.
 */
export function pinnedIdentity(pem: string | null): string | null {
  if (!pem || pem.trim() === '') return null;
  try {
    return (pem.match(PEM_BLOCK) ?? []).map((b) => new X509Certificate(b).fingerprint256).join(' ');
  } catch {
    return pem;
  }
}
