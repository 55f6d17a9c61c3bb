import { useEffect, useRef, useState, type ReactNode } from 'react';

/** True while the window is at least `px` wide. */
function useWideWindow(px: number): boolean {
  const query = `(min-width: ${px}px)`;
  const [wide, setWide] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const onChange = () => setWide(list.matches);
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, [query]);
  return wide;
}

/** A menu or panel that opens under its button and closes on a click elsewhere or on Escape. */
export function usePopover() {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !ref.current?.contains(e.target as Node))
        setOpen(false);
    };
    window.addEventListener('mousedown', close);
    window.addEventListener('keydown', close);
    return () => {
      window.removeEventListener('mousedown', close);
      window.removeEventListener('keydown', close);
    };
  }, [open]);
  return { open, setOpen, ref };
}

/**
 * Filters that are used less often: in line on a wide window, behind one "More filters" button on
 * a laptop screen, so the filter bar stays one row. The button says how many of them are set.
 */
export function MoreFilters(p: { active: number; inlineFrom?: number; children: ReactNode }) {
  const wide = useWideWindow(p.inlineFrom ?? 1700);
  const { open, setOpen, ref } = usePopover();
  if (wide) return <>{p.children}</>;
  return (
    <div className="menu" ref={ref}>
      <button
        type="button"
        className={`btn small${p.active ? ' active-filter' : ''}`}
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        More filters{p.active ? ` (${p.active})` : ''} ▾
      </button>
      {open ? (
        <div className="menu-list more-filters" role="group" aria-label="More filters">
          {p.children}
        </div>
      ) : null}
    </div>
  );
}
