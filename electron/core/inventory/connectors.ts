import type { Connector, ConnectorState, ConnectorTestSummary } from '../../../shared/domain.ts';
import type { DeliveryDetail } from '../../../shared/delivery.ts';
import { FAILURE_CATALOG } from '../../../shared/failures.ts';
import { accountAnswersTo } from '../../../shared/oauth.ts';
import { formatJavaMailProperties } from '../../../shared/javamail.ts';
import { DEFAULT_PORTS } from '../../../shared/presets.ts';
import { AppError, notFound } from '../../../shared/result.ts';
import { plural } from '../../../shared/words.ts';
import type { ConnectorParsed } from '../../../shared/schemas.ts';
import type { PlacedSecrets } from '../adapters.ts';
import { inspectCertificate, normalizePem } from '../certificates.ts';
import { cameraEvent, type AuditLog } from '../history/audit.ts';
import { secretPlace } from '../secrets/keyring.ts';
import { sealTyped } from '../secrets/seal.ts';
import type { RouteConnector } from '../mail/engine.ts';
import type { Inventory, StoredConnector } from './inventory.ts';

type ConnectorUpdateParsed = ConnectorParsed & { id: string };

/** Google shows app passwords as four groups of four letters; the spaces are not part of it. */
export function normalizePassword(password: string): string {
  return /^([a-z]{4} ){3}[a-z]{4}$/i.test(password.trim()) ? password.replace(/\s+/g, '') : password;
}

const CONNECTION_FIELDS = [
  'host',
  'port',
  'security',
  'auth',
  'username',
  'trustedCertificatePem',
  'allowPlainLogin',
  'pop',
  'oauthAccountId',
] as const;

export class ConnectorService {
  private readonly certInfo = new Map<string, ReturnType<typeof inspectCertificate>>();
  private readonly routes = new WeakMap<StoredConnector, RouteConnector>();

  private readonly inventory: Inventory;
  private readonly audit: AuditLog;
  private readonly secrets: PlacedSecrets;
  private readonly now: () => number;

  constructor(inventory: Inventory, audit: AuditLog, secrets: PlacedSecrets, now: () => number) {
    this.inventory = inventory;
    this.audit = audit;
    this.secrets = secrets;
    this.now = now;
  }

  view(c: StoredConnector): Connector {
    const { passwordSealed, trustedCertificatePem, pop, ...rest } = c;
    return {
      ...rest,
      hasPassword: passwordSealed !== null,
      trustedCertificate: trustedCertificatePem
        ? { pem: trustedCertificatePem, info: this.info(trustedCertificatePem) }
        : null,
      pop: pop ? { ...omitSealed(pop), hasPassword: pop.passwordSealed !== null } : null,
    };
  }

  list(siteId?: string): Connector[] {
    return this.inventory.connectors.filter((c) => !siteId || c.siteId === siteId).map((c) => this.view(c));
  }

  get(id: string): Connector {
    return this.view(this.stored(id));
  }

  stored(id: string): StoredConnector {
    const c = this.inventory.connector(id);
    if (!c) throw notFound('Connector', id);
    return c;
  }

  async create(input: ConnectorParsed): Promise<Connector> {
    const site = this.inventory.site(input.siteId);
    if (!site) throw new AppError('invalid-input', 'Choose an existing site for the connector.', 'siteId');
    const at = new Date(this.now()).toISOString();
    const id = crypto.randomUUID();
    const fields = await this.prepare(input, null, id);
    const connector: StoredConnector = {
      id,
      ...fields,
      state: 'STOPPED',
      lastTest: null,
      createdAt: at,
      updatedAt: at,
    };
    this.inventory.commit({ connectors: [...this.inventory.connectors, connector] }, [
      {
        action: 'create',
        recordType: 'connector',
        recordId: connector.id,
        recordLabel: connector.title,
        siteId: connector.siteId,
        detail: `${connector.host}:${connector.port} ${connector.security}, auth ${connector.auth}${connector.passwordSealed ? ', password stored' : ''}${connector.allowPlainLogin ? ', login without encryption allowed' : ''}`,
      },
    ]);
    return this.view(connector);
  }

