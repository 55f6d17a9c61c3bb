import { afterEach, describe, expect, it } from 'vitest';
import type { HeartbeatState } from '../../shared/heartbeats.ts';
import { manualClock } from '../helpers/clock.ts';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { relayConnector } from '../helpers/fixtures.ts';
import { addMailbox, heartbeatMail, recordingNotifier, seedCameras } from '../helpers/heartbeats.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

const MIN = 60_000;

let t: TestCore | null = null;
let smtp: TestSmtpServer | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
  await smtp?.close();
  smtp = null;
});

/** A core on a manual clock with a recording notifier, one site, its cameras, a watched mailbox and a site rule. */
async function setup(cameraNames = ['Gate', 'Dock'], options: { dataDir?: string } = {}) {
  const clock = manualClock();
  const notifier = recordingNotifier();
  t = await startTestCore({ clock, notifier, ...options });
  // This core runs no watchers: they report their mailboxes stopped once, at start. The tests
  // then play the watcher themselves (reportHealth), as a running one would.
  await t.core.watchers.reconcile();
  const { api, core } = t;
  const site = unwrap(await api.sites.create({ name: 'Harbour Terminal', customer: 'Portside' }));
  const cameras = [];
  for (const name of cameraNames)
    cameras.push(unwrap(await api.cameras.create({ siteId: site.id, name, heartbeatMinutes: 60 })));
  addMailbox(core, { id: 'mbx-1', title: 'Harbour alerts', siteIds: [site.id] });
  core.inbound.reportHealth('mbx-1', 'connected', true);
  const rule = unwrap(
    await api.heartbeats.createRule({
      scope: 'site',
      siteId: site.id,
      subject: '%Camera_Name% Health Mail *',
    }),
  );
  const beat = (
    camera: string,
    over: Parameters<typeof heartbeatMail>[1] extends infer O ? Partial<O> : never = {},
  ) =>
    core.inbound.publish([
      heartbeatMail(clock.now(), {
        subject: `${camera} Health Mail ${new Date(clock.now()).toISOString()}`,
        ...over,
      }),
    ]);
  const state = async (cameraId: string) => unwrap(await api.heartbeats.camera({ cameraId })).row;
  /** Moves the clock in steps (every alarm on the way wakes, as real time would). */
  const pass = async (ms: number, step = 20_000) => {
    for (let done = 0; done < ms; done += step) await clock.advance(Math.min(step, ms - done));
  };
  return { clock, notifier, api, core, site, cameras, rule, beat, state, pass };
}

const tail = (states: Array<HeartbeatState | null>, n: number) => states.slice(-n);

