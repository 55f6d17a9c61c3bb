/**
 * The envelope every call of the contract resolves to. A call never rejects across the IPC
 * boundary: failures come back as values so the renderer can show them at the right field.
 */
export interface ApiError {
  /** Stable machine-readable code, e.g. `invalid-input`, `not-found`, `secret-storage-unavailable`. */
  code: string;
  /** One sentence in the integrator's words: what went wrong and what to do. */
  message: string;
  /**
   * Dotted path of the input field the error concerns (`port`, `to.1`, `attachments.0.content`);
   * '' when it concerns the input as a whole. Always set on `invalid-input`.
   */
  field?: string;
  /** Every field error when more than one field is wrong, keyed by dotted path. */
  fields?: Record<string, string>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (error: ApiError): Result<never> => ({ ok: false, error });

/**
 * A failure a core service raises on purpose. The IPC door turns it into `{ ok: false, error }`;
 * anything else thrown becomes an `internal` error with a generic message (details go to the log).
 */
export class AppError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  readonly fields: Record<string, string> | undefined;

  constructor(code: string, message: string, field?: string, fields?: Record<string, string>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.field = field;
    this.fields = fields;
  }

  toApiError(): ApiError {
    const error: ApiError = { code: this.code, message: this.message };
    if (this.field !== undefined) error.field = this.field;
    if (this.fields !== undefined) error.fields = this.fields;
    return error;
  }
}

export const notFound = (what: string, id: string): AppError =>
  new AppError('not-found', `${what} ${id} does not exist (it may have been deleted).`);
