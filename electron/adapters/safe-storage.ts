import { safeStorage } from 'electron';
import type { SecretStorageStatus } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import type { SecretBox } from '../core/adapters.ts';

const PREFIX = 'ss1:';

/**
 * Secrets sealed by the OS (Keychain on macOS, DPAPI on Windows, libsecret/KWallet on Linux) through
 * Electron's asynchronous safeStorage API. On Linux without a keyring Electron falls back to a fixed
 * key ('basic_text'); that is no encryption at all, so it counts as unavailable and saving a secret
 * is refused.
 */
export class SafeStorageSecretBox implements SecretBox {
  async status(): Promise<SecretStorageStatus> {
    const available = await safeStorage.isAsyncEncryptionAvailable();
    const backend =
      process.platform === 'linux'
        ? safeStorage.getSelectedStorageBackend()
        : process.platform === 'darwin'
          ? 'keychain'
          : 'dpapi';
    if (!available) {
      return {
        available: false,
        backend,
        reason: 'The operating system offers no encrypted storage for passwords right now.',
      };
    }
    if (backend === 'basic_text' || backend === 'unknown') {
      return {
        available: false,
        backend,
        reason:
          'No keyring (GNOME Keyring or KWallet) is running, so the only protection on offer is a fixed key that protects nothing. Start or install a keyring and restart AlertDesk.',
      };
    }
    return { available: true, backend, reason: null };
  }

  async seal(plain: string): Promise<string> {
    const status = await this.status();
    if (!status.available)
      throw new AppError('secret-storage-unavailable', status.reason ?? 'No secure storage.');
    return PREFIX + (await safeStorage.encryptStringAsync(plain)).toString('base64');
  }

  async open(sealed: string): Promise<string> {
    if (!sealed.startsWith(PREFIX))
      throw new AppError('secret-unreadable', 'A stored secret was sealed by another secret box.');
    const { result } = await safeStorage.decryptStringAsync(
      Buffer.from(sealed.slice(PREFIX.length), 'base64'),
    );
    return result;
  }
}
