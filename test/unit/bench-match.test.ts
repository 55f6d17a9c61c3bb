import { describe, expect, it } from 'vitest';
import { imageKindOf } from '../../electron/core/bench/bench-parse.ts';
import { camerasForLogin, matchCamera, passwordCheck } from '../../electron/core/bench/bench-match.ts';
import type { StoredCamera, StoredConnector } from '../../electron/core/inventory/inventory.ts';

const camera = (id: string, fields: Partial<StoredCamera>): StoredCamera => ({
  id,
  siteId: 'site',
  name: id,
  vendor: '',
  model: '',
  host: '',
  serial: '',
  location: '',
  connectorId: null,
  smtpLogin: '',
  appPasswordId: null,
  recipients: [],
  subjectTemplate: '',
  heartbeatMinutes: null,
  notes: '',
  createdAt: '',
  updatedAt: '',
  ...fields,
});

const siteAccount = {
  id: 'conn',
  username: 'alerts@site.test',
  passwordSealed: 'sealed:site',
} as StoredConnector;
const cameras = [
  camera('gate', { host: '10.0.0.11', connectorId: 'conn' }),
  camera('pier', { host: '10.0.0.12', connectorId: 'conn' }),
  camera('dome', { host: '10.0.0.13', smtpLogin: 'dome@site.test', appPasswordId: 'rec-dome' }),
];
const inventory = {
  cameras,
  connector: (id: string) => (id === 'conn' ? siteAccount : undefined),
  appPassword: (id: string) =>
    id === 'rec-dome' ? ({ secretSealed: 'sealed:abcd efgh ijkl mnop' } as never) : undefined,
};
const secrets = { open: async (sealed: string) => sealed.replace(/^sealed:/, '') };

describe('which camera sent a bench message', () => {
  it('by its own login alone', () => {
    expect(matchCamera(inventory, 'DOME@site.test', '192.168.1.50', null)).toMatchObject({
      camera: { id: 'dome' },
      matchedBy: 'login',
      note: null,
    });
  });

  it('by login and address, when cameras share the site’s account', () => {
    expect(matchCamera(inventory, 'alerts@site.test', '::ffff:10.0.0.12', null)).toMatchObject({
      camera: { id: 'pier' },
      matchedBy: 'login+address',
    });
  });

  it('a shared login from an unknown address names the cameras and what to set', () => {
    const m = matchCamera(inventory, 'alerts@site.test', '10.0.0.99', null);
    expect(m.camera).toBeNull();
    expect(m.note).toBe(
      "The login alerts@site.test is used by 2 cameras (gate, pier): set each camera's address to tell them apart.",
    );
  });

  it('by address alone when the sender did not log in', () => {
    expect(matchCamera(inventory, null, '10.0.0.11', null)).toMatchObject({
      camera: { id: 'gate' },
      matchedBy: 'address',
    });
  });

  it('nobody: says which login and address were not found', () => {
    expect(matchCamera(inventory, 'who@else.test', '10.9.9.9', null).note).toBe(
      "No camera uses the login who@else.test or has the address 10.9.9.9: set the camera's SMTP login or address under Cameras.",
    );
  });
});

describe('bench logins checked against the recorded app passwords', () => {
  it('accepts the camera’s app password, with or without Google’s spaces, and refuses another', async () => {
    const ok = await camerasForLogin(inventory, secrets, 'dome@site.test', passwordCheck('abcdefghijklmnop'));
    expect(ok.map((c) => c.id)).toEqual(['dome']);
    const spaced = await camerasForLogin(
      inventory,
      secrets,
      'dome@site.test',
      passwordCheck('abcd efgh ijkl mnop'),
    );
    expect(spaced.map((c) => c.id)).toEqual(['dome']);
    expect(await camerasForLogin(inventory, secrets, 'dome@site.test', passwordCheck('wrong'))).toEqual([]);
  });

  it('a shared account’s password vouches for every camera that logs in with it', async () => {
    const ok = await camerasForLogin(inventory, secrets, 'alerts@site.test', passwordCheck('site'));
    expect(ok.map((c) => c.id).sort()).toEqual(['gate', 'pier']);
  });
});

describe('what a snapshot is, from its bytes', () => {
  it('knows JPEG, PNG, GIF, WebP and BMP by their signatures and nothing else', () => {
    const bytes = (...b: number[]) => new Uint8Array([...b, ...Array(30).fill(0)]);
    const ascii = (s: string) => new Uint8Array([...Buffer.from(s), ...Array(30).fill(0)]);
    expect(imageKindOf(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('jpeg');
    expect(imageKindOf(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBe('png');
    expect(imageKindOf(ascii('GIF89a'))).toBe('gif');
    expect(imageKindOf(ascii('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(imageKindOf(ascii('BM'))).toBe('bmp');
    expect(imageKindOf(ascii('%PDF-1.7'))).toBeNull();
    expect(imageKindOf(new Uint8Array([0xff, 0xd8]))).toBeNull();
    expect(imageKindOf(new Uint8Array())).toBeNull();
  });
});
