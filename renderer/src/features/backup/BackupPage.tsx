import { useState } from 'react';
import type { BackupCounts } from '../../../../shared/vault.ts';
import { api, call, errorMessage, fieldErrors } from '../../api.ts';
import { TextField } from '../../components/fields.tsx';
import { Dialog, Notice, PageHeader, useToast } from '../../components/ui.tsx';
import { download } from '../deliveries/DeliveriesPage.tsx';

const summary = (c: BackupCounts) =>
  `${c.sites} sites, ${c.connectors} connectors, ${c.cameras} cameras, ${c.appPasswords} app passwords`;

/** Encrypted backup of the whole inventory, secrets included, under a passphrase. */
export function BackupPage() {
  const toast = useToast();
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const [exportErrors, setExportErrors] = useState<Record<string, string>>({});
  const [file, setFile] = useState<File | null>(null);
  const [importPassphrase, setImportPassphrase] = useState('');
  const [importError, setImportError] = useState<Record<string, string>>({});
  const [importSummary, setImportSummary] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<BackupCounts | null>(null);

  async function runExport() {
    if (passphrase !== confirm) {
      setExportErrors({ confirm: 'The two passphrases differ.' });
      return;
    }
    try {
      const out = await call(api.backup.export({ passphrase }));
      download(out.filename, out.content, 'application/octet-stream');
      toast('ok', `Backup saved: ${summary(out.counts)}.`);
      setPassphrase('');
      setConfirm('');
      setExportErrors({});
    } catch (e) {
      setExportErrors(fieldErrors(e));
    }
  }

  async function runImport() {
    setConfirming(false);
    if (!file) return;
    try {
      const counts = await call(
        api.backup.import({ content: await file.text(), passphrase: importPassphrase }),
      );
      setDone(counts);
      setImportError({});
      setImportSummary(null);
      toast('ok', `Backup restored: ${summary(counts)}.`);
    } catch (e) {
      setImportError(fieldErrors(e));
      setImportSummary(errorMessage(e));
    }
  }

  return (
    <div className="page narrow">
      <PageHeader
        title="Backup"
        description="Move the whole inventory — sites, connectors, cameras, watched mailboxes, app passwords and OAuth2 sign-ins, with their secrets — to another computer, encrypted under a passphrase."
      />
      <section className="card">
        <h2>Export an encrypted backup</h2>
        <p className="muted">
          The file is encrypted with AES-256-GCM under a key derived from your passphrase (scrypt). Without
          the passphrase nobody can read it — not even AlertDesk.
        </p>
        <div className="form-grid">
          <TextField
            label="Passphrase"
            type="password"
            value={passphrase}
            onChange={setPassphrase}
            error={exportErrors.passphrase}
            hint="At least 10 characters. Keep it apart from the file."
          />
          <TextField
            label="Repeat the passphrase"
            type="password"
            value={confirm}
            onChange={setConfirm}
            error={exportErrors.confirm}
          />
        </div>
        <button type="button" className="btn primary" onClick={() => void runExport()}>
          Export backup…
        </button>
      </section>
      <section className="card">
        <h2>Restore from a backup</h2>
        <Notice level="warning">
          Restoring replaces the sites, connectors, cameras, watched mailboxes, app passwords, heartbeat rules
          and OAuth2 sign-ins on this computer. The delivery history, the mail already read and the audit log
          are kept.
        </Notice>
        {importSummary ? <Notice level="error">{importSummary}</Notice> : null}
        {done ? <Notice level="success">Restored {summary(done)}.</Notice> : null}
        <div className="form-grid">
          <label className="btn">
            {file ? file.name : 'Choose backup file…'}
            <input
              type="file"
              accept=".adbackup,application/octet-stream"
              hidden
              aria-label="Backup file"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </label>
          <TextField
            label="Passphrase of the backup"
            type="password"
            value={importPassphrase}
            onChange={setImportPassphrase}
            error={importError.passphrase}
          />
        </div>
        <button
          type="button"
          className="btn danger"
          disabled={!file || importPassphrase === ''}
          onClick={() => setConfirming(true)}
        >
          Restore…
        </button>
      </section>
      {confirming ? (
        <Dialog
          title="Replace the inventory on this computer?"
          onClose={() => setConfirming(false)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => setConfirming(false)}>
                Cancel
              </button>
              <button type="button" className="btn danger" onClick={() => void runImport()}>
                Replace with the backup
              </button>
            </>
          }
        >
          <p>
            Everything in the current inventory is replaced by the backup. If the passphrase is wrong or the
            file was changed, nothing is replaced.
          </p>
        </Dialog>
      ) : null}
    </div>
  );
}
