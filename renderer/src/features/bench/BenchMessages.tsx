import { useEffect, useState } from 'react';
import type { BenchMessage } from '../../../../shared/bench.ts';
import { api } from '../../api.ts';
import { When, plural } from '../../components/format.tsx';
import { Badge, Dialog, Notice } from '../../components/ui.tsx';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const MATCH_LABEL = {
  login: 'by login',
  address: 'by address',
  'login+address': 'by login and address',
} as const;

/** One message as it arrived on the bench: who sent it, which camera that is, and its snapshots. */
export function BenchMessageCard({
  message: m,
  onOpen,
}: {
  message: BenchMessage;
  onOpen: (index: number) => void;
}) {
  return (
    <article className="bench-message" data-testid="bench-message">
      <header>
        <strong className="subject">{m.subject || <span className="muted">(no subject)</span>}</strong>
        <span className="muted small">
          <When iso={m.receivedAt} /> · {formatBytes(m.size)}
        </span>
      </header>
      <div className="bench-meta">
        {m.camera ? (
          <Badge tone="ok">
            {m.camera.name} · {m.camera.siteName}
          </Badge>
        ) : (
          <Badge tone="warn">no camera matched</Badge>
        )}
        {m.matchedBy ? <span className="muted small">{MATCH_LABEL[m.matchedBy]}</span> : null}
        <span className="small">
          from <code>{m.remoteAddress}</code>
          {m.login ? (
            <>
              {' '}
              as <code>{m.login}</code>
            </>
          ) : (
            <span className="muted"> without a login</span>
          )}
          {m.secure ? ' · encrypted' : ' · not encrypted'}
        </span>
        <span className="small muted">
          {m.from || m.envelopeFrom} → {m.envelopeTo.join(', ')}
        </span>
      </div>
      {m.matchNote ? <p className="small muted">{m.matchNote}</p> : null}
      {m.snapshots.length ? (
        <div className="thumbs" aria-label={plural(m.snapshots.length, 'attachment')}>
          {m.snapshots.map((s) =>
            s.thumbnail ? (
              <button
                key={s.index}
                type="button"
                className="thumb"
                onClick={() => onOpen(s.index)}
                title={`${s.filename} · ${s.width}×${s.height} · ${formatBytes(s.size)}`}
              >
                <img src={s.thumbnail} alt={s.filename} />
              </button>
            ) : (
              <button
                key={s.index}
                type="button"
                className={`thumb none${s.problem ? ' bad' : ''}`}
                disabled={!s.imageKind}
                onClick={() => onOpen(s.index)}
                title={s.problem ?? s.filename}
              >
                <span>{s.imageKind ? s.imageKind.toUpperCase() : 'not an image'}</span>
                <span className="small">{s.filename}</span>
              </button>
            ),
          )}
        </div>
      ) : null}
      {m.problems.length ? (
        <ul className="bench-problems">
          {m.problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      ) : null}
    </article>
  );
}

/** A snapshot at full size, loaded from the stored message when opened. */
export function SnapshotViewer({
  message,
  index,
  onClose,
}: {
  message: BenchMessage;
  index: number;
  onClose: () => void;
}) {
  const [image, setImage] = useState<{ filename: string; dataUrl: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void api.bench.snapshot({ id: message.id, index }).then((r) => {
      if (r.ok) setImage(r.value);
      else setError(r.error.message);
    });
  }, [message.id, index]);
  const s = message.snapshots[index];
  return (
    <Dialog title={s?.filename ?? 'Snapshot'} onClose={onClose} wide>
      {error ? <Notice level="error">{error}</Notice> : null}
      {image ? (
        <img className="snapshot-full" src={image.dataUrl} alt={image.filename} />
      ) : !error ? (
        <p className="muted">Loading…</p>
      ) : null}
      {s ? (
        <p className="small muted">
          {s.width && s.height ? `${s.width}×${s.height} · ` : ''}
          {formatBytes(s.size)} · sent as {s.declaredType}
          {message.camera ? ` · ${message.camera.name}` : ''}
        </p>
      ) : null}
    </Dialog>
  );
}
