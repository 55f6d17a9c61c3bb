import type { z } from 'zod';
import { contract, contractChannels, type CallSpec, type Handlers } from '../../shared/contract.ts';
import { AppError, type ApiError, type Result } from '../../shared/result.ts';
import { quoted } from '../../shared/validation.ts';
import type { Logger } from '../core/adapters.ts';

export type Dispatch = (channel: string, payload: unknown) => Promise<Result<unknown>>;

/** Longest message and field path an error carries back: a refused value is never echoed whole. */
const MAX_MESSAGE = 400;
const MAX_SEGMENT = 60;

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Turns a schema failure into field errors keyed by dotted path (`port`, `to.1`, `attachments.0.content`). */
export function inputError(error: z.ZodError): ApiError {
  const fields: Record<string, string> = {};
  for (const issue of error.issues.slice(0, 50)) {
    // Path parts can be keys the caller made up (a record's keys): as long as the caller wanted.
    let path = issue.path.map((p) => cut(String(p), MAX_SEGMENT)).join('.');
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => quoted(k, MAX_SEGMENT));
      path = [...issue.path.map((p) => cut(String(p), MAX_SEGMENT)), cut(issue.keys[0] ?? '', MAX_SEGMENT)]
        .filter(Boolean)
        .join('.');
      message = `Unknown field ${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ` and ${keys.length - 3} more` : ''}.`;
    }
    fields[path] ??= cut(message, MAX_MESSAGE);
  }
  const [field, message] = Object.entries(fields)[0] ?? ['', 'The request was not understood.'];
  // '' names the input as a whole (not an object, or no single field to blame).
  const out: ApiError = { code: 'invalid-input', message, field };
  if (Object.keys(fields).length > 1) out.fields = fields;
  return out;
}

/**
 * The guarded door minus the sender check (which needs Electron): parse the unknown payload with
 * the channel's schema, call the handler, and wrap whatever happens in a result envelope. A payload
 * that fails its schema reaches no handler, so nothing is stored.
 */
export function createDispatcher(
  handlers: Handlers,
  logger: Logger,
): { dispatch: Dispatch; channels: string[] } {
  const table = new Map<string, { spec: CallSpec; handler: (input: unknown) => unknown }>();
  for (const [channel, group, method] of contractChannels()) {
    const spec = (contract as unknown as Record<string, Record<string, CallSpec>>)[group]![method]!;
    const handler = (handlers as unknown as Record<string, Record<string, (input: unknown) => unknown>>)[
      group
    ]![method]!;
    table.set(channel, { spec, handler });
  }

  const dispatch: Dispatch = async (channel, payload) => {
    const entry = table.get(channel);
    if (!entry)
      return { ok: false, error: { code: 'unknown-call', message: `There is no call named ${channel}.` } };
    const parsed = entry.spec.input.safeParse(payload);
    if (!parsed.success) return { ok: false, error: inputError(parsed.error) };
    try {
      return { ok: true, value: await entry.handler(parsed.data) };
    } catch (error) {
      if (error instanceof AppError) {
        const apiError = error.toApiError();
        return { ok: false, error: { ...apiError, message: cut(apiError.message, 4 * MAX_MESSAGE) } };
      }
      logger.error('call failed', {
        channel,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      return {
        ok: false,
        error: {
          code: 'internal',
          message: 'Something went wrong inside AlertDesk; the details are in the log file.',
        },
      };
    }
  };
  return { dispatch, channels: [...table.keys()] };
}
