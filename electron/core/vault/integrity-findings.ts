import type { AuditIntegrity } from '../../../shared/audit-integrity.ts';
import type { Finding } from '../../../shared/vault.ts';
import { plural } from '../../../shared/words.ts';
import type { MisplacedSecret } from './secret-placement.ts';

/**
 * Findings about the data folder itself, listed first among App passwords → Findings: a broken
 * audit chain (with its first bad event), and secrets found in a record they were not sealed for.
 */
export function integrityFindings(audit: AuditIntegrity, misplaced: readonly MisplacedSecret[]): Finding[] {
  const out: Finding[] = [];
  if (audit.state === 'broken') {
    out.push({
      kind: 'audit-log-broken',
      severity: 'critical',
      title: `The audit log was changed outside AlertDesk (from event #${audit.firstBadSeq})`,
      detail: audit.message,
      recordIds: [],
      cameraIds: [],
      auditSeq: audit.firstBadSeq,
    });
  }
  if (misplaced.length > 0) {
    const connectors = misplaced.filter((m) => m.recordType === 'connector');
    const records = misplaced.filter((m) => m.recordType === 'app-password');
    const mailboxes = misplaced.filter((m) => m.recordType === 'mailbox');
    const enterAgain = [
      connectors.length ? 'the password of each connector' : '',
      mailboxes.length ? 'the password of each mailbox' : '',
    ].filter(Boolean);
    out.push({
      kind: 'misplaced-secret',
      severity: 'critical',
      title: `${plural(misplaced.length, 'stored secret')} ${misplaced.length === 1 ? 'sits' : 'sit'} in a record ${misplaced.length === 1 ? 'it was' : 'they were'} not saved for`,
      detail: `The data file was edited outside AlertDesk: ${misplaced
        .slice(0, 5)
        .map((m) => `${m.label} (${m.field})`)
        .join(
          ', ',
        )}${misplaced.length > 5 ? ', …' : ''}. AlertDesk will not use these secrets anywhere.${enterAgain.length ? ` Enter ${enterAgain.join(' and ')} again.` : ''}${records.length ? ' Rotate each app password listed.' : ''}`,
      recordIds: records.map((m) => m.recordId!).filter(Boolean),
      cameraIds: [],
    });
  }
  return out;
}
