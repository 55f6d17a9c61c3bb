import { join } from 'node:path';
import type { DocumentStore, Logger, SecretBox } from './adapters.ts';
import { AuditLog } from './history/audit.ts';
import { openHistory, type Db } from './history/db.ts';
import { recoverInterrupted } from './history/recovery.ts';
import { Inventory } from './inventory/inventory.ts';
import { openKeyring, type BoundSecrets } from './secrets/keyring.ts';
import { removeStaleTempFiles, tightenFolder } from './store/data-folder.ts';
import { checkSecretPlacement, type MisplacedSecret } from './vault/secret-placement.ts';

export const HISTORY_FILE = 'history.sqlite';
/** The audit chain's last link, kept outside the database (audit-chain.ts). */
export const AUDIT_HEAD_FILE = 'audit-head.json';

export interface OpenedFolder {
  db: Db;
  inventory: Inventory;
  audit: AuditLog;
  secrets: BoundSecrets;
  misplaced: MisplacedSecret[];
}

/**
 * Opening a data folder (its lock already held), before any service runs: what a crash left
 * behind is tidied (temporary store copies, audit events still in the store's outbox, work in
 * flight marked interrupted), the keyring is opened (or created), the audit chain is checked in
 * the background, secrets are checked to sit where they belong, and the files made private.
 */
export async function openDataFolder(options: {
  dataDir: string;
  store: DocumentStore;
  box: SecretBox;
  osUser: string;
  logger: Logger;
  now: () => number;
}): Promise<OpenedFolder> {
  const { logger, now } = options;
  const leftovers = removeStaleTempFiles(options.store.path);
  if (leftovers.length) logger.warn('removed temporary files a crash left behind', { files: leftovers });
  const db = openHistory(join(options.dataDir, HISTORY_FILE), (error) =>
    logger.error('history: writes could not be stored', { error: String(error) }),
  );
  try {
    const inventory = new Inventory(options.store);
    const audit = new AuditLog(db, options.osUser, now);
    const keyring = await openKeyring({
      box: options.box,
      stored: inventory.keyring,
      save: (stored) => inventory.commit({ keyring: stored }),
      nextAuditSeq: audit.nextSeq(),
      auditHeadFile: join(options.dataDir, AUDIT_HEAD_FILE),
    });
    if (keyring.chain) audit.protect(keyring.chain);
    // Events a crash kept in the store's outbox go in (chained) before the chain is checked.
    inventory.attachAudit(audit);
    // Checked in the background, in slices: a long log must not hold the app's opening up.
    void audit.verify().then((integrity) => {
      if (integrity.state === 'broken')
        logger.error('the audit log was changed outside AlertDesk', { ...integrity });
    });
    if (keyring.created) {
      audit.record({
        action: 'create',
        recordType: 'audit',
        recordLabel: 'audit log protection',
        detail: `events from #${keyring.chain!.from} on are chained with a keyed MAC`,
      });
    }
    const placement = await checkSecretPlacement(inventory, keyring.secrets);
    if (placement.misplaced.length)
      logger.error('stored secrets sit in records they were not sealed for', {
        misplaced: placement.misplaced,
      });
    const recovered = recoverInterrupted(db, now());
    if (recovered.runs || recovered.deliveries)
      logger.warn('work in flight when AlertDesk last stopped is marked interrupted', { ...recovered });
    tightenFolder(options.dataDir);
    return { db, inventory, audit, secrets: keyring.secrets, misplaced: placement.misplaced };
  } catch (error) {
    db.close();
    throw error;
  }
}
