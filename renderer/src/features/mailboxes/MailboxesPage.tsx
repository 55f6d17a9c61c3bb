import { createColumnHelper } from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import { WATCHER_STATE_LABELS, WATCHER_STATES, type WatcherState } from '../../../../shared/inbound.ts';
import type { Mailbox, MailboxStatus } from '../../../../shared/mailboxes.ts';
import { api } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';
import { navigate, type Route } from '../../app/router.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { FilterSelect } from '../../components/fields.tsx';
import { plural, When } from '../../components/format.tsx';
import { Notice, PageHeader } from '../../components/ui.tsx';
import { MailboxPanel } from './MailboxPanel.tsx';
import { LoginSummary, WatcherBadge } from './WatcherStatus.tsx';

type Row = Mailbox & { covers: string; coverCount: number };
const col = createColumnHelper<Row>();

/** Worst first when sorting by state: a rejected login needs the integrator, a stopped one does not. */
const STATE_ORDER: Record<WatcherState, number> = {
  'login-rejected': 0,
  reconnecting: 1,
  'catching-up': 2,
  connected: 3,
  stopped: 4,
};

/** The watched mailboxes: where alert mail lands, and whether AlertDesk is reading it right now. */
export function MailboxesPage({ route }: { route: Route }) {
  const mailboxes = useQuery(() => api.mailboxes.list(), []);
  const sites = useQuery(() => api.sites.list(), []);
  const cameras = useQuery(() => api.cameras.list(), []);
  const [live, setLive] = useState<Map<string, MailboxStatus>>(new Map());
  const [stateFilter, setStateFilter] = useState<'all' | WatcherState>('all');
  // Watchers push their state (and progress while catching up); the table follows without polling.
  // A new state (a login rejected, connected again) may come with a sign-in's new state: read the
  // list again then, and after every sign-in.
  useEvent('watcher', (status) => {
    const before =
      live.get(status.mailboxId)?.state ??
      mailboxes.data?.find((m) => m.id === status.mailboxId)?.status.state;
    if (before !== undefined && before !== status.state) mailboxes.reload();
    setLive((m) => new Map(m).set(status.mailboxId, status));
  });
  useEvent('oauth', (event) => {
    if (event.state === 'signed-in') mailboxes.reload();
  });

  const siteName = useMemo(() => new Map((sites.data ?? []).map((s) => [s.id, s.name])), [sites.data]);
  const rows = useMemo<Row[]>(
    () =>
      (mailboxes.data ?? []).map((m) => {
        const fresh = live.get(m.id);
        const status = fresh && fresh.since >= m.status.since ? fresh : m.status;
        const names = m.siteIds.map((id) => siteName.get(id) ?? '—');
        const covers = [
          names.length ? names.join(', ') : '',
          m.cameraIds.length ? plural(m.cameraIds.length, 'camera') : '',
        ]
          .filter(Boolean)
          .join(' + ');
        return { ...m, status, covers, coverCount: m.siteIds.length + m.cameraIds.length };
      }),
    [mailboxes.data, live, siteName],
  );
  const shown = rows.filter((m) => stateFilter === 'all' || m.status.state === stateFilter);

  const columns = useMemo(
    () => [
      col.accessor('title', {
        header: 'Mailbox',
        meta: { width: 'minmax(190px, 1.5fr)' },
        cell: (c) => (
          <span className="two-lines">
            <strong>{c.getValue()}</strong>
            <span className="muted small">{c.row.original.username}</span>
          </span>
        ),
      }),
      col.accessor((m) => STATE_ORDER[m.status.state], {
        id: 'state',
        header: 'Watcher',
        meta: { width: 'minmax(150px, 1fr)' },
        cell: (c) => {
          const s = c.row.original.status;
          const sameWords = s.failure?.title.toLowerCase() === WATCHER_STATE_LABELS[s.state];
          return (
            <span className="two-lines">
              <WatcherBadge status={s} />
              {s.state === 'connected' || s.state === 'stopped' ? null : s.failure && !sameWords ? (
                <span className="small bad-text" title={`${s.failure.explanation} ${s.failure.fix}`}>
                  {s.failure.title}
                </span>
              ) : s.nextAttemptAt ? (
                <span className="small muted">
                  next try <When iso={s.nextAttemptAt} />
                </span>
              ) : null}
            </span>
          );
        },
      }),
      col.accessor((m) => (m.signIn ? `OAuth2 ${m.signIn.state}` : 'App password'), {
        id: 'login',
        header: 'Login',
        meta: { width: 'minmax(175px, 0.8fr)', hideBelow: 1100 },
        cell: (c) => {
          const m = c.row.original;
          return m.signIn ? (
            <span className="two-lines">
              <span>
                <LoginSummary mailbox={m} />
              </span>
              <span className="muted small">OAuth2</span>
            </span>
          ) : (
            <span className="two-lines">
              <span>App password</span>
              {m.hasPassword ? (
                <span className="muted small">stored</span>
              ) : (
                <span className="small bad-text">none stored</span>
              )}
            </span>
          );
        },
      }),
      col.accessor((m) => `${m.host}:${m.port}`, {
        id: 'server',
        header: 'Server',
        meta: { width: 'minmax(160px, 1fr)' },
        cell: (c) => <span className="mono">{c.getValue()}</span>,
      }),
      col.accessor((m) => m.status.lastSyncAt ?? '', {
        id: 'lastSync',
        header: 'Last sync',
        meta: { width: '110px' },
        cell: (c) => <When iso={c.row.original.status.lastSyncAt} />,
      }),
      col.accessor((m) => m.status.messagesSeen, {
        id: 'seen',
        header: 'Messages seen',
        meta: { width: '150px', align: 'end' },
        cell: (c) => c.getValue().toLocaleString(),
      }),
      col.accessor('covers', {
        header: 'Covers',
        meta: { width: 'minmax(170px, 1.4fr)' },
        cell: (c) => c.getValue() || <span className="muted">nothing yet</span>,
      }),
    ],
    [],
  );

  const open = route.id;
  const selected = open && open !== 'new' ? rows.find((m) => m.id === open) : undefined;
  const close = () => navigate('mailboxes');
  const reload = () => {
    mailboxes.reload();
    sites.reload();
  };
  const rejected = rows.filter((m) => m.status.state === 'login-rejected').length;

  return (
    <div className="page">
      <PageHeader
        title="Mailboxes"
        description="The IMAP mailboxes where the cameras' alert and heartbeat mail lands. AlertDesk reads envelopes and headers as mail arrives, never marks anything read, and fetches a body only when you open a message."
        actions={
          <button type="button" className="btn primary" onClick={() => navigate('mailboxes/new')}>
            New mailbox
          </button>
        }
      />
      {mailboxes.error ? <Notice level="error">{mailboxes.error.message}</Notice> : null}
      {rejected > 0 ? (
        <Notice level="error" title={`${plural(rejected, 'mailbox', 'mailboxes')} with a rejected login`}>
          Their cameras read as unknown until the login works again: open the mailbox for what to do.
        </Notice>
      ) : null}
      <DataTable
        label="Mailboxes"
        data={shown}
        totalCount={rows.length}
        columns={columns}
        getRowId={(m) => m.id}
        searchPlaceholder="Search mailboxes, logins, sites…"
        initialSorting={[{ id: 'state', desc: false }]}
        selectedId={selected ? selected.id : null}
        onRowClick={(m) => navigate(`mailboxes/${m.id}`)}
        filters={
          <FilterSelect
            label="Filter by watcher state"
            value={stateFilter}
            onChange={setStateFilter}
            all={{ value: 'all', label: 'All states' }}
            options={WATCHER_STATES.map((s) => ({ value: s, label: WATCHER_STATE_LABELS[s] }))}
          />
        }
        empty={
          mailboxes.loading
            ? 'Loading…'
            : 'No mailboxes yet. Add the mailbox your cameras send to (Gmail, Microsoft 365, any IMAP server) to watch their heartbeats.'
        }
      />
      {open === 'new' ? (
        <MailboxPanel
          key="new"
          mailbox={null}
          sites={sites.data ?? []}
          cameras={cameras.data ?? []}
          tab="settings"
          onClose={close}
          onChanged={reload}
        />
      ) : selected ? (
        <MailboxPanel
          key={selected.id}
          mailbox={selected}
          sites={sites.data ?? []}
          cameras={cameras.data ?? []}
          tab={route.params.get('tab') === 'messages' ? 'messages' : 'settings'}
          onClose={close}
          onChanged={reload}
        />
      ) : null}
    </div>
  );
}
