import { AUTH_LABELS, presetById } from '../../../shared/presets.ts';
import {
  M365_BASIC_AUTH_CUTOFF,
  READINESS_PROVIDER_LABELS,
  READINESS_VERDICTS,
  type ReadinessItem,
  type ReadinessOptionId,
  type ReadinessProvider,
  type ReadinessReport,
  type ReadinessVerdict,
} from '../../../shared/readiness.ts';
import type { Inventory, StoredConnector } from '../inventory/inventory.ts';

const DAY = 86_400_000;

/** SMTP hosts that log in to each provider (by host; the preset is the second clue). */
const HOSTS: Record<ReadinessProvider, RegExp> = {
  office365: /^(smtp\.office365\.com|outlook\.office365\.com|smtp-legacy\.office365\.com)$/i,
  outlook: /^(smtp-mail\.outlook\.com|smtp\.live\.com|smtp\.outlook\.com)$/i,
  gmail: /^(smtp\.gmail\.com|smtp\.googlemail\.com)$/i,
};
const PRESET_PROVIDER: Record<string, ReadinessProvider | undefined> = {
  office365: 'office365',
  outlook: 'outlook',
  gmail: 'gmail',
};
const RECORD_PROVIDER: Record<string, ReadinessProvider | undefined> = {
  office365: 'office365',
  outlook: 'outlook',
  gmail: 'gmail',
};
const PASSWORD_AUTH = new Set(['plain', 'login', 'cram-md5']);

interface Where {
  provider: ReadinessProvider;
  detectedBy: string;
}

function whereConnectorLogsIn(c: StoredConnector): Where | null {
  for (const [provider, pattern] of Object.entries(HOSTS) as Array<[ReadinessProvider, RegExp]>) {
    if (pattern.test(c.host.trim())) return { provider, detectedBy: `host ${c.host.trim().toLowerCase()}` };
  }
  const preset = presetById(c.presetId);
  const byPreset = preset ? PRESET_PROVIDER[preset.provider] : undefined;
  if (preset && byPreset)
    return { provider: byPreset, detectedBy: `preset ${preset.label} (host ${c.host})` };
  return null;
}

/** "31 Dec 2026": day, month name and year read the same in every locale (formatted once). */
const CUTOFF_DAY = new Date(`${M365_BASIC_AUTH_CUTOFF}T12:00:00Z`).toLocaleDateString('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
});
const collator = new Intl.Collator(undefined, { numeric: true });

function whatStops(
  kind: 'connector' | 'camera',
  provider: ReadinessProvider,
  verdict: ReadinessVerdict,
): string {
  const what = kind === 'camera' ? 'Alert e-mails' : 'Test e-mails and runs';
  if (verdict === 'ready') return 'Nothing: AlertDesk signs in with OAuth2.';
  if (provider === 'outlook') return `${what} already refused (since Sept 2024).`;
  if (provider === 'gmail') return `${what} stop whenever the app password is revoked.`;
  if (verdict === 'stopped')
    return `${what} already refused: SMTP AUTH is off for this mailbox (535 5.7.139).`;
  return `${what} stop from ${CUTOFF_DAY} (535 5.7.139).`;
}

function optionsFor(
  kind: 'connector' | 'camera',
  provider: ReadinessProvider,
  verdict: ReadinessVerdict,
): ReadinessOptionId[] {
  if (verdict === 'ready') return [];
  if (kind === 'connector')
    return provider === 'gmail' ? ['oauth2-connector', 'keep-verified'] : ['oauth2-connector'];
  if (provider === 'office365') return ['site-relay', 'm365-relay-connector', 'other-provider'];
  if (provider === 'outlook') return ['other-provider', 'site-relay'];
  return ['keep-verified', 'site-relay', 'other-provider'];
}

/**
 * Every connector and camera that logs in to Microsoft 365 or Outlook.com with a password (and
 * Gmail with an app password), grouped by site and account in that order, with what stops when.
 */