describe('heartbeat states on a fake clock', () => {
  it('goes new → up → late → down → up, records each change with its time and cause, and alerts each', async () => {
    const { cameras, beat, state, pass, api, notifier, clock } = await setup();
    const gate = cameras[0]!;
    expect((await state(gate.id)).state).toBe('new');

    beat('Gate');
    const up = await state(gate.id);
    expect(up).toMatchObject({ state: 'up', periodMinutes: 60, graceMinutes: 15, lastBeatFolder: 'inbox' });
    const beatAt = Date.parse(up.lastBeatAt!);
    expect(Date.parse(up.expectedBy!)).toBe(beatAt + 60 * MIN);

    await pass(59 * MIN);
    expect((await state(gate.id)).state).toBe('up');
    await pass(2 * MIN);
    const late = await state(gate.id);
    expect(late.state).toBe('late');
    // The state's time is when it became true (the end of the period), not when it was noticed.
    expect(late.since).toBe(new Date(beatAt + 60 * MIN).toISOString());

    await pass(15 * MIN);
    const down = await state(gate.id);
    expect(down.state).toBe('down');
    expect(down.since).toBe(new Date(beatAt + 75 * MIN).toISOString());
    expect(down.detail).toMatch(/No heartbeat through the period and the grace of 15 min/);

    beat('Gate');
    expect((await state(gate.id)).state).toBe('up');
    await pass(40_000);

    const detail = unwrap(await api.heartbeats.camera({ cameraId: gate.id }));
    const states = detail.transitions.map((x) => x.to).reverse();
    expect(tail(states, 5)).toEqual(['new', 'up', 'late', 'down', 'up']);
    expect(detail.transitions[0]!.cause).toMatch(/^Heartbeat received/);
    expect(detail.transitions[1]!.cause).toMatch(/No heartbeat for 1 h 15 min/);
    expect(detail.beats).toHaveLength(2);
    expect(detail.beats[0]).toMatchObject({
      folderRole: 'inbox',
      ruleLabel: 'mail subject “%Camera_Name% Health Mail *”',
    });

    expect(notifier.shown.map((n) => n.title)).toEqual([
      'Harbour Terminal: Gate is late',
      'Harbour Terminal: Gate is down',
      'Harbour Terminal: Gate is back up',
    ]);
    const alerts = unwrap(await api.heartbeats.alerts());
    expect(alerts.map((a) => a.transitions.map((x) => `${x.from}→${x.to}`))).toEqual([
      ['down→up'],
      ['late→down'],
      ['up→late'],
    ]);
    // The other camera never sent anything: still new, never alerted.
    expect((await state(cameras[1]!.id)).state).toBe('new');
    void clock;
  });

  it('is unknown while the mailbox is not read — never late or down — and right again once it has caught up', async () => {
    const { cameras, beat, state, pass, core, notifier, clock, api } = await setup(['Gate']);
    const gate = cameras[0]!;
    beat('Gate');
    core.inbound.reportHealth('mbx-1', 'reconnecting', false);
    const unknown = await state(gate.id);
    expect(unknown.state).toBe('unknown');
    expect(unknown.detail).toBe(
      'Mailbox "Harbour alerts" is reconnecting: heartbeats cannot be seen until it is back.',
    );
    expect(unknown.mailboxes).toEqual([
      { id: 'mbx-1', title: 'Harbour alerts', state: 'reconnecting', watching: false },
    ]);

    // Two hours without the mailbox: the camera would be down if it were watched; it is not.
    await pass(120 * MIN, 5 * MIN);
    expect((await state(gate.id)).state).toBe('unknown');

    // The watcher catches up: a heartbeat that arrived during the gap, then it is watching again.
    core.inbound.reportHealth('mbx-1', 'catching-up', false);
    beat('Gate', { receivedAt: new Date(clock.now() - 20 * MIN) });
    expect((await state(gate.id)).state).toBe('unknown');
    core.inbound.reportHealth('mbx-1', 'connected', true);
    expect((await state(gate.id)).state).toBe('up');
    await pass(40_000);

    const states = unwrap(await api.heartbeats.camera({ cameraId: gate.id })).transitions.map((x) => x.to);
    expect(states).not.toContain('late');
    expect(states).not.toContain('down');
    expect(notifier.shown.map((n) => n.title)).toEqual([
      'Harbour Terminal: Gate is unknown',
      'Harbour Terminal: Gate is back up',
    ]);
    expect(notifier.shown[0]!.body).toMatch(/reconnecting/);
  });

  it('pauses for a maintenance window (camera or site) and counts lateness again from its end', async () => {
    const { cameras, beat, state, pass, api, site, clock, notifier } = await setup(['Gate', 'Dock']);
    const [gate, dock] = cameras as [(typeof cameras)[0], (typeof cameras)[0]];
    beat('Gate');
    beat('Dock');
    const window = unwrap(
      await api.heartbeats.pause({
        scope: 'camera',
        siteId: site.id,
        cameraId: gate.id,
        endsAt: new Date(clock.now() + 3 * 60 * MIN).toISOString(),
        reason: 'Replacing the PoE switch',
      }),
    );
    const paused = await state(gate.id);
    expect(paused).toMatchObject({ state: 'paused', pausedUntil: window.endsAt });
    expect(paused.detail).toMatch(/Replacing the PoE switch/);

    await pass(2 * 60 * MIN, 5 * MIN);
    expect((await state(gate.id)).state).toBe('paused');
    expect((await state(dock.id)).state).toBe('down');

    await pass(61 * MIN, 5 * MIN);
    // Silent through the window, up again from its end and late a period after it.
    expect((await state(gate.id)).state).toBe('up');
    await pass(60 * MIN, 5 * MIN);
    expect((await state(gate.id)).state).toBe('late');

    // A site-wide window pauses every camera of the site; resuming early ends it now.
    const siteWindow = unwrap(
      await api.heartbeats.pause({
        scope: 'site',
        siteId: site.id,
        endsAt: new Date(clock.now() + 86_400_000).toISOString(),
      }),
    );
    expect((await state(gate.id)).state).toBe('paused');
    expect((await state(dock.id)).state).toBe('paused');
    unwrap(await api.heartbeats.resume({ id: siteWindow.id }));
    expect((await state(dock.id)).state).toBe('up');
    expect(notifier.shown.some((n) => /paused/.test(n.title))).toBe(false);
  });

  it('waits with one alarm for the next due time (at most 10 minutes at a time) and pushes only the rows that changed', async () => {
    const { core, cameras, beat, clock, pass } = await setup(['Gate', 'Dock', 'Yard']);
    const events: Array<{ cameras: string[] }> = [];
    core.onEvent((m) => {
      if (m.topic === 'heartbeats')
        events.push({
          cameras: (m.payload as { cameras: Array<{ cameraName: string }> }).cameras.map((c) => c.cameraName),
        });
    });
    beat('Gate');
    expect(events.at(-1)!.cameras).toEqual(['Gate']);
    // Nothing is due for an hour: one sleep, capped at ten minutes — no polling.
    expect(clock.pending()).toEqual([10 * MIN]);
    events.length = 0;
    await pass(50 * MIN, 10 * MIN);
    expect(events).toEqual([]); // time passed, nothing changed, nothing pushed
    const pending = clock.pending();
    expect(pending).toHaveLength(1);
    expect(pending[0]!).toBeLessThanOrEqual(10 * MIN);
    expect(pending[0]!).toBeGreaterThan(9 * MIN);
    void cameras;
  });

  it('counts mail filed to Junk as a heartbeat and says so', async () => {
    const { cameras, beat, state } = await setup(['Gate']);
    beat('Gate', { folder: 'Junk', folderRole: 'junk' });
    const row = await state(cameras[0]!.id);
    expect(row).toMatchObject({ state: 'up', lastBeatFolder: 'junk' });
    expect(row.detail).toMatch(/filed in Junk/);
  });

  it('counts mail the bench inbox caught from a camera (known by its own login) without any rule', async () => {
    const { core, cameras, state, api, clock } = await setup(['Gate']);
    core.inbound.publish([
      heartbeatMail(clock.now(), {
        sourceId: 'bench',
        subject: 'Motion detected', // no rule takes this subject
        from: 'gate-cam@harbour.test',
        cameraId: cameras[0]!.id,
      }),
    ]);
    expect(await state(cameras[0]!.id)).toMatchObject({ state: 'up' });
    const detail = unwrap(await api.heartbeats.camera({ cameraId: cameras[0]!.id }));
    expect(detail.beats[0]).toMatchObject({ sourceId: 'bench' });
    expect(detail.beats[0]!.ruleLabel).toMatch(/bench inbox/);
    // A camera that no longer exists is not credited, and a token makes it a test, not a heartbeat.
    core.inbound.publish([
      heartbeatMail(clock.now(), { sourceId: 'bench', subject: 'x', cameraId: 'gone' }),
      heartbeatMail(clock.now(), {
        sourceId: 'bench',
        subject: 'Test [AD:0123456789AB]',
        cameraId: cameras[0]!.id,
      }),
    ]);
    expect(unwrap(await api.heartbeats.camera({ cameraId: cameras[0]!.id })).beats).toHaveLength(1);
  });

  it('follows a daily schedule with its own grace instead of the period', async () => {
    const { cameras, beat, state, api } = await setup(['Gate']);
    const gate = cameras[0]!;
    beat('Gate');
    const zone = 'UTC';
    const row = unwrap(
      await api.heartbeats.setExpectation({
        cameraId: gate.id,
        periodMinutes: null,
        graceMinutes: 45,
        schedule: { times: ['08:00', '20:00'], timeZone: zone },
      }),
    );
    expect(row).toMatchObject({ state: 'up', graceMinutes: 45, periodMinutes: null });
    expect(['08:00', '20:00']).toContain(row.expectedBy!.slice(11, 16));
    expect((await state(gate.id)).schedule).toEqual({ times: ['08:00', '20:00'], timeZone: zone });
    const bad = failure(
      await api.heartbeats.setExpectation({
        cameraId: gate.id,
        periodMinutes: 60,
        schedule: { times: ['8am'], timeZone: 'Mars/Olympus' },
      }),
    );
    expect(bad.fields).toMatchObject({
      'schedule.times.0': 'Write times as HH:MM, 24-hour (e.g. 08:00).',
      'schedule.timeZone': expect.stringMatching(/"Mars\/Olympus" is not a time zone/),
    });
  });
});

