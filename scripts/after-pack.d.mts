import type { FuseV1Config } from '@electron/fuses';

export declare const FUSES: FuseV1Config<boolean>;
export default function afterPack(context: {
  packager: { addElectronFuses(context: unknown, fuses: FuseV1Config<boolean>): Promise<unknown> };
}): Promise<void>;
