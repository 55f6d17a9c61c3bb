import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../electron/core/adapters.ts';
import { commitWrites, openHistory, type Db } from '../../electron/core/history/db.ts';
import { mailboxesCovering, mailboxForAddress } from '../../electron/core/inbound/coverage.ts';
import { parseHeaderFields, tokenOf } from '../../electron/core/inbound/headers.ts';
import type { StoredMailbox } from '../../electron/core/inventory/inventory.ts';
import { InboundHub, type InboundInput } from '../../electron/core/inbound/hub.ts';
import type { InboundMessage } from '../../shared/inbound.ts';

let db: Db;
let hub: InboundHub;
let clock = Date.parse('2026-12-01T08:00:00Z');

const message = (uid: number, over: Partial<InboundInput> = {}): InboundInput => ({
  sourceId: 'mbx-1',
  folder: 'INBOX',
  folderRole: 'inbox',
  uidValidity: 1700000000n,
  uid,
  messageId: `<m${uid}@cam.example>`,
  from: 'Cam-North@Site.Example',
  fromName: 'North gate',
  to: ['Alerts@Control.Example'],
  subject: `Health mail ${uid}`,
  sentAt: new Date('2026-12-01T07:59:00Z'),
  receivedAt: new Date('2026-12-01T07:59:30Z'),
  size: 2048,
  headers: `Message-ID: <m${uid}@cam.example>\r\nSubject: Health mail ${uid}\r\n\r\n`,
  ...over,
});

beforeEach(() => {
  db = openHistory(':memory:');
  hub = new InboundHub(db, () => clock, silentLogger);
});
afterEach(() => {
  commitWrites(db);
  db.close();
});

describe('the inbound hub', () => {
  it('stores each message once and tells subscribers only about new ones', () => {
    const told: InboundMessage[][] = [];
    hub.subscribe((m) => told.push(m));
    const first = hub.publish([message(1), message(2)]);
    expect(first.map((m) => m.uid)).toEqual([1, 2]);
    expect(first[0]).toMatchObject({
      key: 'mbx-1/INBOX/1700000000/1',
      messageId: 'm1@cam.example',
      from: 'cam-north@site.example',
      to: ['alerts@control.example'],
      receivedAt: '2026-12-01T07:59:30.000Z',
      seenAt: new Date(clock).toISOString(),
    });
    // Read again after a reconnect (same UIDs), plus one new message.
    const again = hub.publish([message(1), message(2), message(3)]);
    expect(again.map((m) => m.uid)).toEqual([3]);
    expect(told.map((batch) => batch.map((m) => m.uid))).toEqual([[1, 2], [3]]);
    expect(hub.count('mbx-1')).toBe(3);
  });

  it('does not count a message twice after a UIDVALIDITY reset (the Message-ID is the second key)', () => {
    hub.publish([message(1), message(2)]);
    const renumbered = hub.publish([
      message(1, { uidValidity: 1800000000n, uid: 501 }),
      message(9, { uidValidity: 1800000000n, uid: 502 }),
    ]);
    expect(renumbered.map((m) => m.messageId)).toEqual(['m9@cam.example']);
    expect(hub.count()).toBe(3);
  });

  it('keeps the same Message-ID in two mailboxes apart (two recipients, two arrivals)', () => {
    hub.publish([message(1)]);
    const other = hub.publish([message(1, { sourceId: 'mbx-2' })]);
    expect(other).toHaveLength(1);
  });

  it('stores messages without a Message-ID by key alone', () => {
    expect(hub.publish([message(1, { messageId: null }), message(2, { messageId: '  ' })])).toHaveLength(2);
    expect(hub.publish([message(1, { messageId: null })])).toHaveLength(0);
  });

  it('finds the AlertDesk token in the header, or in the subject suffix when headers were stripped', () => {
    const [byHeader, bySubject, none] = hub.publish([
      message(1, { headers: 'X-AlertDesk-Token: 0123456789ab\r\nSubject: x\r\n\r\n' }),
      message(2, { subject: 'Handover test North gate [AD:7K3M9P2Q4R5S]' }),
      message(3, { subject: 'Motion [AD:not-a-token]' }),
    ]);
    expect(byHeader!.token).toBe('0123456789AB');
    expect(bySubject!.token).toBe('7K3M9P2Q4R5S');
    expect(none!.token).toBeNull();
    expect(hub.query({ token: '7K3M9P2Q4R5S' }).map((m) => m.uid)).toEqual([2]);
  });

  it('keeps the header block and reads fields on demand, folded lines unfolded', () => {
    const headers =
      'From: cam@site.example\r\nAuthentication-Results: mx.example;\r\n\tspf=pass smtp.mailfrom=site.example;\r\n dkim=fail\r\nReceived: a\r\nReceived: b\r\n\r\nbody is not read';
    const [m] = hub.publish([message(1, { headers })]);
    const fields = hub.headerFields(m!.key)!;
    expect(fields['authentication-results']).toEqual([
      'mx.example; spf=pass smtp.mailfrom=site.example; dkim=fail',
    ]);
    expect(fields.received).toEqual(['a', 'b']);
    expect(hub.headerFields('nope')).toBeNull();
  });

  it('writes a batch all or nothing: a failing row leaves none of the batch behind', () => {
    const bad = message(2, { uid: Number.NaN });
    expect(() => hub.publish([message(1), bad])).toThrow();
    expect(hub.count()).toBe(0);
  });

  it('a failing subscriber does not stop the others or lose the messages', () => {
    const seen: number[] = [];
    hub.subscribe(() => {
      throw new Error('boom');
    });
    hub.subscribe((m) => seen.push(...m.map((x) => x.uid)));
    hub.publish([message(1)]);
    expect(seen).toEqual([1]);
    expect(hub.count()).toBe(1);
  });

  it('queries newest first, by source, time and sender; prunes by age', () => {
    hub.publish([
      message(1, { receivedAt: '2026-11-01T00:00:00Z' }),
      message(2, { receivedAt: '2026-11-20T00:00:00Z', from: 'other@site.example' }),
      message(3, { receivedAt: '2026-11-30T00:00:00Z' }),
    ]);
    expect(hub.query().map((m) => m.uid)).toEqual([3, 2, 1]);
    expect(hub.query({ since: Date.parse('2026-11-15T00:00:00Z') }).map((m) => m.uid)).toEqual([3, 2]);
    expect(hub.query({ from: 'OTHER@site.example' }).map((m) => m.uid)).toEqual([2]);
    expect(hub.prune(Date.parse('2026-11-10T00:00:00Z'))).toBe(1);
    expect(hub.count()).toBe(2);
  });

  it('reports each source health change once, keeping "since" while watching does not change', () => {
    const changes: string[] = [];
    hub.onHealth((h) => changes.push(`${h.state}:${h.watching}:${h.since}`));
    expect(hub.health('mbx-1')).toBeNull();
    hub.reportHealth('mbx-1', 'catching-up', false);
    clock += 1000;
    hub.reportHealth('mbx-1', 'catching-up', false);
    hub.reportHealth('mbx-1', 'connected', true);
    clock += 1000;
    hub.reportHealth('mbx-1', 'reconnecting', false);
    expect(changes).toEqual([
      `catching-up:false:${new Date(clock - 2000).toISOString()}`,
      `connected:true:${new Date(clock - 1000).toISOString()}`,
      `reconnecting:false:${new Date(clock).toISOString()}`,
    ]);
  });
});

