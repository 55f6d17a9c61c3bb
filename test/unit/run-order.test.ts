import { describe, expect, it } from 'vitest';
import { byConnectorInTurn } from '../../electron/core/runs/runs.ts';

const item = (name: string, connector: string | null) => ({
  name,
  plan: { connector: connector ? { id: connector } : null },
});

describe('the order a run queues its cameras in', () => {
  it('takes one camera per connector in turn, keeping each connector’s cameras in their order', () => {
    const items = [
      item('a1', 'A'),
      item('a2', 'A'),
      item('a3', 'A'),
      item('b1', 'B'),
      item('c1', 'C'),
      item('c2', 'C'),
      item('x1', null),
    ];
    expect(byConnectorInTurn(items).map((i) => i.name)).toEqual(['a1', 'b1', 'c1', 'x1', 'a2', 'c2', 'a3']);
  });

  it('spreads a thousand cameras of a hundred connectors: any 100 in a row reach every connector', () => {
    const items = Array.from({ length: 1000 }, (_, i) => item(`cam${i}`, `conn${Math.floor(i / 10)}`));
    const order = byConnectorInTurn(items);
    expect(order).toHaveLength(1000);
    expect(new Set(order).size).toBe(1000);
    for (let from = 0; from <= 900; from += 100)
      expect(new Set(order.slice(from, from + 100).map((i) => i.plan.connector!.id)).size).toBe(100);
  });
});