describe('heartbeat alerts', () => {
  it('groups forty cameras of one site going silent together into one notification naming the site', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `Cam ${String(i + 1).padStart(2, '0')}`);
    const { core, site, beat, pass, notifier, clock } = await setup(['Gate']);
    seedCameras(core, site.id, names);
    const other = core.sites.create({
      name: 'North Yard',
      customer: '',
      address: '',
      contact: '',
      notes: '',
      handover: 'commissioning',
    });
    seedCameras(core, other.id, ['Fence 1', 'Fence 2', 'Fence 3']);
    addMailbox(core, { id: 'mbx-1', title: 'Harbour alerts', siteIds: [site.id, other.id] });
    unwrap(
      await t!.api.heartbeats.createRule({
        scope: 'site',
        siteId: other.id,
        subject: '%Camera_Name% Health Mail *',
      }),
    );
    for (const name of [...names, 'Gate', 'Fence 1', 'Fence 2', 'Fence 3']) beat(name);
    notifier.shown.length = 0;

    await pass(61 * MIN);
    expect(notifier.shown.map((n) => n.title).sort()).toEqual([
      'Harbour Terminal: 41 cameras late',
      'North Yard: 3 cameras late',
    ]);
    expect(notifier.shown.find((n) => n.title.startsWith('Harbour'))!.body).toMatch(
      /^Gate, Cam 01, Cam 02, Cam 03, Cam 04 and 36 more\.$/,
    );

    // The next change of the same site within the cool-down waits and comes as one notification.
    notifier.shown.length = 0;
    await pass(15 * MIN);
    expect(notifier.shown.map((n) => n.title).sort()).toEqual([
      'Harbour Terminal: 41 cameras down',
      'North Yard: 3 cameras down',
    ]);
    const alerts = unwrap(await t!.api.heartbeats.alerts());
    const harbourDown = alerts.find((a) => a.title === 'Harbour Terminal: 41 cameras down')!;
    expect(harbourDown.transitions).toHaveLength(41);
    expect(harbourDown.transitions.every((x) => x.from === 'late' && x.to === 'down')).toBe(true);
    void clock;
  });

  it('escalates by e-mail through the chosen connector once per transition, and not again after a restart', async () => {
    smtp = await startSmtpServer({ mode: 'none' });
    const { api, site, cameras, beat, pass, core, notifier, clock } = await setup(['Gate']);
    const connector = unwrap(
      await api.connectors.create({
        ...relayConnector(site.id, 'Office relay'),
        host: '127.0.0.1',
        port: smtp.port,
        connectionTimeoutSec: 5,
        retryDelaysSec: [],
      }),
    );
    unwrap(await api.connectors.setState({ id: connector.id, state: 'RUN' }));
    const refused = failure(
      await api.heartbeats.setAlertSettings({
        notify: true,
        email: {
          enabled: true,
          connectorId: connector.id,
          recipients: [],
          states: ['down'],
          recoveries: true,
        },
      }),
    );
    expect(refused).toMatchObject({ field: 'email.recipients', message: 'Add at least one recipient.' });
    unwrap(
      await api.heartbeats.setAlertSettings({
        notify: true,
        email: {
          enabled: true,
          connectorId: connector.id,
          recipients: ['oncall@integrator.example'],
          states: ['down'],
          recoveries: true,
        },
      }),
    );
    beat('Gate');
    await pass(80 * MIN);
    // late (not escalated: only down is), then down (escalated)
    const waitFor = async (n: number) => {
      for (let i = 0; i < 200 && smtp!.received.length < n; i++) await new Promise((r) => setTimeout(r, 25));
    };
    await waitFor(1);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.parsed.subject).toBe('[AlertDesk] Harbour Terminal: Gate is down');
    expect(smtp.received[0]!.to).toEqual(['oncall@integrator.example']);
    expect(smtp.received[0]!.parsed.text).toMatch(/- Gate: late → down at/);
    const alerts = unwrap(await api.heartbeats.alerts());
    const down = alerts.find((a) => a.title.endsWith('is down'))!;
    expect(down.deliveryId).not.toBeNull();
    const delivery = unwrap(await api.deliveries.get({ id: down.deliveryId! }));
    expect(delivery.kind).toBe('alert');

    // More evaluations (a health report, more time) do not alert the same transition again.
    core.inbound.reportHealth('mbx-1', 'connected', true);
    await pass(3 * 60 * MIN, 5 * MIN);
    expect(notifier.shown).toHaveLength(2);

    // Nor does a restart: the state was recorded.
    const dir = t!.dir;
    const closing = t!;
    t = null;
    await closing.core.close();
    const notifier2 = recordingNotifier();
    t = await startTestCore({ dataDir: dir, clock, notifier: notifier2 });
    await t.core.watchers.reconcile();
    t.core.inbound.reportHealth('mbx-1', 'connected', true);
    expect(unwrap(await t.api.heartbeats.camera({ cameraId: cameras[0]!.id })).row.state).toBe('down');
    await pass(2 * MIN);
    expect(notifier2.shown).toHaveLength(0);

    // The recovery is escalated too.
    t.core.inbound.publish([heartbeatMail(clock.now(), { subject: 'Gate Health Mail again' })]);
    await pass(40_000);
    await waitFor(2);
    expect(notifier2.shown.map((n) => n.title)).toEqual(['Harbour Terminal: Gate is back up']);
    expect(smtp.received.map((m) => m.parsed.subject)).toEqual([
      '[AlertDesk] Harbour Terminal: Gate is down',
      '[AlertDesk] Harbour Terminal: Gate is back up',
    ]);
    await t.close();
    t = null;
  });

  it('says nothing about a change undone within the gathering window (a watcher restarted after an edit)', async () => {
    const { core, cameras, beat, pass, notifier, api } = await setup(['Gate']);
    beat('Gate');
    await pass(40_000);
    notifier.shown.length = 0;
    core.inbound.reportHealth('mbx-1', 'reconnecting', false);
    await pass(5_000, 5_000);
    core.inbound.reportHealth('mbx-1', 'connected', true);
    await pass(60_000);
    expect(notifier.shown).toEqual([]);
    // Both changes are still in the camera's history.
    const states = unwrap(await api.heartbeats.camera({ cameraId: cameras[0]!.id })).transitions.map(
      (x) => x.to,
    );
    expect(states.slice(0, 3)).toEqual(['up', 'unknown', 'up']);
  });

  it('says on the alert why no e-mail went out when the chosen connector is STOPPED', async () => {
    const { api, site, beat, pass, notifier } = await setup(['Gate']);
    const connector = unwrap(await api.connectors.create(relayConnector(site.id)));
    unwrap(
      await api.heartbeats.setAlertSettings({
        notify: false,
        email: {
          enabled: true,
          connectorId: connector.id,
          recipients: ['oncall@x.example'],
          states: ['late'],
          recoveries: false,
        },
      }),
    );
    beat('Gate');
    await pass(62 * MIN);
    const [late] = unwrap(await api.heartbeats.alerts());
    expect(late).toMatchObject({
      title: 'Harbour Terminal: Gate is late',
      notified: false,
      deliveryId: null,
    });
    expect(late!.emailProblem).toMatch(/Connector "Relay" is STOPPED: start it under Connectors/);
    expect(notifier.shown).toHaveLength(0);
  });

  it('does not alert while the watchers are still connecting after AlertDesk opens', async () => {
    const { core, beat, notifier, cameras, pass } = await setup(['Gate']);
    beat('Gate');
    const dir = t!.dir;
    const clock = manualClock();
    await t!.core.close();
    t = null;
    const notifier2 = recordingNotifier();
    t = await startTestCore({ dataDir: dir, clock, notifier: notifier2 });
    await t.core.watchers.reconcile();
    const row = unwrap(await t.api.heartbeats.camera({ cameraId: cameras[0]!.id })).row;
    expect(row.state).toBe('unknown');
    expect(row.detail).toMatch(/^Mailbox "Harbour alerts" (is stopped|has not connected yet)/);
    t.core.inbound.reportHealth('mbx-1', 'catching-up', false);
    t.core.inbound.reportHealth('mbx-1', 'connected', true);
    for (let i = 0; i < 3; i++) await clock.advance(20_000);
    expect(unwrap(await t.api.heartbeats.camera({ cameraId: cameras[0]!.id })).row.state).toBe('up');
    expect(notifier2.shown).toEqual([]);
    void core;
    void notifier;
    void pass;
  });
});

