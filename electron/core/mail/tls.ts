import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { TlsDetails } from '../../../shared/delivery.ts';

/**
 * TLS settings for a connector. A pinned certificate replaces the system roots for that connector,
 * so only the relay holding that certificate is trusted. When the server presents exactly the pinned
 * certificate the host-name check is waived (relays often carry a self-signed certificate named
 * after an internal host); any other certificate must also match the name. Verification is never
 * turned off.
 */
export function tlsOptionsFor(host: string, pinnedPem: string | null): tls.ConnectionOptions {
  const options: tls.ConnectionOptions = { host, rejectUnauthorized: true };
  if (!isIP(host)) options.servername = host;
  if (pinnedPem) {
    const pinned = new X509Certificate(pinnedPem).fingerprint256;
    options.ca = pinnedPem;
    options.checkServerIdentity = (hostname, cert) =>
      cert.fingerprint256 === pinned ? undefined : tls.checkServerIdentity(hostname, cert);
  }
  return options;
}

const dn = (name: unknown): string => {
  if (!name || typeof name !== 'object') return '';
  return Object.entries(name as Record<string, string | string[]>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
};

export function describeTls(socket: tls.TLSSocket, mode: TlsDetails['mode']): TlsDetails {
  const cert = socket.getPeerCertificate();
  const hasCert = cert && Object.keys(cert).length > 0;
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.name ?? 'unknown',
    mode,
    certificate: hasCert
      ? {
          subject: dn(cert.subject),
          issuer: dn(cert.issuer),
          validFrom: new Date(cert.valid_from).toISOString(),
          validTo: new Date(cert.valid_to).toISOString(),
          fingerprint256: cert.fingerprint256,
        }
      : null,
  };
}

export function tlsSummary(details: TlsDetails): string {
  const c = details.certificate;
  const cert = c
    ? `, certificate ${c.subject} issued by ${c.issuer}, valid until ${c.validTo.slice(0, 10)}`
    : '';
  return `${details.mode === 'starttls' ? 'STARTTLS' : 'TLS'} established: ${details.protocol} ${details.cipher}${cert}`;
}
