import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBridge } from '../../shared/bridge.ts';
import type { AlertDeskApi } from '../../shared/contract.ts';
import type { Result } from '../../shared/result.ts';
import type { Core } from '../../electron/core/core.ts';
import { openCore, type OpenCoreOptions } from '../../electron/core/node.ts';
import { createDispatcher } from '../../electron/ipc/dispatch.ts';
import { silentLogger } from '../../electron/core/adapters.ts';

export const TEST_PASSPHRASE = 'correct horse battery staple';

export interface TestCore {
  core: Core;
  /** The same contract object the preload exposes, wired to the real core through the guarded dispatcher. */
  api: AlertDeskApi;
  dir: string;
  close(): Promise<void>;
}

export async function startTestCore(options: Partial<OpenCoreOptions> = {}): Promise<TestCore> {
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'alertdesk-test-')));
  const core = await openCore({ passphrase: TEST_PASSPHRASE, osUser: 'tester', ...options, dataDir: dir });
  const { dispatch } = createDispatcher(core.handlers, silentLogger);
  const api = buildBridge(dispatch, (_channel, listener) => {
    core.onEvent(listener);
  });
  return {
    core,
    api,
    dir,
    async close() {
      await core.close();
      if (!options.dataDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The value of a successful result; a failed one fails the test with its error. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.value;
}

export function failure<T>(result: Result<T>) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value).slice(0, 300)}`);
  return result.error;
}

const FINAL = new Set(['sent', 'failed', 'cancelled']);

/** Resolves with the delivery's detail once it reaches a final state (events, then a read). */
export async function waitForDelivery(api: AlertDeskApi, id: string, timeoutMs = 60_000) {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`delivery ${id} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = api.events.on('delivery', ({ delivery }) => {
      if (delivery.id === id && FINAL.has(delivery.status)) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
    void api.deliveries.get({ id }).then((r) => {
      if (r.ok && FINAL.has(r.value.status)) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
  return unwrap(await api.deliveries.get({ id }));
}