export function readinessReport(
  inventory: Inventory,
  now: number,
  filter: { siteId?: string | undefined; customer?: string | undefined } = {},
): ReadinessReport {
  const sites = new Map(inventory.sites.map((s) => [s.id, s]));
  const inScope = (siteId: string) => {
    const site = sites.get(siteId);
    if (!site) return false;
    if (filter.siteId && siteId !== filter.siteId) return false;
    if (filter.customer !== undefined && filter.customer !== '' && site.customer !== filter.customer)
      return false;
    return true;
  };
  const items: ReadinessItem[] = [];
  const base = (siteId: string) => ({
    siteId,
    siteName: sites.get(siteId)?.name ?? '',
    customer: sites.get(siteId)?.customer ?? '',
  });

  for (const c of inventory.connectors) {
    if (!inScope(c.siteId)) continue;
    const where = whereConnectorLogsIn(c);
    if (!where) continue;
    const oauth = c.auth === 'xoauth2';
    if (!oauth && !PASSWORD_AUTH.has(c.auth)) continue;
    let verdict: ReadinessVerdict = oauth
      ? 'ready'
      : where.provider === 'outlook'
        ? 'stopped'
        : where.provider === 'gmail'
          ? 'at-risk'
          : 'stops';
    if (verdict === 'stops' && c.lastTest?.failureClass === 'basic-auth-disabled') verdict = 'stopped';
    items.push({
      kind: 'connector',
      id: c.id,
      name: c.title,
      ...base(c.siteId),
      account: c.username,
      ...where,
      login: oauth ? 'OAuth2' : `password (${AUTH_LABELS[c.auth]})`,
      verdict,
      whatStops: whatStops('connector', where.provider, verdict),
      options: optionsFor('connector', where.provider, verdict),
      connectorId: c.id,
      connectorTitle: c.title,
      lastResult: c.lastTest
        ? `${c.lastTest.ok ? 'passed' : 'failed'} ${c.lastTest.at.slice(0, 10)}: ${c.lastTest.summary}`
        : null,
    });
  }

  for (const cam of inventory.cameras) {
    if (!inScope(cam.siteId)) continue;
    const connector = cam.connectorId ? inventory.connector(cam.connectorId) : undefined;
    const record = cam.appPasswordId ? inventory.appPassword(cam.appPasswordId) : undefined;
    let where = connector ? whereConnectorLogsIn(connector) : null;
    // A relay or another server in front: the camera does not log in to the provider itself.
    if (connector && !where) continue;
    if (!where && record) {
      const provider = RECORD_PROVIDER[record.provider];
      if (provider)
        where = { provider, detectedBy: `app password record (${READINESS_PROVIDER_LABELS[provider]})` };
    }
    if (!where) continue;
    const ownLogin = cam.smtpLogin !== '' || record !== undefined;
    if (!ownLogin && connector && !PASSWORD_AUTH.has(connector.auth) && connector.auth !== 'xoauth2')
      continue;
    let verdict: ReadinessVerdict =
      where.provider === 'outlook' ? 'stopped' : where.provider === 'gmail' ? 'at-risk' : 'stops';
    const verified = record?.lastVerified;
    if (verdict === 'stops' && verified && !verified.ok && verified.failureClass === 'basic-auth-disabled')
      verdict = 'stopped';
    items.push({
      kind: 'camera',
      id: cam.id,
      name: cam.name,
      ...base(cam.siteId),
      account: cam.smtpLogin || record?.account || connector?.username || '',
      ...where,
      // Cameras cannot do OAuth2: whatever the connector does, the device holds a password.
      login: record ? 'app password' : 'password',
      verdict,
      whatStops: whatStops('camera', where.provider, verdict),
      options: optionsFor('camera', where.provider, verdict),
      connectorId: connector?.id ?? null,
      connectorTitle: connector?.title ?? '',
      lastResult: verified
        ? `${verified.ok ? 'verified' : 'refused'} ${verified.at.slice(0, 10)}: ${verified.message}`
        : null,
    });
  }

  const order = (v: ReadinessVerdict) => READINESS_VERDICTS.indexOf(v);
  items.sort(
    (a, b) =>
      collator.compare(a.siteName, b.siteName) ||
      collator.compare(a.account, b.account) ||
      (a.kind === b.kind ? 0 : a.kind === 'connector' ? -1 : 1) ||
      order(a.verdict) - order(b.verdict) ||
      collator.compare(a.name, b.name),
  );
  const byVerdict = Object.fromEntries(READINESS_VERDICTS.map((v) => [v, 0])) as Record<
    ReadinessVerdict,
    number
  >;
  for (const i of items) byVerdict[i.verdict]++;
  const affected = items.filter((i) => i.verdict !== 'ready');
  const cutoffAt = Date.parse(`${M365_BASIC_AUTH_CUTOFF}T23:59:59Z`);
  return {
    generatedAt: new Date(now).toISOString(),
    cutoff: M365_BASIC_AUTH_CUTOFF,
    daysLeft: Math.ceil((cutoffAt - now) / DAY) - 1,
    items,
    counts: {
      sites: new Set(affected.map((i) => i.siteId)).size,
      accounts: new Set(affected.map((i) => `${i.provider}:${i.account.toLowerCase()}`)).size,
      connectors: affected.filter((i) => i.kind === 'connector').length,
      cameras: affected.filter((i) => i.kind === 'camera').length,
      byVerdict,
    },
  };
}