  async update(input: ConnectorUpdateParsed): Promise<Connector> {
    const existing = this.stored(input.id);
    if (!this.inventory.site(input.siteId)) {
      throw new AppError('invalid-input', 'Choose an existing site for the connector.', 'siteId');
    }
    if (input.siteId !== existing.siteId) {
      // A camera sends through a connector of its own site: moving the connector away would leave
      // its cameras pointing at another site's connector.
      const users = this.inventory.cameras.filter((c) => c.connectorId === existing.id);
      if (users.length > 0) {
        throw new AppError(
          'in-use',
          `${users.length} camera(s) send through this connector (${users
            .slice(0, 3)
            .map((c) => c.name)
            .join(
              ', ',
            )}${users.length > 3 ? ', …' : ''}). Give them another connector first, or move the whole site's cameras with it.`,
          'siteId',
        );
      }
    }
    const fields = await this.prepare(input, existing, existing.id);
    const passwordChanged = fields.passwordSealed !== existing.passwordSealed;
    const connectionChanged =
      passwordChanged ||
      CONNECTION_FIELDS.some((k) => JSON.stringify(fields[k]) !== JSON.stringify(existing[k]));
    const updated: StoredConnector = {
      ...existing,
      ...fields,
      lastTest: connectionChanged ? null : existing.lastTest,
      updatedAt: new Date(this.now()).toISOString(),
    };
    const changed = Object.keys(fields).filter(
      (k) =>
        k !== 'passwordSealed' &&
        JSON.stringify(existing[k as keyof StoredConnector]) !==
          JSON.stringify(updated[k as keyof StoredConnector]),
    );
    if (passwordChanged) changed.push(fields.passwordSealed ? 'password (replaced)' : 'password (cleared)');
    this.inventory.commit(
      { connectors: this.inventory.connectors.map((c) => (c.id === updated.id ? updated : c)) },
      [
        {
          action: 'update',
          recordType: 'connector',
          recordId: updated.id,
          recordLabel: updated.title,
          siteId: updated.siteId,
          detail: changed.length ? `changed: ${changed.join(', ')}` : 'no change',
        },
      ],
    );
    return this.view(updated);
  }

  /** Deletes a connector; its cameras are left without one, in the same write. */
  remove(id: string): { id: string } {
    const c = this.stored(id);
    const detached = this.inventory.cameras.filter((x) => x.connectorId === id);
    this.inventory.commit(
      {
        connectors: this.inventory.connectors.filter((x) => x.id !== id),
        ...(detached.length
          ? {
              cameras: this.inventory.cameras.map((x) =>
                x.connectorId === id ? { ...x, connectorId: null } : x,
              ),
            }
          : {}),
      },
      [
        ...detached.map((x) => cameraEvent(x, 'connector deleted; camera has no connector now')),
        { action: 'delete', recordType: 'connector', recordId: id, recordLabel: c.title, siteId: c.siteId },
      ],
    );
    return { id };
  }

  setState(id: string, state: ConnectorState, detail = 'by the user'): Connector {
    const c = this.stored(id);
    if (c.state === state) return this.view(c);
    const updated = { ...c, state, updatedAt: new Date(this.now()).toISOString() };
    this.inventory.commit({ connectors: this.inventory.connectors.map((x) => (x.id === id ? updated : x)) }, [
      {
        action: state === 'RUN' ? 'start' : 'stop',
        recordType: 'connector',
        recordId: id,
        recordLabel: c.title,
        siteId: c.siteId,
        detail,
      },
    ]);
    return this.view(updated);
  }

  /** Remembers the outcome of a test e-mail; a passing test starts a STOPPED connector. */
  recordTest(id: string, detail: Omit<DeliveryDetail, 'attempts'>): void {
    const c = this.inventory.connector(id);
    if (!c) return;
    const ok = detail.status === 'sent';
    const lastTest: ConnectorTestSummary = {
      at: detail.updatedAt,
      ok,
      deliveryId: detail.id,
      failureClass: detail.failureClass,
      summary: ok
        ? `Accepted by ${c.host} for ${plural(detail.accepted.length, 'recipient')}`
        : (detail.failure?.explanation ?? FAILURE_CATALOG[detail.failureClass ?? 'unexpected'].title),
    };
    const startNow = ok && c.state === 'STOPPED';
    const updated: StoredConnector = { ...c, lastTest, state: startNow ? 'RUN' : c.state };
    this.inventory.commit({ connectors: this.inventory.connectors.map((x) => (x.id === id ? updated : x)) }, [
      {
        action: 'test',
        recordType: 'connector',
        recordId: id,
        recordLabel: c.title,
        siteId: c.siteId,
        result: ok ? 'ok' : 'failed',
        detail: ok ? lastTest.summary : `${detail.failureClass}: ${lastTest.summary}`,
      },
      ...(startNow
        ? [
            {
              action: 'start' as const,
              recordType: 'connector' as const,
              recordId: id,
              recordLabel: c.title,
              siteId: c.siteId,
              detail: 'after a passing test e-mail',
            },
          ]
        : []),
    ]);
  }

