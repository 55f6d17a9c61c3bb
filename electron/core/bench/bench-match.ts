import { timingSafeEqual } from 'node:crypto';
import type { BenchMatch } from '../../../shared/bench.ts';
import { secretPlace } from '../secrets/keyring.ts';
import type { Inventory, StoredCamera } from '../inventory/inventory.ts';

/** The SMTP login a camera uses: its own, or its connector's when it has none of its own. */
export function cameraLogin(inventory: Pick<Inventory, 'connector'>, camera: StoredCamera): string {
  if (camera.smtpLogin) return camera.smtpLogin;
  return camera.connectorId ? (inventory.connector(camera.connectorId)?.username ?? '') : '';
}

/** `::ffff:10.0.0.5` (an IPv4 client on a dual-stack socket) is `10.0.0.5`. */
export const plainAddress = (address: string) => address.replace(/^::ffff:/i, '').toLowerCase();

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Checks a login against the cameras that use it: the password must be the app password recorded
 * for one of them (or their connector's password when they log in as the connector). Google shows
 * app passwords in groups of four; a camera given them with the spaces still logs in.
 * Returns the cameras the login belongs to (empty: refused).
 */
export async function camerasForLogin(
  inventory: Pick<Inventory, 'cameras' | 'connector' | 'appPassword'>,
  /** Opens a sealed secret only where it was sealed for (the keyring's bound secrets). */
  secrets: { open(sealed: string, place?: string): Promise<string> },
  username: string,
  check: (secret: string) => boolean,
): Promise<StoredCamera[]> {
  const wanted = username.trim().toLowerCase();
  if (!wanted) return [];
  const cameras = inventory.cameras.filter((c) => cameraLogin(inventory, c).toLowerCase() === wanted);
  const bySealed = new Map<string, { place: string; owners: StoredCamera[] }>();
  for (const camera of cameras) {
    let sealed: string | null = null;
    let place = '';
    if (camera.appPasswordId) {
      sealed = inventory.appPassword(camera.appPasswordId)?.secretSealed ?? null;
      place = secretPlace.appPassword(camera.appPasswordId);
    } else if (camera.connectorId) {
      const connector = inventory.connector(camera.connectorId);
      if (connector && connector.username.toLowerCase() === wanted) {
        sealed = connector.passwordSealed;
        place = secretPlace.connectorPassword(connector.id);
      }
    }
    if (sealed) {
      const entry = bySealed.get(sealed) ?? { place, owners: [] };
      entry.owners.push(camera);
      bySealed.set(sealed, entry);
    }
  }
  const matched: StoredCamera[] = [];
  for (const [sealed, { place, owners }] of bySealed) {
    let secret: string;
    try {
      secret = await secrets.open(sealed, place);
    } catch {
      continue; // unreadable here: that secret cannot vouch for anyone
    }
    if (check(secret) || check(secret.replace(/\s+/g, ''))) matched.push(...owners);
  }
  return matched;
}

/** PLAIN and LOGIN carry the password itself: compared in constant time, with or without spaces. */
export function passwordCheck(given: string): (secret: string) => boolean {
  const bare = given.replace(/\s+/g, '');
  return (secret) => sameSecret(given, secret) || sameSecret(bare, secret);
}

export interface CameraMatch {
  camera: StoredCamera | null;
  matchedBy: BenchMatch | null;
  note: string | null;
}

/**
 * Which camera sent a bench message: by its login and by its address (the camera's `host`). The
 * login alone is ambiguous when cameras share an account (common: every camera of a site logs in
 * as the site's alert account); the address tells them apart.
 */
export function matchCamera(
  inventory: Pick<Inventory, 'cameras' | 'connector'>,
  login: string | null,
  remoteAddress: string,
  loginCameras: StoredCamera[] | null,
): CameraMatch {
  const address = plainAddress(remoteAddress);
  const byAddress = inventory.cameras.filter((c) => c.host && plainAddress(c.host.trim()) === address);
  const byLogin =
    loginCameras ??
    (login
      ? inventory.cameras.filter(
          (c) => cameraLogin(inventory, c).toLowerCase() === login.trim().toLowerCase(),
        )
      : []);
  const both = byLogin.filter((c) => byAddress.includes(c));
  if (both.length === 1) return { camera: both[0]!, matchedBy: 'login+address', note: null };
  if (byLogin.length === 1) return { camera: byLogin[0]!, matchedBy: 'login', note: null };
  if (byAddress.length === 1 && (byLogin.length === 0 || both.length === 0)) {
    return {
      camera: byAddress[0]!,
      matchedBy: 'address',
      note:
        byLogin.length > 1
          ? `The login ${login} is shared by ${byLogin.length} cameras; matched by the address ${address}.`
          : null,
    };
  }
  if (byLogin.length > 1)
    return {
      camera: null,
      matchedBy: null,
      note: `The login ${login} is used by ${byLogin.length} cameras (${byLogin
        .slice(0, 4)
        .map((c) => c.name)
        .join(', ')}${byLogin.length > 4 ? '…' : ''}): set each camera's address to tell them apart.`,
    };
  if (byAddress.length > 1)
    return {
      camera: null,
      matchedBy: null,
      note: `${byAddress.length} cameras have the address ${address}: give each camera its own address.`,
    };
  return {
    camera: null,
    matchedBy: null,
    note: login
      ? `No camera uses the login ${login} or has the address ${address}: set the camera's SMTP login or address under Cameras.`
      : `No camera has the address ${address}, and the sender did not log in: set the camera's address under Cameras.`,
  };
}