describe('rules and unmatched mail', () => {
  it('refuses a subject pattern that is not a valid expression, at its field, storing nothing', async () => {
    const { api, site } = await setup(['Gate']);
    const before = unwrap(await api.heartbeats.rules()).length;
    const bad = failure(
      await api.heartbeats.createRule({ scope: 'site', siteId: site.id, subject: '%Camera_Nmae% heartbeat' }),
    );
    expect(bad).toMatchObject({ code: 'invalid-input', field: 'subject' });
    expect(bad.message).toMatch(/%Camera_Nmae% \(character 1\) is not a variable AlertDesk knows/);
    const noCamera = failure(
      await api.heartbeats.createRule({ scope: 'site', siteId: site.id, subject: 'Health Mail *' }),
    );
    expect(noCamera).toMatchObject({
      field: 'subject',
      message: expect.stringMatching(/must say which camera/),
    });
    expect(unwrap(await api.heartbeats.rules())).toHaveLength(before);
  });

  it('lists unmatched mail grouped, proposes a rule, and assigning makes the rule that gives it (and mail like it) to the camera', async () => {
    const { api, core, cameras, state, clock } = await setup(['North Gate PTZ', 'Dock']);
    const gate = cameras[0]!;
    // A camera that sends from its own address with its own subject: no rule takes it.
    for (let i = 0; i < 3; i++)
      core.inbound.publish([
        heartbeatMail(clock.now() - i * 60 * MIN, {
          from: 'ipc-4471@cams.example',
          subject: `[IPC] North Gate PTZ alive 2026-12-0${i + 1} 08:00`,
        }),
      ]);
    // A test e-mail of AlertDesk itself (a token) is never listed as unmatched.
    core.inbound.publish([heartbeatMail(clock.now(), { subject: 'Test [AD:0123456789AB]' })]);

    const page = unwrap(await api.heartbeats.unmatched());
    expect(page.groups).toHaveLength(1);
    const group = page.groups[0]!;
    expect(group).toMatchObject({
      from: 'ipc-4471@cams.example',
      count: 3,
      mailboxTitle: 'Harbour alerts',
      suggestedCameraId: gate.id,
    });

    const proposal = unwrap(
      await api.heartbeats.proposeRule({ messageKey: group.messageKey, cameraId: gate.id }),
    );
    expect(proposal).toMatchObject({ from: 'ipc-4471@cams.example', subject: '[IPC] %Camera_Name% alive *' });
    expect(proposal.preview.matched).toBe(3);

    // A rule that would not take the very message assigned is refused.
    const wrong = failure(
      await api.heartbeats.assign({
        messageKey: group.messageKey,
        cameraId: gate.id,
        from: 'other@cams.example',
        subject: '',
      }),
    );
    expect(wrong).toMatchObject({
      field: 'from',
      message: expect.stringMatching(/would not take the message/),
    });

    const assigned = unwrap(
      await api.heartbeats.assign({
        messageKey: group.messageKey,
        cameraId: gate.id,
        from: proposal.from,
        subject: proposal.subject,
      }),
    );
    expect(assigned.rule).toMatchObject({ scope: 'camera', cameraId: gate.id, origin: 'assigned' });
    expect(assigned.matched).toBe(3);
    expect((await state(gate.id)).state).toBe('up');
    expect(unwrap(await api.heartbeats.unmatched()).groups).toHaveLength(0);

    // New mail like it goes to the camera as it arrives.
    core.inbound.publish([
      heartbeatMail(clock.now(), {
        from: 'ipc-4471@cams.example',
        subject: '[IPC] North Gate PTZ alive 2026-12-04 08:00',
      }),
    ]);
    expect(unwrap(await api.heartbeats.camera({ cameraId: gate.id })).beats).toHaveLength(4);
  });

  it('previews a rule before it is saved: what it takes, for which camera, and names it could not place', async () => {
    const { api, core, site, clock } = await setup(['Gate', 'Dock']);
    core.inbound.publish([
      heartbeatMail(clock.now(), { subject: 'HC Gate ok' }),
      heartbeatMail(clock.now(), { subject: 'HC Dock ok' }),
      heartbeatMail(clock.now(), { subject: 'HC Fence ok' }),
    ]);
    const preview = unwrap(
      await api.heartbeats.previewRule({ scope: 'site', siteId: site.id, subject: 'HC %Camera_Name% ok' }),
    );
    expect(preview.matched).toBe(2);
    expect(preview.samples.map((s) => s.cameraName).sort()).toEqual(['Dock', 'Gate']);
    expect(preview.unknownCameras).toEqual(['fence']);
  });

  it('gives mail to a camera by a header naming its serial (a site rule), and survives malformed mail', async () => {
    const { api, core, site, cameras, clock, state } = await setup(['Gate', 'Dock']);
    const { createdAt: _c, updatedAt: _u, ...dockFields } = cameras[1]!;
    unwrap(await api.cameras.update({ ...dockFields, serial: 'DH-7F3A-0042' }));
    unwrap(
      await api.heartbeats.createRule({
        scope: 'site',
        siteId: site.id,
        from: '*@nvr.example',
        headerName: 'X-Camera-Serial',
        headerValue: '%Serial%',
      }),
    );
    core.inbound.publish([
      heartbeatMail(clock.now(), {
        from: 'recorder@nvr.example',
        subject: 'Status report',
        headers: 'X-Camera-Serial: dh-7f3a-0042\r\nSubject: Status report\r\n\r\n',
      }),
      // No From, no subject, a header block that is not one: nothing matches, nothing breaks.
      heartbeatMail(clock.now(), { from: '', subject: '', headers: '\u0000garbage without colons' }),
      heartbeatMail(clock.now(), { from: 'recorder@nvr.example', subject: 'Status report', headers: '' }),
    ]);
    const dock = await state(cameras[1]!.id);
    expect(dock.state).toBe('up');
    const detail = unwrap(await api.heartbeats.camera({ cameraId: cameras[1]!.id }));
    expect(detail.beats[0]!.ruleLabel).toBe('mail from *@nvr.example · header X-Camera-Serial: %Serial%');
    expect((await state(cameras[0]!.id)).state).toBe('new');
    expect(unwrap(await api.heartbeats.unmatched()).messages).toBe(2);
  });

  it('re-matches recent mail when a rule is deleted or changed', async () => {
    const { api, rule, cameras, beat, state } = await setup(['Gate']);
    beat('Gate');
    expect((await state(cameras[0]!.id)).state).toBe('up');
    unwrap(await api.heartbeats.removeRule({ id: rule.id }));
    expect((await state(cameras[0]!.id)).state).toBe('new');
    expect(unwrap(await api.heartbeats.unmatched()).groups).toHaveLength(1);
  });
});

