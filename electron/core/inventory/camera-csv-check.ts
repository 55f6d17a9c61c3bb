import Papa from 'papaparse';
import type { z } from 'zod';
import type { CsvImportProgress } from '../../../shared/csv-import.ts';
import {
  CAMERA_CSV_FIELDS,
  CameraFields,
  type CameraCsvField,
  type CameraCsvImport,
  type CameraInput,
  type CameraParsed,
} from '../../../shared/schemas.ts';
import { clip, quoted } from '../../../shared/validation.ts';
import type { CsvImportPreview, CsvImportRowError } from '../../../shared/vault.ts';

/**
 * Reading and checking a camera CSV file, without touching the store: the same code runs in the
 * CSV thread (camera-csv-worker.ts) and, where there is none, in the caller's thread.
 */

export type CameraCsvInput = z.output<typeof CameraCsvImport>;

/** What the check needs of the inventory (no secrets: it may travel to the CSV thread). */
export interface CsvInventory {
  sites: Array<{ id: string; name: string }>;
  connectors: Array<{ id: string; siteId: string; title: string }>;
  cameras: Array<{ id: string; siteId: string; name: string; serial: string }>;
  appPasswords: Array<{ id: string; account: string; status: string }>;
}

const SAMPLE_ROWS = 20;
/** Progress is told every this many rows. */
const PROGRESS_ROWS = 2000;
const HEADER_LINE = 1;

/** The fields' names in messages (and, but for the host, the headers export writes). */
export const CSV_FIELD_LABELS: Record<CameraCsvField, string> = {
  site: 'Site',
  name: 'Camera name',
  vendor: 'Vendor',
  model: 'Model',
  host: 'IP address / host',
  serial: 'Serial/MAC',
  location: 'Location',
  connector: 'Connector',
  smtpLogin: 'SMTP login',
  appPasswordAccount: 'App password account',
  recipients: 'Recipients',
  subjectTemplate: 'Subject template',
  heartbeatMinutes: 'Heartbeat minutes',
  notes: 'Notes',
};

/** Header spellings seen in NVR/VMS exports and hand-made sheets, after `normalizeHeader`. */
const SYNONYMS: Record<CameraCsvField, string[]> = {
  site: ['site', 'site name'],
  name: ['camera', 'camera name', 'name', 'device', 'device name'],
  vendor: ['vendor', 'make', 'manufacturer', 'brand'],
  model: ['model'],
  host: ['ip', 'ip address', 'host', 'hostname', 'host name'],
  serial: ['mac', 'serial', 'serial mac', 'mac serial', 'serial number', 'mac address'],
  location: ['location'],
  connector: ['connector', 'connector title', 'smtp connector'],
  smtpLogin: ['login', 'smtp login', 'user', 'username', 'user name', 'smtp user'],
  appPasswordAccount: ['app password account', 'account'],
  recipients: ['recipients', 'recipient', 'email', 'e mail', 'emails', 'to'],
  subjectTemplate: ['subject', 'subject template'],
  heartbeatMinutes: ['heartbeat', 'heartbeat minutes', 'heartbeat interval'],
  notes: ['notes', 'note', 'comment', 'comments'],
};

const GUESS = new Map<string, CameraCsvField>();
for (const field of CAMERA_CSV_FIELDS) {
  for (const spelling of [...SYNONYMS[field], normalizeHeader(field)]) GUESS.set(spelling, field);
}

/** Words that mark a column as holding passwords, including common non-English ones. */
const SECRET_WORDS =
  /\b(pass|password|passwd|passwort|passcode|passphrase|pwd|pw|secret|kennwort|wachtwoord|contrasena|contraseña|mot de passe|token|api key)\b/;

