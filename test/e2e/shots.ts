import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';

export const SHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'screenshots');
mkdirSync(SHOTS, { recursive: true });

/** Saves a screenshot under test-results/screenshots/ for a person to look at. */
export async function shot(target: Page | Locator, name: string): Promise<void> {
  await target.screenshot({ path: join(SHOTS, `${name}.png`) });
}