describe('heartbeats in the health roll-up (the Overview)', () => {
  it('fails a camera whose heartbeat is down, counts an up heartbeat as proof it works, and tells the Overview when that changes', async () => {
    const { api, core, cameras, beat, pass } = await setup(['Gate', 'Dock']);
    const [gate, dock] = cameras as [(typeof cameras)[0], (typeof cameras)[0]];
    beat('Gate');
    beat('Dock');
    await pass(50 * MIN);
    beat('Dock');
    await pass(30 * MIN);
    const health = unwrap(await api.health.cameras());
    const of = (id: string) => health.find((c) => c.cameraId === id)!;
    expect(of(gate.id).level).toBe('failing');
    expect(of(gate.id).reasons).toContainEqual(
      expect.objectContaining({
        source: 'heartbeats',
        level: 'failing',
        text: 'Heartbeat down',
      }),
    );
    // The Dock has no connector (at risk for that), but its heartbeat is proof it works.
    expect(of(dock.id).reasons).toContainEqual(
      expect.objectContaining({ source: 'heartbeats', level: 'healthy', text: 'Heartbeat up' }),
    );
    // The Overview is told (one coalesced 'health' event) when a heartbeat changes a camera.
    const told = new Promise<void>((resolve) => {
      const off = core.onEvent((m) => {
        if (m.topic !== 'health') return;
        off();
        resolve();
      });
    });
    beat('Gate');
    await told;
    const gateNow = unwrap(await api.health.cameras()).find((c) => c.cameraId === gate.id)!;
    expect(gateNow.level).not.toBe('failing');
    expect(gateNow.reasons).toContainEqual(
      expect.objectContaining({ source: 'heartbeats', text: 'Heartbeat up' }),
    );
  });
});