/** "Serial/MAC", "heartbeat_minutes" and "smtpLogin" all become plain lower-case words. */
function normalizeHeader(header: string): string {
  return header
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function looksSecret(header: string): boolean {
  const n = normalizeHeader(header);
  return !GUESS.has(n) && SECRET_WORDS.test(n);
}

/**
 * Undoes papaparse's `escapeFormulae` (a leading apostrophe before = + - @ tab CR), so a file
 * AlertDesk exported comes back as it was.
 */
function unescapeFormula(value: string): string {
  return /^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
}

interface CsvRecord {
  /** 1-based line of the file where the record starts (a quoted line break spans lines). */
  line: number;
  values: string[];
  problem: string | null;
}

interface ParsedCsv {
  delimiter: string;
  headers: string[];
  records: CsvRecord[];
}

function parseCsv(csv: string, progress: (p: Omit<CsvImportProgress, 'id'>) => void): ParsedCsv {
  const text = csv.charCodeAt(0) === 0xfeff ? csv.slice(1) : csv;
  const rows: CsvRecord[] = [];
  let delimiter = ',';
  let start = 0;
  let line = 1;
  Papa.parse<string[]>(text, {
    delimitersToGuess: [',', ';', '\t'],
    step: (result) => {
      delimiter = result.meta.delimiter;
      const breakChar = result.meta.linebreak === '\r' ? '\r' : '\n';
      const problem = result.errors.find((e) => e.type === 'Quotes');
      rows.push({
        line,
        values: result.data,
        problem: problem
          ? problem.code === 'MissingQuotes'
            ? 'A quoted value is never closed (a " is missing), so everything after it was read as one value. Check the quotes on this line.'
            : 'A quote inside a quoted value is not doubled; write "" for a quote inside quotes.'
          : null,
      });
      const end = Math.min(result.meta.cursor, text.length);
      for (let i = text.indexOf(breakChar, start); i !== -1 && i < end; i = text.indexOf(breakChar, i + 1))
        line++;
      start = end;
      if (rows.length % PROGRESS_ROWS === 0)
        progress({ phase: 'reading', rows: rows.length, bytes: end, totalBytes: text.length });
    },
  });
  const [header, ...records] = rows;
  return {
    delimiter,
    headers: header ? header.values.map((h) => h.trim()) : [],
    records: records.filter((r) => r.problem !== null || r.values.some((v) => v.trim() !== '')),
  };
}

interface ColumnPlan {
  /** Header → field, as shown to the user. */
  mapping: Record<string, CameraCsvField | null>;
  /** Field read from each column index. */
  columns: Array<CameraCsvField | null>;
  errors: CsvImportRowError[];
}

function planColumns(headers: string[], wanted: CameraCsvInput['mapping']): ColumnPlan {
  const mapping: Record<string, CameraCsvField | null> = {};
  const columns: Array<CameraCsvField | null> = [];
  const errors: CsvImportRowError[] = [];
  const taken = new Map<CameraCsvField, string>();
  let secretRefused = false;
  for (const header of headers) {
    let field: CameraCsvField | null;
    if (header === '') field = null;
    else if (looksSecret(header)) {
      // Refused even when the user maps it: a CSV file lying around must never be how a secret travels.
      field = null;
      if (!secretRefused) {
        const names = headers.filter(looksSecret).map((h) => quoted(h));
        errors.push({
          line: HEADER_LINE,
          field: null,
          message: `${
            names.length > 1
              ? `The columns ${names.join(', ')} look like passwords and are ignored`
              : `The column ${names.join('')} looks like a password and is ignored`
          }: secrets are never imported from CSV. Enter them in the vault (App passwords) instead.`,
        });
        secretRefused = true;
      }
    } else if (wanted && Object.hasOwn(wanted, header)) field = wanted[header] ?? null;
    else field = GUESS.get(normalizeHeader(header)) ?? null;

    const first = field ? taken.get(field) : undefined;
    if (field && first !== undefined) {
      errors.push({
        line: HEADER_LINE,
        field,
        message: `The columns ${quoted(first)} and ${quoted(header)} both hold ${CSV_FIELD_LABELS[field]}; only ${quoted(first)} is used.`,
      });
      field = null;
    }
    if (field) taken.set(field, header);
    columns.push(field);
    // A repeated header text keeps the mapping of its first column.
    if (!Object.hasOwn(mapping, header)) mapping[header] = field;
  }
  return { mapping, columns, errors };
}

export interface RowPlan {
  line: number;
  camera: CameraParsed | null;
  values: Partial<Record<CameraCsvField, string>>;
}

export interface Validation {
  delimiter: string;
  headers: string[];
  mapping: Record<string, CameraCsvField | null>;
  rows: RowPlan[];
  errors: CsvImportRowError[];
}

const SCHEMA_TO_CSV: Partial<Record<keyof CameraInput, CameraCsvField>> = {
  siteId: 'site',
  connectorId: 'connector',
  appPasswordId: 'appPasswordAccount',
};

const lower = (v: string) => v.trim().toLowerCase();

/**
 * Checks every row the way a camera create would, plus duplicates among the rows of the file.
 * `progress` hears how far it got every PROGRESS_ROWS rows.
 */
export function checkCameraCsv(
  inventory: CsvInventory,
  input: CameraCsvInput,
  progress: (p: Omit<CsvImportProgress, 'id'>) => void = () => undefined,
): Validation {
  const parsed = parseCsv(input.csv, progress);
  const plan = planColumns(parsed.headers, input.mapping);
  const errors: CsvImportRowError[] = [...plan.errors];
  const base = { delimiter: parsed.delimiter, headers: parsed.headers, mapping: plan.mapping };

  if (parsed.headers.length === 0) {
    errors.push({ line: HEADER_LINE, field: null, message: 'The file is empty: it has no header row.' });
    return { ...base, rows: [], errors };
  }

  if (parsed.records.length === 0) {
    errors.push({
      line: HEADER_LINE,
      field: null,
      message: 'The file has a header row but no cameras under it.',
    });
  }
  const hasColumn = (f: CameraCsvField) => plan.columns.includes(f);
  const siteById = new Map(inventory.sites.map((s) => [s.id, s]));
  const defaultSite = input.defaultSiteId ? siteById.get(input.defaultSiteId) : undefined;
  if (!hasColumn('name')) {
    errors.push({
      line: HEADER_LINE,
      field: 'name',
      message:
        'The file has no column for the camera name: add a "Name" column, or choose which column holds it.',
    });
  }
  if (input.defaultSiteId && !defaultSite) {
    errors.push({
      line: HEADER_LINE,
      field: 'site',
      message: 'The site chosen for the import no longer exists; choose another one.',
    });
  } else if (!hasColumn('site') && !defaultSite) {
    errors.push({
      line: HEADER_LINE,
      field: 'site',
      message: 'The file has no "Site" column: add one, or choose the site the cameras belong to.',
    });
  }
  const blocked = errors.some((e) => e.field === 'name' || e.field === 'site');

  const sitesByName = new Map(inventory.sites.map((s) => [lower(s.name), s]));
  const existingNames = new Map(inventory.cameras.map((c) => [`${c.siteId}\n${lower(c.name)}`, c]));
  const existingSerials = new Map(
    inventory.cameras.filter((c) => c.serial.trim() !== '').map((c) => [lower(c.serial), c]),
  );
  // Indexed once: a file of 100,000 rows against thousands of connectors must not scan them per row.
  const connectorsAt = new Map<string, CsvInventory['connectors']>();
  const connectorsTitled = new Map<string, CsvInventory['connectors'][number]>();
  for (const c of inventory.connectors) {
    const key = `${c.siteId}\n${lower(c.title)}`;
    connectorsAt.set(key, [...(connectorsAt.get(key) ?? []), c]);
    if (!connectorsTitled.has(lower(c.title))) connectorsTitled.set(lower(c.title), c);
  }
  const recordsOf = new Map<string, CsvInventory['appPasswords']>();
  for (const r of inventory.appPasswords)
    recordsOf.set(lower(r.account), [...(recordsOf.get(lower(r.account)) ?? []), r]);
  const fileNames = new Map<string, number>();
  const fileSerials = new Map<string, number>();
  const rows: RowPlan[] = [];

  parsed.records.forEach((record, index) => {
    if (index % PROGRESS_ROWS === 0 && index > 0)
      progress({ phase: 'checking', rows: index, totalRows: parsed.records.length });
    const values: Partial<Record<CameraCsvField, string>> = {};
    plan.columns.forEach((field, i) => {
      if (field) values[field] = unescapeFormula(record.values[i] ?? '').trim();
    });
    const row: RowPlan = { line: record.line, camera: null, values };
    rows.push(row);
    if (blocked) return;

    const rowErrors: CsvImportRowError[] = [];
    const fail = (field: CameraCsvField | null, message: string) =>
      rowErrors.push({ line: record.line, field, message });

    if (record.problem) {
      // Its values are cut in the wrong places; checking them would only add confusing errors.
      errors.push({ line: record.line, field: null, message: record.problem });
      return;
    }
    const extra = record.values.slice(parsed.headers.length).filter((v) => v.trim() !== '');
    if (extra.length > 0) {
      fail(
        null,
        `This line has ${record.values.length} values but the header has ${parsed.headers.length} columns; a value containing "${parsed.delimiter === '\t' ? 'tab' : parsed.delimiter}" must be put in double quotes.`,
      );
    }

    const siteName = values.site ?? '';
    const site = siteName ? sitesByName.get(lower(siteName)) : defaultSite;
    if (!site) {
      fail(
        'site',
        siteName
          ? `There is no site named ${quoted(siteName)}. Create the site first, or correct the name.`
          : 'The site is empty and no site was chosen for the import.',
      );
    }

    let connectorId: string | null = null;
    const connectorTitle = values.connector ?? '';
    if (connectorTitle && site) {
      const matches = connectorsAt.get(`${site.id}\n${lower(connectorTitle)}`) ?? [];
      if (matches.length === 1) connectorId = matches[0]!.id;
      else if (matches.length > 1) {
        fail(
          'connector',
          `"${site.name}" has ${matches.length} connectors titled ${quoted(connectorTitle)}; rename one so the camera can be linked.`,
        );
      } else {
        const elsewhere = connectorsTitled.get(lower(connectorTitle));
        const elsewhereSite = elsewhere ? siteById.get(elsewhere.siteId) : undefined;
        fail(
          'connector',
          `"${site.name}" has no connector titled ${quoted(connectorTitle)}${elsewhereSite ? ` (there is one at "${elsewhereSite.name}", but a camera can only use a connector of its own site)` : ''}.`,
        );
      }
    }

    let appPasswordId: string | null = null;
    const account = values.appPasswordAccount ?? '';
    if (account) {
      const records = recordsOf.get(lower(account)) ?? [];
      const live = records.filter((r) => r.status !== 'retired' && r.status !== 'revoked');
      if (live.length === 1) appPasswordId = live[0]!.id;
      else if (live.length > 1) {
        fail(
          'appPasswordAccount',
          `${account} has ${live.length} current app-password records; link the camera to the right one by hand.`,
        );
      } else {
        fail(
          'appPasswordAccount',
          records.length > 0
            ? `Every app-password record of ${account} is retired or revoked; add the current app password in the vault first.`
            : `There is no app-password record for ${clip(account)}; add it in the vault first (the secret is entered there, never in the CSV).`,
        );
      }
    }

    let heartbeatMinutes: number | null = null;
    const heartbeat = values.heartbeatMinutes ?? '';
    if (heartbeat) {
      if (/^-?\d+([.,]\d+)?$/.test(heartbeat)) heartbeatMinutes = Number(heartbeat.replace(',', '.'));
      else fail('heartbeatMinutes', `Heartbeat must be a number of minutes; ${quoted(heartbeat)} is not.`);
    }

    const candidate: CameraInput = {
      // A stand-in keeps the other fields checked when the site is unknown (already reported).
      siteId: site?.id ?? 'unknown-site',
      name: values.name ?? '',
      vendor: values.vendor ?? '',
      model: values.model ?? '',
      host: values.host ?? '',
      serial: values.serial ?? '',
      location: values.location ?? '',
      connectorId,
      smtpLogin: values.smtpLogin ?? '',
      appPasswordId,
      recipients: (values.recipients ?? '').split(/[;,\s]+/).filter((r) => r !== ''),
      heartbeatMinutes,
      notes: values.notes ?? '',
    };
    if (values.subjectTemplate) candidate.subjectTemplate = values.subjectTemplate;
    const checked = CameraFields.safeParse(candidate);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        const key = issue.path[0] as keyof CameraInput | undefined;
        const field = key ? (SCHEMA_TO_CSV[key] ?? (key as CameraCsvField)) : null;
        fail(field, issue.message);
      }
    }

    // Rows with other errors still count: the user sees every clash of the file in one pass.
    if (site) {
      const name = values.name ?? '';
      const nameKey = `${site.id}\n${lower(name)}`;
      const sameName = name ? existingNames.get(nameKey) : undefined;
      const earlierName = name ? fileNames.get(nameKey) : undefined;
      if (sameName) fail('name', `"${site.name}" already has a camera named "${sameName.name}".`);
      else if (earlierName !== undefined) {
        fail('name', `Camera ${quoted(name)} at "${site.name}" is a duplicate of line ${earlierName}.`);
      } else if (name) fileNames.set(nameKey, record.line);
    }
    const serial = values.serial ?? '';
    const sameSerial = serial ? existingSerials.get(lower(serial)) : undefined;
    const earlierSerial = serial ? fileSerials.get(lower(serial)) : undefined;
    if (sameSerial)
      fail('serial', `Serial/MAC ${clip(serial)} is already recorded for "${sameSerial.name}".`);
    else if (earlierSerial !== undefined)
      fail('serial', `Serial/MAC ${clip(serial)} is a duplicate of line ${earlierSerial}.`);
    else if (serial) fileSerials.set(lower(serial), record.line);
    if (site && checked.success && rowErrors.length === 0) row.camera = checked.data;
    errors.push(...rowErrors);
  });
  progress({ phase: 'checking', rows: parsed.records.length, totalRows: parsed.records.length });
  return { ...base, rows, errors };
}

/** What the preview shows: counts, every error, the first rows. */
export function previewOf(v: Validation): CsvImportPreview {
  return {
    delimiter: v.delimiter,
    headers: v.headers,
    mapping: v.mapping,
    rows: v.rows.length,
    good: v.rows.filter((r) => r.camera).length,
    errors: v.errors,
    sample: v.rows.slice(0, SAMPLE_ROWS).map((r) => ({ ...r.values })),
  };
}
