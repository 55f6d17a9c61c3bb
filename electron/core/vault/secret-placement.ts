import { holdsSecret } from '../../../shared/javamail.ts';
import type {
  Inventory,
  StoredAppPassword,
  StoredConnector,
  StoredMailbox,
  StoredOAuthAccount,
} from '../inventory/inventory.ts';
import { placeOf, secretPlace, type BoundSecrets } from '../secrets/keyring.ts';

/** A sealed secret found in a record it was not sealed for. */
export interface MisplacedSecret {
  recordType: 'connector' | 'app-password' | 'mailbox' | 'vault' | 'oauth-account';
  recordId: string | null;
  label: string;
  field: string;
}

/**
 * At opening: every sealed secret must sit where it was sealed for. One that does not (the store
 * was edited: a blob moved into a connector pointing at another server, say) is never opened, and
 * shows as a finding. Secrets sealed before the keyring existed are sealed again, bound to their
 * record, in one write.
 */
export async function checkSecretPlacement(
  inventory: Inventory,
  secrets: BoundSecrets,
): Promise<{ misplaced: MisplacedSecret[]; resealed: number }> {
  const misplaced: MisplacedSecret[] = [];
  let resealed = 0;
  const place = async (
    sealed: string | null,
    expected: string,
    where: Omit<MisplacedSecret, 'field'> & { field: string },
  ): Promise<string | null> => {
    if (sealed === null) return null;
    const sealedFor = placeOf(sealed);
    if (sealedFor !== null) {
      if (sealedFor !== expected) {
        secrets.quarantine(sealed);
        misplaced.push(where);
      }
      return sealed;
    }
    if (!secrets.keyed) return sealed;
    try {
      const again = await secrets.seal(await secrets.open(sealed), expected);
      resealed++;
      return again;
    } catch {
      return sealed; // unreadable here: left as it is, and reported where it is used
    }
  };

  // JavaMail properties that hold a secret in clear (imported before such keys were refused).
  let clearSecrets = 0;
  const connectors: StoredConnector[] = [];
  for (const c of inventory.connectors) {
    const extraProperties = c.extraProperties.filter(([key]) => !holdsSecret(key));
    clearSecrets += c.extraProperties.length - extraProperties.length;
    const where = { recordType: 'connector' as const, recordId: c.id, label: c.title };
    const passwordSealed = await place(c.passwordSealed, secretPlace.connectorPassword(c.id), {
      ...where,
      field: 'password',
    });
    const pop = c.pop
      ? {
          ...c.pop,
          passwordSealed: await place(c.pop.passwordSealed, secretPlace.popPassword(c.id), {
            ...where,
            field: 'pop.password',
          }),
        }
      : null;
    connectors.push({ ...c, extraProperties, passwordSealed, pop });
  }
  const appPasswords: StoredAppPassword[] = [];
  for (const r of inventory.appPasswords) {
    appPasswords.push({
      ...r,
      secretSealed: await place(r.secretSealed, secretPlace.appPassword(r.id), {
        recordType: 'app-password',
        recordId: r.id,
        label: `${r.account} · ${r.label}`,
        field: 'secret',
      }),
    });
  }
  const oauthAccounts: StoredOAuthAccount[] = [];
  for (const a of inventory.oauthAccounts) {
    const refreshTokenSealed = await place(a.refreshTokenSealed, secretPlace.oauthRefreshToken(a.id), {
      recordType: 'oauth-account',
      recordId: a.id,
      label: a.account,
      field: 'refreshToken',
    });
    oauthAccounts.push({ ...a, refreshTokenSealed: refreshTokenSealed ?? a.refreshTokenSealed });
  }
  const mailboxes: StoredMailbox[] = [];
  for (const m of inventory.mailboxes) {
    mailboxes.push({
      ...m,
      passwordSealed: await place(m.passwordSealed, secretPlace.mailboxPassword(m.id), {
        recordType: 'mailbox',
        recordId: m.id,
        label: m.title,
        field: 'password',
      }),
    });
  }
  const vaultPepper = await place(inventory.vaultPepper, secretPlace.vaultPepper, {
    recordType: 'vault',
    recordId: null,
    label: 'reuse-check key',
    field: 'vaultPepper',
  });

  if (resealed > 0 || clearSecrets > 0) {
    inventory.commit({ connectors, appPasswords, mailboxes, oauthAccounts, vaultPepper }, [
      {
        action: 'update',
        recordType: 'inventory',
        recordLabel: 'stored secrets',
        detail: [
          resealed ? `${resealed} secret(s) sealed again, each bound to its record` : '',
          clearSecrets
            ? `${clearSecrets} JavaMail propert${clearSecrets === 1 ? 'y' : 'ies'} holding a secret in clear removed`
            : '',
        ]
          .filter(Boolean)
          .join('; '),
      },
    ]);
  }
  return { misplaced, resealed };
}
