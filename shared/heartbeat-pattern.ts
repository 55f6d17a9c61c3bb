import { SUBJECT_VARIABLES, type SubjectVariable, type SubjectValues } from './subject.ts';

/**
 * Heartbeat patterns: what the integrator types to recognise a camera's mail — a subject template
 * read backwards (`%Site_Name% – %Camera_Name% – %Event_Type%`), `*` for any text, compared without
 * regard to case or runs of spaces. No regular expressions: a pattern is literal text with holes,
 * matched anchored at both ends by one left-to-right scan (each hole ends at the next occurrence of
 * the text after it), so no pattern can backtrack and matching stays linear in the subject length.
 * Used by the core (matching) and the renderer (the field error while typing).
 */

export type PatternPart =
  { kind: 'text'; text: string } | { kind: 'var'; name: SubjectVariable } | { kind: 'any' };

export interface Pattern {
  source: string;
  parts: PatternPart[];
}

export type PatternResult = { ok: true; pattern: Pattern } | { ok: false; message: string };

/** Variables that name one camera within its site: a site rule needs one of them to assign mail. */
export const CAMERA_KEY_VARIABLES = [
  'Camera_Name',
  'Serial',
  'Camera_IP',
] as const satisfies readonly SubjectVariable[];
export type CameraKeyVariable = (typeof CAMERA_KEY_VARIABLES)[number];

export const PATTERN_MAX_LENGTH = 500;

/** Lower case, runs of white space as one space, trimmed: how subjects and literal text compare. */
export function normalizeText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}

const VARIABLE_LIST = SUBJECT_VARIABLES.map((v) => `%${v}%`).join(', ');

/** Parses a pattern; a mistake comes back as one sentence that says where and what to write instead. */
export function parsePattern(source: string): PatternResult {
  if (source.length > PATTERN_MAX_LENGTH)
    return { ok: false, message: `The pattern is longer than ${PATTERN_MAX_LENGTH} characters.` };
  if (/[\r\n]/.test(source)) return { ok: false, message: 'The pattern must be on one line.' };
  const parts: PatternPart[] = [];
  let text = '';
  const pushHole = (hole: PatternPart, at: number, shown: string): string | null => {
    const previous = parts.at(-1);
    if (text === '' && previous && previous.kind !== 'text') {
      if (hole.kind === 'any' && previous.kind === 'any') return null; // ** is one *
      const before = previous.kind === 'var' ? `%${previous.name}%` : '*';
      return `Put some text between ${before} and ${shown} (character ${at + 1}): AlertDesk could not tell where one ends and the other begins.`;
    }
    if (text !== '') parts.push({ kind: 'text', text });
    text = '';
    parts.push(hole);
    return null;
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\' && (source[i + 1] === '*' || source[i + 1] === '%' || source[i + 1] === '\\')) {
      text += source[++i];
    } else if (c === '*') {
      const problem = pushHole({ kind: 'any' }, i, '*');
      if (problem) return { ok: false, message: problem };
    } else if (c === '%') {
      const close = source.indexOf('%', i + 1);
      const name = close < 0 ? '' : source.slice(i + 1, close);
      if (close < 0 || !/^[A-Za-z_]+$/.test(name))
        return {
          ok: false,
          message: `The % at character ${i + 1} does not start a variable: write variables as %Camera_Name%, and \\% for a percent sign.`,
        };
      const known = SUBJECT_VARIABLES.find((v) => v.toLowerCase() === name.toLowerCase());
      if (!known)
        return {
          ok: false,
          message: `%${name}% (character ${i + 1}) is not a variable AlertDesk knows; use one of ${VARIABLE_LIST}.`,
        };
      const problem = pushHole({ kind: 'var', name: known }, i, `%${known}%`);
      if (problem) return { ok: false, message: problem };
      i = close;
    } else {
      text += c;
    }
  }
  if (text !== '') parts.push({ kind: 'text', text });
  return { ok: true, pattern: { source, parts: tidy(parts) } };
}