describe('heartbeats and the site’s last OK', () => {
  it('counts the last heartbeat that arrived as the site’s last OK, when nothing was tested', async () => {
    const { api, site, cameras, beat, pass, state } = await setup(['Gate', 'Dock']);
    const [gate, dock] = cameras as [(typeof cameras)[0], (typeof cameras)[0]];
    const siteOf = async () => unwrap(await api.health.overview()).sites.find((s) => s.siteId === site.id)!;
    expect((await siteOf()).lastOkAt).toBeNull();
    beat('Gate');
    await pass(5 * MIN);
    const gateAt = (await state(gate.id)).lastBeatAt;
    expect(gateAt).not.toBeNull();
    expect((await siteOf()).lastOkAt).toBe(gateAt);
    beat('Dock');
    await pass(MIN);
    const dockAt = (await state(dock.id)).lastBeatAt!;
    expect(dockAt > gateAt!).toBe(true);
    // The latest heartbeat of any of the site's cameras; no test e-mail was ever sent.
    expect((await siteOf()).lastOkAt).toBe(dockAt);
    expect((await siteOf()).lastResultAt).toBeNull();
  });
});

describe('heartbeat settings in backups', () => {
  it('carries rules, expectations, maintenance windows and alert settings to another computer', async () => {
    const { api, core, site, cameras, clock } = await setup(['Gate', 'Dock']);
    unwrap(
      await api.heartbeats.createRule({
        scope: 'camera',
        siteId: site.id,
        cameraId: cameras[1]!.id,
        from: 'dock@cams.example',
      }),
    );
    unwrap(
      await api.heartbeats.setExpectation({
        cameraId: cameras[0]!.id,
        periodMinutes: null,
        graceMinutes: 45,
        schedule: { times: ['08:00'], timeZone: 'Europe/Paris' },
      }),
    );
    unwrap(
      await api.heartbeats.pause({
        scope: 'site',
        siteId: site.id,
        endsAt: new Date(clock.now() + 86_400_000).toISOString(),
        reason: 'Fibre works',
      }),
    );
    unwrap(
      await api.heartbeats.setAlertSettings({
        notify: false,
        email: {
          enabled: false,
          connectorId: null,
          recipients: [],
          states: ['down', 'unknown'],
          recoveries: false,
        },
      }),
    );
    const saved = core.inventory.heartbeats;
    const backup = unwrap(await api.backup.export({ passphrase: 'a long backup passphrase' }));
    const other = await startTestCore({ clock });
    try {
      unwrap(
        await other.api.backup.import({ content: backup.content, passphrase: 'a long backup passphrase' }),
      );
      await new Promise((r) => setImmediate(r));
      expect(other.core.inventory.heartbeats).toEqual(saved);
      expect(unwrap(await other.api.heartbeats.camera({ cameraId: cameras[1]!.id })).row.state).toBe(
        'paused',
      );
    } finally {
      await other.close();
    }
  });
});

