import { z } from 'zod';
import { RunReportInput } from './schemas.ts';

/** The handover report is laid out to read well on both; the PDF is printed on the one asked for. */
export const PAPER_SIZES = ['a4', 'letter'] as const;
export type PaperSize = (typeof PAPER_SIZES)[number];

export const RunReportPdfInput = RunReportInput.extend({ paper: z.enum(PAPER_SIZES).default('a4') }).strict();

/** Countries that print on US Letter; everywhere else uses A4. */
const LETTER_REGIONS = new Set([
  'US',
  'CA',
  'MX',
  'PH',
  'CL',
  'CO',
  'VE',
  'GT',
  'PR',
  'CR',
  'PA',
  'SV',
  'DO',
]);

/** The paper of a locale's region ("en-US" → letter, "de-DE" → a4, no region → a4). */
export function paperFor(locale: string): PaperSize {
  try {
    const region = new Intl.Locale(locale).maximize().region;
    return region && LETTER_REGIONS.has(region) ? 'letter' : 'a4';
  } catch {
    return 'a4';
  }
}