/** Literal parts normalized and merged; the pattern's own ends trimmed like the subjects it meets. */
function tidy(parts: PatternPart[]): PatternPart[] {
  const out: PatternPart[] = [];
  for (const part of parts) {
    const previous = out.at(-1);
    if (part.kind === 'text' && previous?.kind === 'text') previous.text += part.text;
    else out.push(part.kind === 'text' ? { ...part } : part);
  }
  for (const part of out) if (part.kind === 'text') part.text = part.text.replace(/\s+/g, ' ').toLowerCase();
  const first = out[0];
  if (first?.kind === 'text') first.text = first.text.trimStart();
  const last = out.at(-1);
  if (last?.kind === 'text') last.text = last.text.trimEnd();
  return out.filter((p) => p.kind !== 'text' || p.text !== '');
}

/** The variables a pattern uses. */
export function variablesOf(pattern: Pattern): SubjectVariable[] {
  return pattern.parts.flatMap((p) => (p.kind === 'var' ? [p.name] : []));
}

/**
 * The pattern with the variables whose value is known (the camera's own name, the site's name…)
 * written in as literal text; the others stay holes.
 */
export function bindPattern(pattern: Pattern, values: SubjectValues): Pattern {
  const parts = pattern.parts.map((p): PatternPart =>
    p.kind === 'var' && values[p.name] !== undefined ? { kind: 'text', text: values[p.name]! } : p,
  );
  return { source: pattern.source, parts: tidy(parts) };
}

/**
 * Matches a normalized subject (see normalizeText) against the pattern, anchored at both ends.
 * Returns the text each variable covered (normalized), or null. One scan: each hole ends where the
 * next literal text first occurs, so the cost is linear in the subject, whatever the pattern.
 */
export function matchPattern(pattern: Pattern, subject: string): Map<SubjectVariable, string> | null {
  const parts = pattern.parts;
  const captures = new Map<SubjectVariable, string>();
  if (parts.length === 0) return subject === '' ? captures : null;
  let start = 0;
  let end = subject.length;
  let first = 0;
  let last = parts.length;
  const head = parts[0]!;
  if (head.kind === 'text') {
    if (parts.length === 1) return subject === head.text ? captures : null;
    if (!subject.startsWith(head.text)) return null;
    start = head.text.length;
    first = 1;
  }
  const tail = parts[last - 1]!;
  if (tail.kind === 'text') {
    if (!subject.endsWith(tail.text) || subject.length - tail.text.length < start) return null;
    end = subject.length - tail.text.length;
    last -= 1;
  }
  // What remains alternates hole, text, hole … hole (two holes are never adjacent).
  for (let i = first; i < last; i += 2) {
    const hole = parts[i]!;
    const next = i + 1 < last ? parts[i + 1]! : null;
    let stop = end;
    if (next?.kind === 'text') {
      const at = subject.indexOf(next.text, start);
      if (at < 0 || at + next.text.length > end) return null;
      stop = at;
    }
    if (hole.kind === 'var') {
      const value = subject.slice(start, stop).trim();
      const earlier = captures.get(hole.name);
      if (earlier !== undefined && earlier !== value) return null;
      captures.set(hole.name, value);
    }
    start = next ? stop + (next.kind === 'text' ? next.text.length : 0) : stop;
  }
  return captures;
}

/** A sender condition: one address, or a glob such as `*@site.example` (no variables). */
export function parseSenderPattern(source: string): PatternResult {
  const value = source.trim();
  if (value === '') return { ok: true, pattern: { source: '', parts: [] } };
  if (value.includes('%'))
    return { ok: false, message: 'A sender is an address (or *@domain); variables are not allowed here.' };
  if (!value.includes('@') && value !== '*')
    return {
      ok: false,
      message: `"${value}" is not an address: write the sender as name@domain, or *@domain for a whole domain.`,
    };
  if (/\s/.test(value)) return { ok: false, message: 'A sender address has no spaces.' };
  return parsePattern(value);
}

/** A header name as RFC 5322 allows it: printable ASCII without the colon. */
export function headerNameProblem(name: string): string | null {
  if (name === '') return null;
  if (!/^[!-9;-~]+$/.test(name))
    return `"${name}" is not a header name: letters, digits and dashes, without the colon (e.g. X-Camera-Serial).`;
  return null;
}