describe('heartbeat data follows the inventory', () => {
  it('forgets a deleted camera (rules, expectation, heartbeats) and a deleted site’s rules; moved cameras keep theirs', async () => {
    const { api, core, site, cameras, beat, clock } = await setup(['Gate', 'Dock']);
    const [gate, dock] = cameras as [(typeof cameras)[0], (typeof cameras)[0]];
    beat('Gate');
    unwrap(
      await api.heartbeats.createRule({
        scope: 'camera',
        siteId: site.id,
        cameraId: gate.id,
        from: 'gate@cams.example',
      }),
    );
    unwrap(await api.heartbeats.setExpectation({ cameraId: gate.id, periodMinutes: 30, graceMinutes: 10 }));
    unwrap(await api.cameras.remove({ id: gate.id }));
    await new Promise((r) => setImmediate(r));
    expect(core.inventory.heartbeats.rules.filter((r) => r.cameraId === gate.id)).toEqual([]);
    expect(core.inventory.heartbeats.cameras[gate.id]).toBeUndefined();
    expect(core.heartbeats.store.timeline(gate.id, 10)).toEqual([]);
    expect(unwrap(await api.heartbeats.overview()).cameras.map((c) => c.cameraName)).toEqual(['Dock']);

    const other = unwrap(await api.sites.create({ name: 'North Yard' }));
    unwrap(
      await api.heartbeats.createRule({
        scope: 'camera',
        siteId: site.id,
        cameraId: dock.id,
        from: 'dock@cams.example',
      }),
    );
    core.inbound.publish([heartbeatMail(clock.now(), { from: 'dock@cams.example', subject: 'anything' })]);
    unwrap(await api.sites.remove({ id: site.id, connectors: 'move', moveToSiteId: other.id }));
    await new Promise((r) => setImmediate(r));
    expect(core.inventory.heartbeats.rules.map((r) => r.scope)).toEqual(['camera']);
    const row = unwrap(await api.heartbeats.camera({ cameraId: dock.id })).row;
    // The mailbox keeps covering a moved camera (by its id): its heartbeats and state stay.
    expect(row).toMatchObject({ siteName: 'North Yard', state: 'up' });
    expect(row.mailboxes.map((m) => m.id)).toEqual(['mbx-1']);
    expect(row.lastBeatAt).not.toBeNull();
  });
});

