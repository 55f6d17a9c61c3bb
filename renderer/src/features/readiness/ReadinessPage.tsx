import { Fragment, useMemo } from 'react';
import {
  READINESS_OPTIONS,
  READINESS_PROVIDER_LABELS,
  READINESS_PROVIDER_STORIES,
  type ReadinessProvider,
  READINESS_VERDICT_LABELS,
  type ReadinessItem,
  type ReadinessOptionId,
  type ReadinessVerdict,
} from '../../../../shared/readiness.ts';
import { api, call, errorMessage } from '../../api.ts';
import { useQuery } from '../../app/hooks.ts';
import { navigate, type Route } from '../../app/router.ts';
import { FilterSelect } from '../../components/fields.tsx';
import { absoluteTime, plural } from '../../components/format.tsx';
import { Badge, Notice, PageHeader, useToast } from '../../components/ui.tsx';
import { download } from '../deliveries/DeliveriesPage.tsx';

const TONE: Record<ReadinessVerdict, 'bad' | 'warn' | 'info' | 'ok'> = {
  stopped: 'bad',
  stops: 'bad',
  'at-risk': 'warn',
  ready: 'ok',
};

interface SiteGroup {
  siteId: string;
  siteName: string;
  customer: string;
  accounts: Array<{ account: string; provider: ReadinessItem['provider']; items: ReadinessItem[] }>;
}

/** Items arrive sorted by site, account, kind: folded into site → account groups as they come. */
function groupsOf(items: ReadinessItem[]): SiteGroup[] {
  const out: SiteGroup[] = [];
  for (const i of items) {
    let site = out.at(-1);
    if (!site || site.siteId !== i.siteId) {
      site = { siteId: i.siteId, siteName: i.siteName, customer: i.customer, accounts: [] };
      out.push(site);
    }
    let account = site.accounts.at(-1);
    if (!account || account.account !== i.account || account.provider !== i.provider) {
      account = { account: i.account, provider: i.provider, items: [] };
      site.accounts.push(account);
    }
    account.items.push(i);
  }
  return out;
}

const formatDay = (iso: string) =>
  new Date(`${iso}T12:00:00Z`).toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });

/**
 * What breaks when Microsoft turns basic-auth SMTP off, across every site: each connector and
 * camera that logs in with a password, by site and account, with the ways out. Printable and
 * exportable per customer.
 */
