import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
  type KeyboardEvent as ReactKeyboardEvent,
  type ReactNode,
} from 'react';

export function Badge({
  tone,
  children,
}: {
  tone: 'ok' | 'bad' | 'warn' | 'info' | 'muted';
  children: ReactNode;
}) {
  return <span className={`badge ${tone}`}>{children}</span>;
}

export function Notice({
  level,
  children,
  title,
}: {
  level: 'info' | 'warning' | 'blocker' | 'error' | 'success';
  children: ReactNode;
  title?: string;
}) {
  return (
    <div className={`notice ${level}`} role={level === 'error' || level === 'blocker' ? 'alert' : 'note'}>
      {title ? <strong>{title}</strong> : null}
      <div>{children}</div>
    </div>
  );
}

/** A modal dialog: Escape or the close button dismisses it; focus moves into it. */
export function Dialog(p: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const { onClose } = p;
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('input, select, textarea, button')?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className={`dialog${p.wide ? ' wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-label={p.title}
        ref={ref}
      >
        <header>
          <h2>{p.title}</h2>
          <button type="button" className="icon" aria-label="Close dialog" onClick={onClose}>
            ×
          </button>
        </header>
        <div className="dialog-body">{p.children}</div>
        {p.footer ? <footer>{p.footer}</footer> : null}
      </div>
    </div>
  );
}

/** The usual end of a dialog: Cancel, then the one action it is for. */
export function DialogActions(p: {
  onCancel: () => void;
  action: ReactNode;
  onAction: () => void;
  disabled?: boolean;
  danger?: boolean;
  cancelLabel?: string;
}) {
  return (
    <>
      <button type="button" className="btn" onClick={p.onCancel}>
        {p.cancelLabel ?? 'Cancel'}
      </button>
      <button
        type="button"
        className={`btn ${p.danger ? 'danger' : 'primary'}`}
        disabled={p.disabled}
        onClick={p.onAction}
      >
        {p.action}
      </button>
    </>
  );
}

/** A panel that slides over the right part of the page (forms, details). */
export function SidePanel(p: {
  title: string;
  subtitle?: ReactNode;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
}) {
  const { onClose } = p;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !document.querySelector('.dialog')) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <aside className={`side-panel${p.wide ? ' wide' : ''}`} aria-label={p.title}>
      <header>
        <div>
          <h2>{p.title}</h2>
          {p.subtitle ? <div className="subtitle">{p.subtitle}</div> : null}
        </div>
        <button type="button" className="icon" aria-label="Close panel" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="side-panel-body">{p.children}</div>
      {p.footer ? <footer>{p.footer}</footer> : null}
    </aside>
  );
}

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {description ? <p>{description}</p> : null}
      </div>
      <div className="page-actions">{actions}</div>
    </header>
  );
}

/**
 * A row of tabs: one is selected; Left/Right (and Home/End) move between them as in any desktop
 * app, and only the selected one is in the Tab order.
 */
export function Tabs<T extends string>(p: {
  tabs: ReadonlyArray<{ id: T; label: ReactNode }>;
  selected: T;
  onSelect: (id: T) => void;
}) {
  const onKeyDown = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    const i = p.tabs.findIndex((t) => t.id === p.selected);
    const next =
      e.key === 'ArrowRight'
        ? (i + 1) % p.tabs.length
        : e.key === 'ArrowLeft'
          ? (i - 1 + p.tabs.length) % p.tabs.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? p.tabs.length - 1
              : -1;
    if (next < 0) return;
    e.preventDefault();
    p.onSelect(p.tabs[next]!.id);
    const buttons = e.currentTarget.querySelectorAll<HTMLButtonElement>('[role="tab"]');
    buttons[next]?.focus();
  };
  return (
    <div className="tabs" role="tablist" onKeyDown={onKeyDown}>
      {p.tabs.map((t) => (
        <button
          key={t.id}
          type="button"
          role="tab"
          aria-selected={t.id === p.selected}
          tabIndex={t.id === p.selected ? 0 : -1}
          onClick={() => p.onSelect(t.id)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

interface Toast {
  id: number;
  tone: 'ok' | 'bad' | 'info';
  text: string;
}

const ToastContext = createContext<(tone: Toast['tone'], text: string) => void>(() => undefined);
const ToastList = createContext<Toast[]>([]);

/**
 * Toasts say what just happened. They are cleared when the page changes (news of a save on one
 * page means nothing on the next), and they are shown by a ToastOutlet placed in the layout, not
 * floated over it, so they never hide a table row.
 */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const push = useCallback((tone: Toast['tone'], text: string) => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t.filter((x) => x.text !== text), { id, tone, text }].slice(-3));
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), tone === 'bad' ? 8000 : 3500);
  }, []);
  useEffect(() => {
    // Another page, not another filter or panel of the same page.
    const pageOf = (hash: string) => hash.replace(/^#\/?/, '').split(/[/?]/)[0];
    let page = pageOf(window.location.hash);
    const onChange = () => {
      const next = pageOf(window.location.hash);
      if (next !== page) setToasts([]);
      page = next;
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return (
    <ToastContext.Provider value={push}>
      <ToastList.Provider value={toasts}>{children}</ToastList.Provider>
    </ToastContext.Provider>
  );
}

/** Where the toasts appear: a strip at the foot of the page that takes its own room. */
export function ToastOutlet() {
  const toasts = useContext(ToastList);
  return (
    <div className={`toasts${toasts.length ? ' shown' : ''}`} aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.tone}`} role="status">
          {t.text}
        </div>
      ))}
    </div>
  );
}

export const useToast = () => useContext(ToastContext);

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
