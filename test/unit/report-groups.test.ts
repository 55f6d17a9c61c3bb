import { describe, expect, it } from 'vitest';
import type { RunItem } from '../../shared/runs.ts';
import { groupFailures } from '../../electron/core/runs/report.ts';

let n = 0;
function item(over: Partial<RunItem>): RunItem {
  n++;
  return {
    id: `item-${n}`,
    runId: 'run',
    cameraId: `camera-${n}`,
    cameraName: `Camera ${n}`,
    siteId: 'site',
    siteName: 'Harbour',
    connectorId: 'relay',
    connectorTitle: 'Harbour relay',
    account: `cam${n}@harbour.test`,
    recipients: ['soc@harbour.test'],
    subject: 'Test',
    status: 'passed',
    deliveryId: null,
    failureClass: null,
    explanation: null,
    fix: null,
    reply: null,
    messageId: null,
    durationMs: null,
    attempts: 1,
    finishedAt: null,
    ...over,
  };
}

const rejected = (over: Partial<RunItem> = {}) => {
  const i = item({
    status: 'failed',
    failureClass: 'auth-failed',
    fix: 'Create a new app password.',
    ...over,
  });
  return { ...i, explanation: `smtp.harbour.test:587 rejected the login of ${i.account} with AUTH LOGIN.` };
};

describe('the handover report groups what did not deliver by cause', () => {
  it('writes one explanation for nine cameras refused by the same server, naming no single camera', () => {
    const items = [item({}), ...Array.from({ length: 9 }, () => rejected()), item({})];
    const groups = groupFailures(items);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({
      status: 'failed',
      title: 'Login rejected',
      explanation: "smtp.harbour.test:587 rejected the login of each camera's own account with AUTH LOGIN.",
      fix: 'Create a new app password.',
      connectorTitle: 'Harbour relay',
    });
    expect(groups[0]!.itemIds).toHaveLength(9);
  });

  it('keeps the account when one camera is alone in its group', () => {
    const one = rejected();
    expect(groupFailures([one])[0]!.explanation).toContain(one.account);
  });

  it('separates causes and connectors, biggest failure first, then not tested, then cancelled', () => {
    const items = [
      rejected(),
      item({
        status: 'failed',
        failureClass: 'connection-refused',
        connectorId: 'north',
        explanation: 'refused',
      }),
      item({
        status: 'failed',
        failureClass: 'connection-refused',
        connectorId: 'north',
        explanation: 'refused',
      }),
      rejected({ connectorId: 'other' }),
      item({ status: 'skipped', explanation: 'The camera has no connector: choose one.' }),
      item({ status: 'cancelled', explanation: 'Cancelled before it was sent.' }),
      item({ status: 'skipped', explanation: 'The camera has no connector: choose one.' }),
    ];
    expect(groupFailures(items).map((g) => [g.status, g.title, g.itemIds.length])).toEqual([
      ['failed', 'Connection refused', 2],
      ['failed', 'Login rejected', 1],
      ['failed', 'Login rejected', 1],
      ['skipped', 'Not tested', 2],
      ['cancelled', 'Not sent (the run was cancelled)', 1],
    ]);
  });

  it('says "and similar" when the cameras of one cause were told different things', () => {
    const items = [
      item({ status: 'failed', failureClass: 'server-permanent', explanation: 'The server said: "554 no"' }),
      item({ status: 'failed', failureClass: 'server-permanent', explanation: 'The server said: "554 no"' }),
      item({
        status: 'failed',
        failureClass: 'server-permanent',
        explanation: 'The server said: "550 policy"',
      }),
    ];
    expect(groupFailures(items)[0]!.explanation).toBe('The server said: "554 no" (and similar)');
  });
});