  exportProperties(id: string): { filename: string; text: string } {
    const c = this.stored(id);
    const text = formatJavaMailProperties(c, new Date(this.now()).toISOString());
    this.audit.record({
      action: 'export',
      recordType: 'connector',
      recordId: id,
      recordLabel: c.title,
      siteId: c.siteId,
      detail: 'JavaMail properties (no password)',
    });
    const slug =
      c.title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || 'connector';
    return { filename: `${slug}.properties`, text };
  }

  /** The connector as the delivery engine sees it at the moment of an attempt. */
  route(id: string): RouteConnector | undefined {
    const c = this.inventory.connector(id);
    if (!c) return undefined;
    // Stored records are replaced on every change, so the view made for one stays right for it.
    const siteName = this.inventory.site(c.siteId)?.name ?? '(deleted site)';
    const cached = this.routes.get(c);
    if (cached && cached.siteName === siteName) return cached;
    const route: RouteConnector = { ...c, siteName, pop: c.pop ? { ...c.pop } : null };
    this.routes.set(c, route);
    return route;
  }

  private info(pem: string) {
    let info = this.certInfo.get(pem);
    if (!info) {
      info = inspectCertificate(pem);
      this.certInfo.set(pem, info);
    }
    return info;
  }

  /** Validates and seals a connector input; throws at the first field that cannot be stored. */
  private async prepare(
    input: ConnectorParsed,
    existing: StoredConnector | null,
    id: string,
  ): Promise<Omit<StoredConnector, 'id' | 'state' | 'lastTest' | 'createdAt' | 'updatedAt'>> {
    const oauthAccountId = input.auth === 'xoauth2' ? this.signedIn(input) : null;
    let trustedCertificatePem: string | null = null;
    if (input.trustedCertificatePem && input.trustedCertificatePem.trim() !== '') {
      inspectCertificate(input.trustedCertificatePem);
      trustedCertificatePem = normalizePem(input.trustedCertificatePem);
    }
    const passwordSealed = await this.sealed(
      input.password,
      input.clearPassword,
      existing?.passwordSealed ?? null,
      'password',
      secretPlace.connectorPassword(id),
    );
    let pop: StoredConnector['pop'] = null;
    if (input.pop) {
      const { password, clearPassword, ...popFields } = input.pop;
      pop = {
        ...popFields,
        passwordSealed: await this.sealed(
          password,
          clearPassword,
          existing?.pop?.passwordSealed ?? null,
          'pop.password',
          secretPlace.popPassword(id),
        ),
      };
    }
    const { password: _p, clearPassword: _c, trustedCertificatePem: _t, pop: _pop, ...plain } = input;
    return {
      ...plain,
      port: input.portIsManual ? input.port : DEFAULT_PORTS[input.security],
      trustedCertificatePem,
      passwordSealed,
      pop,
      oauthAccountId,
    };
  }

  /** An OAuth2 connector's sign-in: it must exist and be the account the connector logs in as. */
  private signedIn(input: ConnectorParsed): string {
    const account = input.oauthAccountId ? this.inventory.oauthAccount(input.oauthAccountId) : undefined;
    if (!account) {
      throw new AppError(
        'invalid-input',
        'This sign-in no longer exists (someone signed out). Sign in again before saving.',
        'oauthAccountId',
      );
    }
    if (!accountAnswersTo(account, input.username)) {
      throw new AppError(
        'oauth-account-mismatch',
        `The connector logs in as ${input.username}, but the sign-in is for ${account.account}. Use ${account.account} as the user name, or sign in with ${input.username}.`,
        'username',
      );
    }
    return account.id;
  }

  private sealed(
    password: string | undefined,
    clear: boolean,
    current: string | null,
    field: string,
    place: string,
  ): Promise<string | null> {
    return sealTyped(
      this.secrets,
      { password, clear, current },
      { field, place, what: 'the connector' },
      normalizePassword,
    );
  }
}

function omitSealed<T extends { passwordSealed: string | null }>(value: T): Omit<T, 'passwordSealed'> {
  const { passwordSealed: _s, ...rest } = value;
  return rest;
}
