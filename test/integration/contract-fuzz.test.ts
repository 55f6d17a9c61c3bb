import fc from 'fast-check';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitWrites } from '../../electron/core/history/db.ts';
import { silentLogger } from '../../electron/core/adapters.ts';
import { createDispatcher, type Dispatch } from '../../electron/ipc/dispatch.ts';
import { contract, contractChannels, type CallSpec } from '../../shared/contract.ts';
import { startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { gmailRecord, relayConnector } from '../helpers/fixtures.ts';

/**
 * Property: a payload a call's schema refuses is answered `{ ok: false }` naming a field, never
 * throws or leaves a rejection behind, comes back small, and changes nothing on disk. Every call of
 * the contract is enumerated at run time, so calls added later are fuzzed too.
 */

const RUNS_PER_CALL = 40;

let t: TestCore;
let dispatch: Dispatch;
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

beforeAll(async () => {
  t = await startTestCore();
  dispatch = createDispatcher(t.core.handlers, silentLogger).dispatch;
  // Some of everything, so that a payload naming real ids would have something to change.
  const site = unwrap(await t.api.sites.create({ name: 'Fuzz Site' }));
  const connector = unwrap(await t.api.connectors.create(relayConnector(site.id)));
  const record = unwrap(await t.api.vault.create(gmailRecord()));
  unwrap(
    await t.api.cameras.create({
      siteId: site.id,
      name: 'Cam 1',
      connectorId: connector.id,
      appPasswordId: record.id,
    }),
  );
  await t.core.audit.verify();
  process.on('unhandledRejection', onRejection);
});
afterAll(async () => {
  process.off('unhandledRejection', onRejection);
  await t.close();
});

/** The data folder as bytes, with the history's log copied into its file first. */
async function folderBytes(): Promise<Map<string, string>> {
  commitWrites(t.core.db);
  t.core.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  const out = new Map<string, string>();
  for (const name of await readdir(t.dir)) {
    if (name.endsWith('.lock') || name.endsWith('-shm') || name === 'logs') continue;
    out.set(name, (await readFile(join(t.dir, name))).toString('base64'));
  }
  return out;
}

/** The top-level keys a schema knows (through optional, default, pipe and union wrappers). */
function keysOf(schema: z.ZodType): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  switch (def.type) {
    case 'object':
      return Object.keys(def.shape as object);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
      return keysOf(def.innerType as z.ZodType);
    case 'pipe':
      return keysOf(def.in as z.ZodType);
    case 'union':
      return (def.options as z.ZodType[]).flatMap(keysOf);
    default:
      return [];
  }
}

const awkward = fc.constantFrom(
  '',
  ' ',
  '\r\n',
  'a\r\nBcc: victim@example.test',
  '\u0000',
  '=HYPERLINK("http://evil.test")\n',
  '__proto__',
  'constructor',
  '../../etc/passwd',
  'x'.repeat(100_000),
  '😀'.repeat(300),
  -1,
  0,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -0,
  [],
  {},
);

const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    awkward,
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 12 }),
        awkward.filter((k) => typeof k === 'string'),
      ),
      tie('v'),
      {
        maxKeys: 4,
      },
    ),
  ),
})).v;

/** Anything at all, or an object with the call's own keys holding wrong values (and perhaps one more). */
function payloads(schema: z.ZodType) {
  const keys = keysOf(schema);
  const nearly = keys.length
    ? fc
        .record(
          {
            known: fc.dictionary(fc.constantFrom(...keys), value, { minKeys: 1, maxKeys: keys.length }),
            extra: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), value, { maxKeys: 1 })),
          },
          { requiredKeys: ['known'] },
        )
        .map(({ known, extra }) => ({ ...known, ...(extra ?? {}) }))
    : value;
  return fc.oneof(value, nearly, nearly);
}

describe('every call of the contract, fed malformed payloads', () => {
  const channels = contractChannels();

  it('covers the whole contract as it is now', () => {
    expect(channels.length).toBeGreaterThanOrEqual(57);
    expect(channels.map(([c]) => c)).toEqual(
      expect.arrayContaining(['alertdesk:vault.reveal', 'alertdesk:backup.import']),
    );
  });

  it.each(channels.map(([channel, group, method]) => [channel, group, method] as const))(
    '%s refuses them at a field and changes nothing',
    async (channel, group, method) => {
      const spec = (contract as unknown as Record<string, Record<string, CallSpec>>)[group]![method]!;
      const before = await folderBytes();
      await fc.assert(
        fc.asyncProperty(payloads(spec.input), async (payload) => {
          fc.pre(!spec.input.safeParse(payload).success);
          const result = await dispatch(channel, payload);
          expect(result.ok).toBe(false);
          if (result.ok) return;
          expect(result.error.code).toBe('invalid-input');
          expect(typeof result.error.field).toBe('string');
          expect(result.error.message.length).toBeGreaterThan(0);
          expect(JSON.stringify(result).length).toBeLessThan(20_000);
        }),
        { numRuns: RUNS_PER_CALL, seed: Number(process.env.FUZZ_SEED ?? 20261130) },
      );
      // Let anything a handler might have started settle before looking.
      await new Promise((resolve) => setImmediate(resolve));
      expect(await folderBytes()).toEqual(before);
      expect(rejections).toEqual([]);
    },
  );
});
