import {
  flexRender,
  getCoreRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingFn,
  type SortingState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { naturalSort } from './sort.ts';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';

declare module '@tanstack/react-table' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData, TValue> {
    /** CSS grid track for the column, e.g. 'minmax(180px, 2fr)'. */
    width?: string;
    align?: 'start' | 'end';
    /** Stays in view when the table scrolls sideways (status and name columns). */
    pin?: boolean;
    /** Hidden while the table is narrower than this many pixels (its value stays in the row's detail). */
    hideBelow?: number;
  }
}

export interface DataTableProps<T> {
  data: T[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- column value types differ per column
  columns: Array<ColumnDef<T, any>>;
  getRowId: (row: T) => string;
  /** Text typed in the table's search box filters every column's text. */
  searchPlaceholder?: string;
  /** Extra filters shown next to the search box (they filter `data` before it arrives). */
  filters?: ReactNode;
  actions?: ReactNode;
  onRowClick?: (row: T) => void;
  selectedId?: string | null;
  empty: ReactNode;
  initialSorting?: SortingState;
  label: string;
  /** Total rows before the page's own filters, for the "x of y" count. */
  totalCount?: number;
  /** Check boxes for bulk actions; the header box selects every row the filters show. */
  selection?: { selected: ReadonlySet<string>; onChange: (next: Set<string>) => void };
}

const ROW_HEIGHT = 40;

/** The minimum width of a grid track: 'minmax(180px, 2fr)' → 180, '120px' → 120. */
function minTrack(track: string): number {
  const px = /(\d+)px/.exec(track);
  return px ? Number(px[1]) : 120;
}

/** What a column shows as text, for the search box: its accessor's value. */
function textOf<T>(column: ColumnDef<T, unknown>): ((row: T, index: number) => unknown) | null {
  if ('accessorFn' in column && column.accessorFn) return column.accessorFn;
  if ('accessorKey' in column && column.accessorKey) {
    const key = column.accessorKey as keyof T;
    return (row) => row[key];
  }
  return null;
}

/** Each row's text in lower case, per data array and columns (kept while the array lives). */
const searchIndexes = new WeakMap<object, { columns: object; index: string[] }>();
function searchIndexOf<T>(data: T[], columns: Array<ColumnDef<T, unknown>>): string[] {
  const cached = searchIndexes.get(data);
  if (cached?.columns === columns) return cached.index;
  const readers = columns.map((c) => textOf(c)).filter((r) => r !== null);
  const index = data.map((row, i) =>
    readers
      .map((read) => {
        const v = read(row, i);
        return Array.isArray(v) ? v.join(' ') : String(v ?? '');
      })
      .join('\u0000')
      .toLowerCase(),
  );
  searchIndexes.set(data, { columns, index });
  return index;
}

/**
 * Every table in AlertDesk: sortable headers, a search box, virtualized rows (thousands of cameras
 * or deliveries scroll smoothly), keyboard-reachable rows, and an honest empty state.
 */
export function DataTable<T>(props: DataTableProps<T>) {
  const [sorting, setSorting] = useState<SortingState>(props.initialSorting ?? []);
  const [search, setSearch] = useState('');
  const needle = search.trim().toLowerCase();
  // The search text of each row is built once per data change, so a keystroke is one pass of
  // substring checks over thousands of rows instead of a walk through every cell. It is built when
  // the browser is idle after the table first shows, not before: the first paint does not wait.
  useEffect(() => {
    const id = requestIdleCallback(() => searchIndexOf(props.data, props.columns));
    return () => cancelIdleCallback(id);
  }, [props.data, props.columns]);
  const data = useMemo(() => {
    if (!needle) return props.data;
    const index = searchIndexOf(props.data, props.columns);
    return props.data.filter((_, i) => index[i]!.includes(needle));
  }, [props.data, props.columns, needle]);
  const sectionRef = useRef<HTMLElement>(null);
  const width = useWidth(sectionRef);
  const columnVisibility = useMemo(
    () =>
      Object.fromEntries(
        props.columns.map((c) => [
          columnId(c),
          !(c.meta?.hideBelow && width > 0 && width < c.meta.hideBelow),
        ]),
      ),
    [props.columns, width],
  );
  const table = useReactTable<T>({
    data,
    columns: props.columns,
    getRowId: props.getRowId,
    defaultColumn: { sortingFn: naturalSort as SortingFn<T> },
    state: { sorting, columnVisibility },
    onSortingChange: setSorting,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
  });
  const rows = table.getRowModel().rows;
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const selection = props.selection;
  const visible = table.getVisibleLeafColumns();
  const [sizes, setSizes] = useColumnSizes(props.label);
  const track = (id: string, def: string) => (sizes[id] ? `${sizes[id]}px` : def);
  const template =
    (selection ? '40px ' : '') +
    visible.map((c) => track(c.id, c.columnDef.meta?.width ?? 'minmax(120px, 1fr)')).join(' ');
  // Every row shares one width so the grid tracks line up with the header; below the sum of the
  // columns' minimum widths the table scrolls sideways instead of squeezing.
  const minWidth =
    (selection ? 40 : 0) +
    visible.reduce(
      (sum, c) => sum + (sizes[c.id] ?? minTrack(c.columnDef.meta?.width ?? 'minmax(120px, 1fr)')),
      0,
    );
  const headRef = useRef<HTMLDivElement>(null);
  const pinLeft = usePinOffsets(headRef, template, width);
  const visibleIds = rows.map((r) => r.id);
  const allSelected =
    selection !== undefined && visibleIds.length > 0 && visibleIds.every((id) => selection.selected.has(id));
  const toggleAll = () => {
    if (!selection) return;
    const next = new Set(selection.selected);
    if (allSelected) for (const id of visibleIds) next.delete(id);
    else for (const id of visibleIds) next.add(id);
    selection.onChange(next);
  };
  const toggle = (id: string) => {
    if (!selection) return;
    const next = new Set(selection.selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    selection.onChange(next);
  };
  const total = props.totalCount ?? props.data.length;

  return (
    <section className="table-card" aria-label={props.label} ref={sectionRef}>
      <div className="table-toolbar">
        <input
          className="search"
          type="search"
          placeholder={props.searchPlaceholder ?? 'Search…'}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          aria-label={`Search ${props.label}`}
        />
        {props.filters}
        <span className="table-count" aria-live="polite">
          {rows.length === total ? `${total} ${total === 1 ? 'row' : 'rows'}` : `${rows.length} of ${total}`}
        </span>
        <span className="spacer" />
        {props.actions}
      </div>
      <div
        className="table-scroll"
        ref={scrollRef}
        role="table"
        aria-label={props.label}
        aria-rowcount={rows.length}
        onMouseOver={showClippedText}
      >
        <div className="table-head" role="rowgroup" style={{ minWidth }} ref={headRef}>
          {table.getHeaderGroups().map((group) => (
            <div
              key={group.id}
              className="table-row head"
              role="row"
              style={{ gridTemplateColumns: template }}
            >
              {selection ? (
                <div role="columnheader" className="cell check pin" style={{ left: 0 }}>
                  <input
                    type="checkbox"
                    aria-label="Select all shown rows"
                    checked={allSelected}
                    onChange={toggleAll}
                  />
                </div>
              ) : null}
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted();
                const canSort = header.column.getCanSort();
                const meta = header.column.columnDef.meta;
                return (
                  <div
                    key={header.id}
                    role="columnheader"
                    data-column={header.column.id}
                    aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
                    className={cellClass(meta)}
                    style={pinStyle(meta, pinLeft, header.column.id)}
                  >
                    {canSort ? (
                      <button
                        type="button"
                        className="sort"
                        onClick={header.column.getToggleSortingHandler()}
                      >
                        {flexRender(header.column.columnDef.header, header.getContext())}
                        <span className="sort-mark" aria-hidden>
                          {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕'}
                        </span>
                      </button>
                    ) : (
                      flexRender(header.column.columnDef.header, header.getContext())
                    )}
                    <ColumnResizer
                      onResize={(px) => setSizes({ ...sizes, [header.column.id]: px })}
                      onReset={() => {
                        const { [header.column.id]: _dropped, ...rest } = sizes;
                        setSizes(rest);
                      }}
                    />
                  </div>
                );
              })}
            </div>
          ))}
        </div>
        {rows.length === 0 ? (
          <div className="table-empty" role="row">
            <div role="cell">{search ? `Nothing matches "${search}".` : props.empty}</div>
          </div>
        ) : (
          <div
            className="table-body"
            role="rowgroup"
            style={{ height: virtualizer.getTotalSize(), minWidth }}
          >
            {virtualizer.getVirtualItems().map((item) => {
              const row = rows[item.index]!;
              const selected = props.selectedId === row.id;
              return (
                <div
                  key={row.id}
                  role="row"
                  aria-selected={selected}
                  data-row-id={row.id}
                  tabIndex={props.onRowClick ? 0 : -1}
                  className={`table-row${props.onRowClick ? ' clickable' : ''}${selected ? ' selected' : ''}`}
                  style={{
                    gridTemplateColumns: template,
                    transform: `translateY(${item.start}px)`,
                    height: ROW_HEIGHT,
                  }}
                  onClick={() => props.onRowClick?.(row.original)}
                  onKeyDown={(e) => {
                    if ((e.key === 'Enter' || e.key === ' ') && props.onRowClick) {
                      e.preventDefault();
                      props.onRowClick(row.original);
                    }
                  }}
                >
                  {selection ? (
                    <div
                      role="cell"
                      className="cell check pin"
                      style={{ left: 0 }}
                      onClick={(e) => e.stopPropagation()}
                    >
                      <input
                        type="checkbox"
                        aria-label={`Select ${row.id}`}
                        checked={selection.selected.has(row.id)}
                        onChange={() => toggle(row.id)}
                      />
                    </div>
                  ) : null}
                  {row.getVisibleCells().map((cell) => (
                    <div
                      key={cell.id}
                      role="cell"
                      className={cellClass(cell.column.columnDef.meta)}
                      style={pinStyle(cell.column.columnDef.meta, pinLeft, cell.column.id)}
                    >
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
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

type Meta = { align?: 'start' | 'end'; pin?: boolean } | undefined;

function cellClass(meta: Meta): string {
  return `cell${meta?.align === 'end' ? ' end' : ''}${meta?.pin ? ' pin' : ''}`;
}

function pinStyle(meta: Meta, pinLeft: Record<string, number>, id: string) {
  return meta?.pin && pinLeft[id] !== undefined ? { left: pinLeft[id] } : undefined;
}

function columnId<T>(c: ColumnDef<T, unknown>): string {
  if (c.id) return c.id;
  return 'accessorKey' in c && typeof c.accessorKey === 'string' ? c.accessorKey.replace(/\./g, '_') : '';
}

/** The width of an element, followed as it changes (the window, the sidebar, a side panel). */
export function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(([entry]) => setWidth(Math.round(entry!.contentRect.width)));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

/**
 * Where each pinned column starts, measured from the header once the grid has laid it out: pinned
 * cells stick at that offset while the rest of the row scrolls under them.
 */
function usePinOffsets(
  headRef: React.RefObject<HTMLDivElement | null>,
  template: string,
  width: number,
): Record<string, number> {
  const [offsets, setOffsets] = useState<Record<string, number>>({});
  useLayoutEffect(() => {
    const head = headRef.current;
    if (!head) return;
    const next: Record<string, number> = {};
    for (const cell of head.querySelectorAll<HTMLElement>('[role="columnheader"][data-column].pin'))
      next[cell.dataset.column!] = cell.offsetLeft;
    setOffsets((current) => (JSON.stringify(current) === JSON.stringify(next) ? current : next));
  }, [headRef, template, width]);
  return offsets;
}

/** Column widths the user dragged, per table, kept across sessions. */
function useColumnSizes(label: string): [Record<string, number>, (next: Record<string, number>) => void] {
  const key = `alertdesk.columns.${label}`;
  const [sizes, setSizes] = useState<Record<string, number>>(() => {
    try {
      return JSON.parse(localStorage.getItem(key) ?? '{}') as Record<string, number>;
    } catch {
      return {};
    }
  });
  return [
    sizes,
    (next) => {
      setSizes(next);
      try {
        localStorage.setItem(key, JSON.stringify(next));
      } catch {
        // storage full or denied: the widths last for this session
      }
    },
  ];
}

/**
 * The drag handle on a header's right edge; double-click gives the column its own width back. A
 * pointer-only aid, hidden from assistive technology (the columns keep working widths without it).
 */
function ColumnResizer(p: { onResize: (px: number) => void; onReset: () => void }) {
  return (
    <span
      className="col-resizer"
      aria-hidden
      title="Drag to resize; double-click for the usual width"
      onClick={(e) => e.stopPropagation()}
      onDoubleClick={(e) => {
        e.stopPropagation();
        p.onReset();
      }}
      onPointerDown={(e) => {
        e.preventDefault();
        e.stopPropagation();
        const cell = (e.currentTarget.parentElement as HTMLElement).getBoundingClientRect();
        const startX = e.clientX;
        const handle = e.currentTarget;
        handle.setPointerCapture(e.pointerId);
        const move = (m: PointerEvent) =>
          p.onResize(Math.max(56, Math.round(cell.width + m.clientX - startX)));
        const up = () => {
          handle.removeEventListener('pointermove', move);
          handle.removeEventListener('pointerup', up);
        };
        handle.addEventListener('pointermove', move);
        handle.addEventListener('pointerup', up);
      }}
    />
  );
}

/** A cell whose text is cut off shows all of it on hover. */
export function showClippedText(e: React.MouseEvent<HTMLElement>): void {
  const cell = (e.target as HTMLElement).closest<HTMLElement>('.cell');
  if (!cell) return;
  if (cell.scrollWidth > cell.clientWidth + 1) cell.title = cell.textContent ?? '';
  else cell.removeAttribute('title');
}
