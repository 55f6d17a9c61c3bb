import { describe, expect, it } from 'vitest';
import { contract, contractChannels } from '../../shared/contract.ts';
import { buildBridge } from '../../shared/bridge.ts';
import { isTrustedUrl, APP_ORIGIN } from '../../electron/ipc/origin.ts';

describe('the contract and the door', () => {
  it('exposes exactly one named method per call of the contract, and no generic invoke', () => {
    const calls: string[] = [];
    const api = buildBridge(
      async (channel) => {
        calls.push(channel);
        return { ok: true, value: null };
      },
      () => undefined,
    ) as unknown as Record<string, Record<string, unknown>>;
    const groups = Object.keys(api).filter((k) => k !== 'events');
    expect(groups.sort()).toEqual(Object.keys(contract).sort());
    for (const [channel, group, method] of contractChannels()) {
      expect(typeof api[group]![method]).toBe('function');
      expect(channel).toBe(`alertdesk:${group}.${method}`);
    }
    expect(api).not.toHaveProperty('invoke');
    expect(Object.keys(api.events!)).toEqual(['on']);
  });

  it('trusts only the app origin (and the dev server when allowed)', () => {
    expect(isTrustedUrl(`${APP_ORIGIN}/index.html`, [APP_ORIGIN])).toBe(true);
    expect(isTrustedUrl(`${APP_ORIGIN}/index.html#/connectors`, [APP_ORIGIN])).toBe(true);
    expect(isTrustedUrl('alertdesk://evil/index.html', [APP_ORIGIN])).toBe(false);
    expect(isTrustedUrl('https://example.com/', [APP_ORIGIN])).toBe(false);
    expect(isTrustedUrl('file:///tmp/index.html', [APP_ORIGIN])).toBe(false);
    expect(isTrustedUrl(undefined, [APP_ORIGIN])).toBe(false);
    expect(isTrustedUrl('http://localhost:5173/', [APP_ORIGIN])).toBe(false);
    expect(isTrustedUrl('http://localhost:5173/', [APP_ORIGIN, 'http://localhost:5173'])).toBe(true);
  });
});