describe('five thousand cameras', () => {
  it('evaluates every camera of 50 sites from 10,000 heartbeats, counted right per site', async () => {
    const clock = manualClock();
    t = await startTestCore({ clock, notifier: recordingNotifier() });
    const { core, api } = t;
    const sites = [];
    for (let s = 0; s < 50; s++)
      sites.push(
        core.sites.create({
          name: `Site ${s}`,
          customer: '',
          address: '',
          contact: '',
          notes: '',
          handover: 'commissioning',
        }),
      );
    const bySite = sites.map((site, s) =>
      seedCameras(
        core,
        site.id,
        Array.from({ length: 100 }, (_, i) => `Cam ${s}-${i}`),
      ),
    );
    addMailbox(core, { id: 'mbx-1', siteIds: sites.map((s) => s.id) });
    core.inbound.reportHealth('mbx-1', 'connected', true);
    core.inventory.commit({
      heartbeats: {
        ...core.inventory.heartbeats,
        rules: sites.map((site) => ({
          id: `r-${site.id}`,
          scope: 'site' as const,
          siteId: site.id,
          cameraId: null,
          from: '',
          subject: '%Camera_Name% heartbeat *',
          headerName: '',
          headerValue: '',
          origin: 'manual' as const,
          createdAt: new Date().toISOString(),
          updatedAt: new Date().toISOString(),
        })),
      },
    });
    // Two heartbeats each, the second 90 minutes ago for every other camera (late or down by now).
    const now = clock.now();
    const messages = bySite.flat().flatMap((camera, i) =>
      [150, i % 2 ? 90 : 10].map((ago) =>
        heartbeatMail(now, {
          subject: `${camera.name} heartbeat ${ago}`,
          receivedAt: new Date(now - ago * MIN),
        }),
      ),
    );
    for (let i = 0; i < messages.length; i += 500) core.inbound.publish(messages.slice(i, i + 500));
    core.heartbeats.monitor.evaluate('all', 'test');
    const overview = unwrap(await api.heartbeats.overview());
    expect(overview.cameras).toHaveLength(5000);
    const counts = overview.sites.map((s) => s.counts);
    expect(counts.every((c) => c.up === 50 && c.down === 50 && c.new === 0)).toBe(true);
    expect(
      overview.sites.every(
        (s) => s.worst === 'down' && s.lastOkAt === new Date(now - 10 * MIN).toISOString(),
      ),
    ).toBe(true);
  });
});