export function ReadinessPage({ route }: { route: Route }) {
  const toast = useToast();
  const siteId = route.params.get('site') ?? '';
  const customer = route.params.get('customer') ?? '';
  const filter = { ...(siteId ? { siteId } : {}), ...(customer ? { customer } : {}) };
  const report = useQuery(() => api.readiness.report(filter), [siteId, customer]);
  const sites = useQuery(() => api.sites.list(), []);
  const info = useQuery(() => api.app.info(), []);
  const groups = useMemo(() => groupsOf(report.data?.items ?? []), [report.data]);
  const usedOptions = useMemo(() => {
    const used = new Set<ReadinessOptionId>();
    for (const i of report.data?.items ?? []) for (const o of i.options) used.add(o);
    return (Object.keys(READINESS_OPTIONS) as ReadinessOptionId[]).filter((o) => used.has(o));
  }, [report.data]);
  const providers = useMemo(
    () => [...new Set((report.data?.items ?? []).map((i) => i.provider))] as ReadinessProvider[],
    [report.data],
  );
  const customers = [...new Set((sites.data ?? []).map((s) => s.customer).filter(Boolean))].sort();

  const setParams = (next: { site?: string; customer?: string }) => {
    const q = new URLSearchParams();
    if (next.site) q.set('site', next.site);
    if (next.customer) q.set('customer', next.customer);
    navigate(`readiness${q.size ? `?${q}` : ''}`);
  };

  async function csv() {
    try {
      const out = await call(api.readiness.exportCsv(filter));
      download(out.filename, out.csv);
      toast('ok', `Saved ${out.filename} (${plural(out.rows, 'row')}).`);
    } catch (e) {
      toast('bad', errorMessage(e));
    }
  }

  const r = report.data;
  const c = r?.counts;
  const scope = siteId ? (sites.data?.find((s) => s.id === siteId)?.name ?? '') : customer || 'all sites';
  return (
    <div className="page readiness" data-readiness-ready={r ? '' : undefined}>
      <PageHeader
        title="Basic-auth readiness"
        description={
          r ? (
            <>
              Microsoft turns password logins for SMTP off on <strong>{formatDay(r.cutoff)}</strong>
              {r.daysLeft > 0
                ? ` (in ${plural(r.daysLeft, 'day')})`
                : r.daysLeft === 0
                  ? ' (today)'
                  : ` (${plural(-r.daysLeft, 'day')} ago)`}
              . Everything below logs in with a password and what to do about it.
            </>
          ) : (
            'Every connector and camera that logs in to Microsoft 365 or Outlook.com with a password.'
          )
        }
        actions={
          <>
            <button type="button" className="btn no-print" disabled={!r} onClick={() => window.print()}>
              Print…
            </button>
            <button type="button" className="btn primary no-print" disabled={!r} onClick={() => void csv()}>
              Save CSV
            </button>
          </>
        }
      />
      <div className="readiness-filters no-print">
        <FilterSelect
          label="Customer"
          value={customer}
          onChange={(v) => setParams({ customer: v })}
          all={{ value: '', label: 'All customers' }}
          options={customers.map((x) => ({ value: x, label: x }))}
        />
        <FilterSelect
          label="Site"
          value={siteId}
          onChange={(v) => setParams({ site: v, customer })}
          all={{ value: '', label: 'All sites' }}
          options={(sites.data ?? [])
            .filter((s) => !customer || s.customer === customer)
            .map((s) => ({ value: s.id, label: s.name }))}
        />
      </div>
      <div className="print-only readiness-print-head">
        <div className="report-brand">◉ AlertDesk · Basic-auth readiness</div>
        <h1>{scope}</h1>
        <p>
          Prepared {r ? absoluteTime(r.generatedAt) : ''}
          {info.data ? ` by ${info.data.osUser}` : ''}
        </p>
      </div>
      {report.error ? <Notice level="error">{report.error.message}</Notice> : null}
      {r && c ? (
        <section
          className={`readiness-summary ${c.connectors + c.cameras > 0 ? 'affected' : 'clear'}`}
          aria-label="Summary"
        >
          {c.connectors + c.cameras > 0 ? (
            <strong>
              {plural(c.cameras, 'camera')} and {plural(c.connectors, 'connector')} at{' '}
              {plural(c.sites, 'site')} ({plural(c.accounts, 'account')}) log in with a password.
            </strong>
          ) : (
            <strong>Nothing here logs in to Microsoft 365, Outlook.com or Gmail with a password.</strong>
          )}
          <span className="readiness-counts">
            {(['stopped', 'stops', 'at-risk', 'ready'] as const).map((v) => (
              <Badge key={v} tone={TONE[v]}>
                {READINESS_VERDICT_LABELS[v]}: {c.byVerdict[v]}
              </Badge>
            ))}
          </span>
        </section>
      ) : report.loading ? (
        <p className="muted">Looking through every connector and camera…</p>
      ) : null}

      {groups.length > 0 ? (
        <table className="readiness-table">
          <colgroup>
            <col className="w-kind" />
            <col className="w-name" />
            <col className="w-login" />
            <col className="w-verdict" />
            <col className="w-stops" />
            <col className="w-options" />
          </colgroup>
          <thead>
            <tr>
              <th>Kind</th>
              <th>Name</th>
              <th>Logs in with</th>
              <th>Verdict</th>
              <th>What stops</th>
              <th>Ways out</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((site) => (
              <Fragment key={site.siteId}>
                <tr className="readiness-site">
                  <th colSpan={6} scope="rowgroup">
                    {site.siteName}
                    {site.customer ? <span className="muted"> · {site.customer}</span> : null}
                  </th>
                </tr>
                {site.accounts.map((a) => (
                  <Fragment key={`${a.provider}:${a.account}`}>
                    <tr className="readiness-account">
                      <td colSpan={6}>
                        <span className="mono">{a.account || '(no login recorded)'}</span>{' '}
                        <span className="muted">· {READINESS_PROVIDER_LABELS[a.provider]}</span>
                      </td>
                    </tr>
                    {a.items.map((i) => (
                      <tr key={`${i.kind}:${i.id}`} className={`verdict-${i.verdict}`}>
                        <td>{i.kind === 'connector' ? 'Connector' : 'Camera'}</td>
                        <td>
                          <button
                            type="button"
                            className="link"
                            onClick={() =>
                              navigate(
                                i.kind === 'connector' ? `connectors/${i.id}` : `cameras?site=${i.siteId}`,
                              )
                            }
                          >
                            {i.name}
                          </button>
                          <div className="muted small">
                            {i.kind === 'camera' && i.connectorTitle ? `via ${i.connectorTitle} · ` : ''}
                            {i.detectedBy}
                          </div>
                        </td>
                        <td>{i.login}</td>
                        <td>
                          <Badge tone={TONE[i.verdict]}>{READINESS_VERDICT_LABELS[i.verdict]}</Badge>
                        </td>
                        <td>
                          {i.whatStops}
                          {i.lastResult ? <div className="muted small">Last: {i.lastResult}</div> : null}
                        </td>
                        <td>
                          {i.options.length ? (
                            <ol className="readiness-ways">
                              {i.options.map((o) => (
                                <li key={o}>{READINESS_OPTIONS[o].title}</li>
                              ))}
                            </ol>
                          ) : (
                            <span className="muted">—</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </Fragment>
                ))}
              </Fragment>
            ))}
          </tbody>
        </table>
      ) : null}

      {providers.length > 0 ? (
        <section className="readiness-options" aria-label="What stops">
          <h2>What stops, and when</h2>
          <dl>
            {providers.map((p) => (
              <div key={p}>
                <dt>{READINESS_PROVIDER_LABELS[p]}</dt>
                <dd>{READINESS_PROVIDER_STORIES[p]}</dd>
              </div>
            ))}
          </dl>
        </section>
      ) : null}
      {usedOptions.length > 0 ? (
        <section className="readiness-options" aria-label="Ways out">
          <h2>The ways out</h2>
          <dl>
            {usedOptions.map((o) => (
              <div key={o}>
                <dt>{READINESS_OPTIONS[o].title}</dt>
                <dd>{READINESS_OPTIONS[o].text}</dd>
              </div>
            ))}
          </dl>
        </section>
      ) : null}
    </div>
  );
}
