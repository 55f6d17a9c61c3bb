import type { Row } from '@tanstack/react-table';
import { describe, expect, it } from 'vitest';
import { naturalSort } from '../../renderer/src/components/sort.ts';

const row = (value: unknown) => ({ getValue: () => value }) as unknown as Row<unknown>;
const sorted = (values: unknown[]) =>
  values
    .map(row)
    .sort((a, b) => naturalSort(a, b, 'c'))
    .map((r) => r.getValue('c'));

describe('the tables’ sort order', () => {
  it('puts numbers inside names in counting order, ignoring case and accents', () => {
    expect(sorted(['Cam 10', 'cam 2', 'Cam 1', 'Éntrance', 'entrance 3', 'Dock'])).toEqual([
      'Cam 1',
      'cam 2',
      'Cam 10',
      'Dock',
      'Éntrance',
      'entrance 3',
    ]);
  });

  it('orders numbers by value and empty cells first', () => {
    expect(sorted([120, 5, 33, 1000])).toEqual([5, 33, 120, 1000]);
    expect(sorted(['b', null, 'a', undefined])).toEqual([null, undefined, 'a', 'b']);
  });

  it('orders ISO times by time', () => {
    expect(sorted(['2026-11-21T13:06:00Z', '2026-01-05T09:00:00Z', '2025-12-31T23:59:59Z'])).toEqual([
      '2025-12-31T23:59:59Z',
      '2026-01-05T09:00:00Z',
      '2026-11-21T13:06:00Z',
    ]);
  });
});
