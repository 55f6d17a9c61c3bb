import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { showClippedText, useWidth } from './DataTable.tsx';

export interface RemoteColumn<T, C extends string = string> {
  id: C;
  header: string;
  width: string;
  sortable?: boolean;
  /** The first click sorts descending (times: newest first). */
  descFirst?: boolean;
  align?: 'end';
  /** Hidden while the table is narrower than this many pixels (the row's detail still has it). */
  hideBelow?: number;
  render: (row: T) => ReactNode;
}

export interface RemoteSort<C extends string = string> {
  column: C;
  direction: 'asc' | 'desc';
}

interface Props<T, C extends string> {
  label: string;
  columns: Array<RemoteColumn<T, C>>;
  /** Loads one page; the table asks for the pages that scroll into view. */
  fetchPage: (offset: number, limit: number) => Promise<{ rows: T[]; total: number }>;
  /** Changes whenever filters or sort change: the table starts over. */
  queryKey: string;
  /** Bumped to refresh what is loaded (new deliveries arrived). */
  version: number;
  sort: RemoteSort<C>;
  onSortChange: (sort: RemoteSort<C>) => void;
  getRowId: (row: T) => string;
  onRowClick?: (row: T) => void;
  selectedId?: string | null;
  toolbar?: ReactNode;
  actions?: ReactNode;
  empty: ReactNode;
}

const PAGE = 200;
const ROW_HEIGHT = 40;
const minTrack = (track: string) => Number(/(\d+)px/.exec(track)?.[1] ?? 120);

/**
 * A table over a query the core runs: it knows the total, fetches the pages that scroll into view,
 * and sorts on the server. Hundreds of thousands of deliveries scroll like a hundred.
 */
