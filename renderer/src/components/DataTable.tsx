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
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';

declare module '@tanstack/react-table' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData, TValue> {
    /** CSS grid track for the column, e.g. 'minmax(180px, 2fr)'. */
    width?: string;
    align?: 'start' | 'end';
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
  const table = useReactTable<T>({
    data,
    columns: props.columns,
    getRowId: props.getRowId,
    defaultColumn: { sortingFn: naturalSort as SortingFn<T> },
    state: { sorting },
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
  const template = useMemo(
    () =>
      (selection ? '40px ' : '') + props.columns.map((c) => c.meta?.width ?? 'minmax(120px, 1fr)').join(' '),
    [props.columns, selection],
  );
  // Every row shares one width so the grid tracks line up with the header; below the sum of the
  // columns' minimum widths the table scrolls sideways instead of squeezing.
  const minWidth = useMemo(
    () =>
      (selection ? 40 : 0) +
      props.columns.reduce((sum, c) => sum + minTrack(c.meta?.width ?? 'minmax(120px, 1fr)'), 0),
    [props.columns, selection],
  );
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
    <section className="table-card" aria-label={props.label}>
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
      >
        <div className="table-head" role="rowgroup" style={{ minWidth }}>
          {table.getHeaderGroups().map((group) => (
            <div
              key={group.id}
              className="table-row head"
              role="row"
              style={{ gridTemplateColumns: template }}
            >
              {selection ? (
                <div role="columnheader" className="cell check">
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
                return (
                  <div
                    key={header.id}
                    role="columnheader"
                    aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
                    className={`cell ${header.column.columnDef.meta?.align === 'end' ? 'end' : ''}`}
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
                    <div role="cell" className="cell check" onClick={(e) => e.stopPropagation()}>
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
                      className={`cell ${cell.column.columnDef.meta?.align === 'end' ? 'end' : ''}`}
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
