import { createHash } from 'node:crypto';
import type { AlertDeskApi } from '../../shared/contract.ts';
import type { TestCertificate } from '../helpers/certs.ts';
import { unwrap } from '../helpers/core.ts';

/**
 * A realistic inventory for the screens: 30 customer sites with 11 cameras each (330), one
 * connector per site on the test server, three sites whose cameras use their own recorded app
 * passwords, one camera whose own app password nobody recorded, and two sites that fail: one
 * connector pointed at a closed port, one left STOPPED.
 */
export const SITE_NAMES = [
  'Harbour Terminal',
  'Quarry North',
  'Marina East',
  'Airport Cargo 2',
  'Bayside Mall',
  'Cedar Logistics Park',
  'City Library',
  'Depot West',
  'Eastgate Retail',
  'Fairview Clinic',
  'Granary Lofts',
  'Hillcrest School',
  'Ironworks Yard',
  'Juniper Offices',
  'Kingsway Garage',
  'Lakeside Warehouse 12',
  'Millbrook Substation',
  'Northfield Farm Co-op',
  'Oakridge Data Centre',
  'Pier 9 Ferry',
  'Queensbridge Hotel',
  'Riverside Depot',
  'Southport Marina',
  'Tannery Workshops',
  'Union Square Bank',
  'Valley Water Works',
  'Westbrook Stadium',
  'Yardley Rail Sidings',
  'Zenith Tower',
  'Old Town Museum',
];
export const FAILING = { closedPort: 'Quarry North', stopped: 'Marina East' } as const;
/** The camera at Harbour Terminal that logs in with its own account, never recorded in the vault. */
export const UNRECORDED = {
  site: 'Harbour Terminal',
  camera: 'Crane 2 PTZ',
  login: 'crane2@harbour-terminal.example',
};
const OWN_RECORDS = new Set(['Harbour Terminal', 'Bayside Mall', 'Oakridge Data Centre']);
const CAMERAS = [
  'Main gate',
  'Gatehouse dome',
  'Loading bay 1',
  'Loading bay 2',
  'Perimeter north',
  'Perimeter south',
  'Car park PTZ',
  'Reception',
  'Server room',
  'Roof east',
  'Crane 2 PTZ',
];
export const CONTROL_ROOM = 'control-room.operations@portside-logistics.example';

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** Site logins and the cameras' own app passwords the server accepts (16 letters each). */
export function fleetUsers(): Record<string, string> {
  const users: Record<string, string> = {};
  for (const [n, name] of SITE_NAMES.entries()) {
    users[`alerts@${slug(name)}.example`] = secretFor(n, 0);
    if (OWN_RECORDS.has(name))
      for (const [c, camera] of CAMERAS.entries())
        if (!(name === UNRECORDED.site && camera === UNRECORDED.camera))
          users[`${slug(camera)}@${slug(name)}.example`] = secretFor(n, c + 1);
  }
  users[UNRECORDED.login] = 'cranecranecranec';
  return users;
}

/** A distinct 16-letter app password per login, as Google hands them out. */
function secretFor(site: number, camera: number): string {
  const digest = createHash('sha256').update(`${site}/${camera}`).digest();
  return [...digest.subarray(0, 16)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
}

export interface Fleet {
  siteIds: Map<string, string>;
  cameraIds: Map<string, string>;
  cameras: number;
}

export async function createFleet(
  api: AlertDeskApi,
  server: { port: number; closedPort: number; cert: TestCertificate },
): Promise<Fleet> {
  const users = fleetUsers();
  const siteIds = new Map<string, string>();
  const cameraIds = new Map<string, string>();
  for (const [n, name] of SITE_NAMES.entries()) {
    const site = unwrap(
      await api.sites.create({
        name,
        customer: `${name.split(' ')[0]} Holdings`,
        address: `${n + 1} Commerce Road`,
        contact: `Site manager, +1 555 01${String(n).padStart(2, '0')}`,
        handover: n % 3 === 0 ? 'handed-over' : 'commissioning',
      }),
    );
    siteIds.set(name, site.id);
    const login = `alerts@${slug(name)}.example`;
    const connector = unwrap(
      await api.connectors.create({
        siteId: site.id,
        title: `${name} relay`,
        host: '127.0.0.1',
        port: name === FAILING.closedPort ? server.closedPort : server.port,
        portIsManual: true,
        security: 'starttls',
        auth: 'login',
        username: login,
        password: users[login],
        sender: login,
        trustedCertificatePem: server.cert.cert,
        connectionTimeoutSec: 10,
        retryDelaysSec: [],
        maxSessions: 3,
      }),
    );
    if (name !== FAILING.stopped) unwrap(await api.connectors.setState({ id: connector.id, state: 'RUN' }));
    for (const [c, camera] of CAMERAS.entries()) {
      const own = OWN_RECORDS.has(name);
      const unrecorded = name === UNRECORDED.site && camera === UNRECORDED.camera;
      const account = unrecorded ? UNRECORDED.login : own ? `${slug(camera)}@${slug(name)}.example` : login;
      const record =
        own && !unrecorded
          ? unwrap(
              await api.vault.create({
                account,
                provider: 'gmail',
                label: `${name} · ${camera}`,
                secret: users[account]!,
              }),
            ).id
          : null;
      const created = unwrap(
        await api.cameras.create({
          siteId: site.id,
          name: camera,
          vendor: c % 2 ? 'Hikvision' : 'Axis',
          model: c % 2 ? 'DS-2DE4425IW-DE' : 'P3245-LVE',
          host: `10.${n}.${c}.20`,
          serial: `SN-${n}-${c}-${slug(name).slice(0, 6)}`,
          location: `${camera}, ${name}`,
          connectorId: connector.id,
          smtpLogin: account,
          appPasswordId: record,
          recipients: [CONTROL_ROOM, `night-shift@${slug(name)}.example`],
          subjectTemplate: '%Site_Name% – %Camera_Name% – %Event_Type%',
          heartbeatMinutes: 60,
        }),
      );
      cameraIds.set(`${name}/${camera}`, created.id);
    }
  }
  return { siteIds, cameraIds, cameras: cameraIds.size };
}
