// electron-builder's afterPack hook (electron-builder.yml): flips the packaged Electron's fuses
// before it is signed. The packaged app cannot be turned into a plain Node (RunAsNode), takes no
// NODE_OPTIONS and no --inspect from whoever starts it, loads its code only from app.asar and
// checks that archive against the hash electron-builder embedded (asar integrity), and gives file://
// pages no extra privileges. Worker threads (the delivery and CSV threads) need none of the
// switched-off fuses. electron-builder computes the asar integrity data before this hook runs.
import { FuseV1Options, FuseVersion } from '@electron/fuses';

export const FUSES = {
  version: FuseVersion.V1,
  // Electron versions newer than this package may have more fuses: those keep their defaults.
  strictlyRequireAllFuses: false,
  // Unsigned arm64 macOS builds need their ad-hoc signature redone after the binary changes.
  resetAdHocDarwinSignature: true,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

/** @param {{ packager: { addElectronFuses(context: unknown, fuses: typeof FUSES): Promise<unknown> } }} context */
export default async function afterPack(context) {
  await context.packager.addElectronFuses(context, FUSES);
}
