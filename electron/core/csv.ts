import Papa from 'papaparse';

/**
 * Cells a spreadsheet could read as a formula: starting with = + - @, tab or CR, whatever follows.
 * (papaparse's own `escapeFormulae: true` tests /^[=+\-@\t\r].*$/, which a line break later in
 * the value defeats: `=HYPERLINK(…)\n` went out unescaped.)
 */
export const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A CSV file for spreadsheets: CRLF line ends, a UTF-8 byte-order mark so Excel reads accents
 * right, and formula escaping — a camera named "=HYPERLINK(…)" must not run when the file is opened.
 */
export function spreadsheetCsv<T>(input: T[] | Papa.UnparseObject<T>): string {
  return '\uFEFF' + Papa.unparse(input, { newline: '\r\n', escapeFormulae: FORMULA_START });
}

/** `2026-11-21-13-05`: the minute a file was exported, for its name. */
export function fileStamp(at: number | string): string {
  return new Date(at).toISOString().slice(0, 16).replace(/[:T]/g, '-');
}