export function RemoteTable<T, C extends string = string>(p: Props<T, C>) {
  const [total, setTotal] = useState<number | null>(null);
  const [pages, setPages] = useState<Map<number, T[]>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const inflight = useRef(new Set<number>());
  const generation = useRef(0);
  const scrollRef = useRef<HTMLDivElement>(null);
  const { fetchPage } = p;

  const load = useMemo(
    () => (page: number, gen: number) => {
      if (inflight.current.has(page)) return;
      inflight.current.add(page);
      fetchPage(page * PAGE, PAGE).then(
        (result) => {
          inflight.current.delete(page);
          if (gen !== generation.current) return;
          setTotal(result.total);
          setPages((m) => new Map(m).set(page, result.rows));
          setError(null);
        },
        (e: unknown) => {
          inflight.current.delete(page);
          if (gen === generation.current) setError(e instanceof Error ? e.message : String(e));
        },
      );
    },
    [fetchPage],
  );

  // New filters or sort: start over from the top.
  useEffect(() => {
    generation.current++;
    inflight.current.clear();
    setPages(new Map());
    setTotal(null);
    scrollRef.current?.scrollTo({ top: 0 });
    load(0, generation.current);
  }, [p.queryKey, load]);

  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const items = virtualizer.getVirtualItems();
  const firstIndex = items[0]?.index ?? 0;
  const lastIndex = items.at(-1)?.index ?? 0;

  // Fetch the pages that are in view.
  useEffect(() => {
    if (total === null) return;
    for (let page = Math.floor(firstIndex / PAGE); page <= Math.floor(lastIndex / PAGE); page++) {
      if (!pages.has(page)) load(page, generation.current);
    }
  }, [firstIndex, lastIndex, total, pages, load]);

  // Refresh: reload the pages in view, keep the rest until they scroll back in.
  useEffect(() => {
    if (p.version === 0) return;
    generation.current++;
    const gen = generation.current;
    inflight.current.clear();
    const wanted = new Set<number>();
    for (let page = Math.floor(firstIndex / PAGE); page <= Math.floor(lastIndex / PAGE); page++)
      wanted.add(page);
    setPages((m) => new Map([...m].filter(([k]) => wanted.has(k))));
    for (const page of wanted) load(page, gen);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only a new version triggers a refresh
  }, [p.version]);

  const sectionRef = useRef<HTMLElement>(null);
  const width = useWidth(sectionRef);
  const columns = p.columns.filter((c) => !(c.hideBelow && width > 0 && width < c.hideBelow));
  const template = columns.map((c) => c.width).join(' ');
  const minWidth = columns.reduce((s, c) => s + minTrack(c.width), 0);
  const rowAt = (index: number) => pages.get(Math.floor(index / PAGE))?.[index % PAGE];

  return (
    <section className="table-card" aria-label={p.label} ref={sectionRef}>
      <div className="table-toolbar">
        {p.toolbar}
        <span className="table-count" aria-live="polite">
          {total === null ? 'Loading…' : `${total.toLocaleString()} ${total === 1 ? 'row' : 'rows'}`}
        </span>
        <span className="spacer" />
        {p.actions}
      </div>
      {error ? (
        <div className="table-error" role="alert">
          {error}
        </div>
      ) : null}
      <div
        className="table-scroll"
        ref={scrollRef}
        role="table"
        aria-label={p.label}
        aria-rowcount={total ?? 0}
        onMouseOver={showClippedText}
      >
        <div className="table-head" role="rowgroup" style={{ minWidth }}>
          <div className="table-row head" role="row" style={{ gridTemplateColumns: template }}>
            {columns.map((c) => {
              const sorted = p.sort.column === c.id ? p.sort.direction : null;
              return (
                <div
                  key={c.id}
                  role="columnheader"
                  aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
                  className={`cell ${c.align === 'end' ? 'end' : ''}`}
                >
                  {c.sortable ? (
                    <button
                      type="button"
                      className="sort"
                      onClick={() =>
                        p.onSortChange({
                          column: c.id,
                          direction:
                            sorted === 'desc'
                              ? 'asc'
                              : sorted === 'asc'
                                ? 'desc'
                                : c.descFirst || c.id === 'createdAt'
                                  ? 'desc'
                                  : 'asc',
                        })
                      }
                    >
                      {c.header}
                      <span className="sort-mark" aria-hidden>
                        {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕'}
                      </span>
                    </button>
                  ) : (
                    c.header
                  )}
                </div>
              );
            })}
          </div>
        </div>
        {total === 0 ? (
          <div className="table-empty" role="row">
            <div role="cell">{p.empty}</div>
          </div>
        ) : (
          <div
            className="table-body"
            role="rowgroup"
            style={{ height: virtualizer.getTotalSize(), minWidth }}
          >
            {items.map((item) => {
              const row = rowAt(item.index);
              const id = row ? p.getRowId(row) : `loading-${item.index}`;
              const selected = row !== undefined && p.selectedId === id;
              return (
                <div
                  key={id}
                  role="row"
                  data-row-id={row ? id : undefined}
                  aria-selected={selected}
                  tabIndex={row && p.onRowClick ? 0 : -1}
                  className={`table-row${row && p.onRowClick ? ' clickable' : ''}${selected ? ' selected' : ''}`}
                  style={{
                    gridTemplateColumns: template,
                    transform: `translateY(${item.start}px)`,
                    height: ROW_HEIGHT,
                  }}
                  onClick={() => row && p.onRowClick?.(row)}
                  onKeyDown={(e) => {
                    if (row && p.onRowClick && (e.key === 'Enter' || e.key === ' ')) {
                      e.preventDefault();
                      p.onRowClick(row);
                    }
                  }}
                >
                  {row
                    ? columns.map((c) => (
                        <div key={c.id} role="cell" className={`cell ${c.align === 'end' ? 'end' : ''}`}>
                          {c.render(row)}
                        </div>
                      ))
                    : columns.map((c) => (
                        <div key={c.id} role="cell" className="cell">
                          <span className="placeholder" />
                        </div>
                      ))}
                </div>
              );
            })}
          </div>
        )}
      </div>
    </section>
  );
}
