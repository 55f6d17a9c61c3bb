import { useState } from 'react';
import type { CertificateInfo } from '../../../shared/domain.ts';
import { api, call, errorMessage } from '../api.ts';
import { TextArea } from './fields.tsx';

/**
 * A certificate to trust besides the public authorities (a self-signed relay or IMAP server):
 * pasted as PEM, checked by the main process, never a switch that turns verification off.
 */
export function CertificateSection(p: {
  summary: string;
  description: string;
  pem: string;
  onChange: (pem: string) => void;
  error?: string | undefined;
}) {
  const [info, setInfo] = useState<CertificateInfo | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  async function inspect() {
    try {
      setInfo(await call(api.connectors.inspectCertificate({ pem: p.pem })));
      setProblem(null);
    } catch (e) {
      setInfo(null);
      setProblem(errorMessage(e));
    }
  }
  return (
    <details className="form-section" open={p.pem !== '' || Boolean(p.error)}>
      <summary>{p.summary}</summary>
      <p className="muted">{p.description}</p>
      <TextArea
        label="Certificate (PEM)"
        name="trustedCertificatePem"
        value={p.pem}
        onChange={p.onChange}
        error={p.error ?? problem ?? undefined}
        rows={5}
        mono
        wide
        placeholder="-----BEGIN CERTIFICATE-----"
      />
      <div className="row">
        <button type="button" className="btn" disabled={p.pem.trim() === ''} onClick={() => void inspect()}>
          Check certificate
        </button>
        {p.pem ? (
          <button type="button" className="btn" onClick={() => p.onChange('')}>
            Remove
          </button>
        ) : null}
      </div>
      {info ? (
        <table className="kv">
          <tbody>
            <tr>
              <th>Subject</th>
              <td>{info.subject}</td>
            </tr>
            <tr>
              <th>Issuer</th>
              <td>
                {info.issuer}
                {info.selfSigned ? ' (self-signed)' : ''}
              </td>
            </tr>
            <tr>
              <th>Valid until</th>
              <td>
                {info.validTo.slice(0, 10)}
                {new Date(info.validTo) < new Date() ? ' — EXPIRED' : ''}
              </td>
            </tr>
            <tr>
              <th>Names</th>
              <td>{info.subjectAltName || '—'}</td>
            </tr>
            <tr>
              <th>SHA-256</th>
              <td className="mono small">{info.fingerprint256}</td>
            </tr>
          </tbody>
        </table>
      ) : null}
    </details>
  );
}
