import { createColumnHelper } from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import type { InboundMessage } from '../../../../shared/inbound.ts';
import type { Mailbox, MessageContent } from '../../../../shared/mailboxes.ts';
import { api, call, errorMessage } from '../../api.ts';
import { useEvent, useQuery } from '../../app/hooks.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { absoluteTime, plural, When } from '../../components/format.tsx';
import { Badge, Dialog, Notice } from '../../components/ui.tsx';

const col = createColumnHelper<InboundMessage>();
const PAGE = 200;

const kb = (n: number) =>
  n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;

/** The folder a message was found in, by its role: Inbox, Junk, or the folder's name. */
export function FolderBadge({ message }: { message: Pick<InboundMessage, 'folder' | 'folderRole'> }) {
  if (message.folderRole === 'inbox') return <Badge tone="ok">Inbox</Badge>;
  if (message.folderRole === 'junk') return <Badge tone="warn">Junk</Badge>;
  return <Badge tone="muted">{message.folder}</Badge>;
}

/** The messages read from a mailbox, newest first (envelope only); a body is fetched when opened. */
export function MessagesPanel({ mailbox }: { mailbox: Mailbox }) {
  const [limit, setLimit] = useState(PAGE);
  const messages = useQuery(() => api.mailboxes.messages({ id: mailbox.id, limit }), [mailbox.id, limit]);
  const [open, setOpen] = useState<InboundMessage | null>(null);
  const seen = messages.data?.total;
  // New mail read by the watcher: reload the list (at most a few times a second while catching up).
  useEvent('watcher', (status) => {
    if (status.mailboxId === mailbox.id && seen !== undefined && status.messagesSeen !== seen)
      messages.reload();
  });
  const columns = useMemo(
    () => [
      col.accessor('receivedAt', {
        header: 'Received',
        meta: { width: '130px' },
        cell: (c) => <When iso={c.getValue()} />,
      }),
      col.accessor('folder', {
        header: 'Folder',
        meta: { width: '100px' },
        cell: (c) => <FolderBadge message={c.row.original} />,
      }),
      col.accessor((m) => (m.fromName ? `${m.fromName} <${m.from}>` : m.from), {
        id: 'from',
        header: 'From',
        meta: { width: 'minmax(170px, 1.2fr)' },
        cell: (c) => c.getValue() || <span className="muted">(no sender)</span>,
      }),
      col.accessor('subject', {
        header: 'Subject',
        meta: { width: 'minmax(200px, 2fr)' },
        cell: (c) => c.getValue() || <span className="muted">(no subject)</span>,
      }),
      col.accessor('size', {
        header: 'Size',
        meta: { width: '80px', align: 'end' },
        cell: (c) => kb(c.getValue()),
      }),
    ],
    [],
  );
  const rows = messages.data?.rows ?? [];
  const total = messages.data?.total ?? 0;
  return (
    <div className="mailbox-messages">
      {messages.error ? <Notice level="error">{messages.error.message}</Notice> : null}
      <DataTable
        label="Messages read"
        data={rows}
        totalCount={total}
        columns={columns}
        getRowId={(m) => m.key}
        searchPlaceholder="Search senders and subjects…"
        onRowClick={setOpen}
        initialSorting={[{ id: 'receivedAt', desc: true }]}
        empty={
          messages.loading
            ? 'Loading…'
            : mailbox.status.state === 'stopped'
              ? 'Nothing read yet: start the mailbox to watch it.'
              : 'Nothing read yet.'
        }
      />
      <div className="row">
        <span className="muted small">
          Showing the newest {plural(rows.length, 'message')} of {total.toLocaleString()}. Click one to see
          its body and snapshots, fetched from the server now.
        </span>
        {rows.length < total ? (
          <button
            type="button"
            className="btn small"
            onClick={() => setLimit((l) => Math.min(l + PAGE, 500))}
            disabled={limit >= 500}
          >
            Show more
          </button>
        ) : null}
      </div>
      {open ? <MessageDialog mailboxId={mailbox.id} message={open} onClose={() => setOpen(null)} /> : null}
    </div>
  );
}

/** One message: what was read (envelope, headers) and, on demand, its body and snapshots. */
function MessageDialog(p: { mailboxId: string; message: InboundMessage; onClose: () => void }) {
  const m = p.message;
  const [content, setContent] = useState<MessageContent | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function showBody() {
    setLoading(true);
    setError(null);
    try {
      setContent(await call(api.mailboxes.body({ id: p.mailboxId, key: m.key })));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoading(false);
    }
  }
  return (
    <Dialog
      title={m.subject || '(no subject)'}
      onClose={p.onClose}
      wide
      footer={
        <>
          {content ? null : (
            <button type="button" className="btn primary" disabled={loading} onClick={() => void showBody()}>
              {loading ? 'Fetching…' : 'Show body and snapshots'}
            </button>
          )}
          <button type="button" className="btn" onClick={p.onClose}>
            Close
          </button>
        </>
      }
    >
      <table className="kv">
        <tbody>
          <tr>
            <th>From</th>
            <td>{m.fromName ? `${m.fromName} <${m.from}>` : m.from || '—'}</td>
          </tr>
          <tr>
            <th>To</th>
            <td>{m.to.join(', ') || '—'}</td>
          </tr>
          <tr>
            <th>Received</th>
            <td>
              {absoluteTime(m.receivedAt)} in <FolderBadge message={m} />
            </td>
          </tr>
          <tr>
            <th>Sent (Date header)</th>
            <td>
              {m.sentAt ? absoluteTime(m.sentAt) : <span className="muted">missing or unreadable</span>}
            </td>
          </tr>
          <tr>
            <th>Message-ID</th>
            <td className="mono small">{m.messageId ?? <span className="muted">none</span>}</td>
          </tr>
          <tr>
            <th>Size</th>
            <td>{kb(m.size)}</td>
          </tr>
        </tbody>
      </table>
      {error ? <Notice level="error">{error}</Notice> : null}
      {content ? (
        <section className="message-content" aria-label="Message body">
          {content.truncated ? (
            <Notice level="info">Only the first 8 MB of this {kb(content.size)} message were fetched.</Notice>
          ) : null}
          {content.attachments.some((a) => a.dataUrl) ? (
            <div className="snapshots">
              {content.attachments
                .filter((a) => a.dataUrl)
                .map((a, i) => (
                  <figure key={i}>
                    <img src={a.dataUrl!} alt={a.filename} />
                    <figcaption className="small muted">
                      {a.filename} · {kb(a.size)}
                    </figcaption>
                  </figure>
                ))}
            </div>
          ) : null}
          {content.attachments.some((a) => !a.dataUrl) ? (
            <p className="small muted">
              Other attachments:{' '}
              {content.attachments
                .filter((a) => !a.dataUrl)
                .map((a) => `${a.filename} (${a.mimeType}, ${kb(a.size)})`)
                .join(', ')}
            </p>
          ) : null}
          <pre className="message-text">{content.text || '(no text)'}</pre>
        </section>
      ) : null}
    </Dialog>
  );
}