describe('header fields', () => {
  it('skips lines that are not headers and stops at the blank line', () => {
    const fields = parseHeaderFields('From nobody Mon\nX-A: 1\n\nX-B: 2\n');
    expect(fields).toEqual({ 'x-a': ['1'] });
  });
  it('takes the first valid token header', () => {
    expect(tokenOf({ 'x-alertdesk-token': ['junk', 'ABCDEFGHJKMN'] }, '')).toBe('ABCDEFGHJKMN');
  });
});

describe('mailbox coverage', () => {
  const mailbox = (over: Partial<StoredMailbox>): StoredMailbox => ({
    id: 'm',
    title: 'Control room',
    host: 'imap.example',
    port: 993,
    security: 'tls',
    auth: 'password',
    username: 'alerts@control.example',
    passwordSealed: null,
    presetId: null,
    extraFolders: [],
    watchJunk: true,
    siteIds: [],
    cameraIds: [],
    addresses: ['alerts@control.example'],
    enabled: true,
    createdAt: '',
    updatedAt: '',
    ...over,
  });
  const inventory = {
    mailboxes: [
      mailbox({ id: 'by-site', siteIds: ['s1'] }),
      mailbox({ id: 'by-camera', cameraIds: ['c2'], addresses: ['Ops@Site.Example'] }),
      mailbox({ id: 'stopped', siteIds: ['s1', 's2'], addresses: ['night@site.example'], enabled: false }),
    ],
  };
  it('covers a camera through its site or by name, never through a stopped mailbox', () => {
    expect(mailboxesCovering(inventory, { id: 'c1', siteId: 's1' }).map((m) => m.id)).toEqual(['by-site']);
    expect(mailboxesCovering(inventory, { id: 'c2', siteId: 's2' }).map((m) => m.id)).toEqual(['by-camera']);
    expect(mailboxesCovering(inventory, { id: 'c3', siteId: 's2' })).toEqual([]);
  });
  it('finds the mailbox of a recipient address, case-insensitively', () => {
    expect(mailboxForAddress(inventory, ' ops@site.example ')?.id).toBe('by-camera');
    expect(mailboxForAddress(inventory, 'night@site.example')).toBeNull();
  });
});
