import { useId, type ReactNode } from 'react';

interface FieldProps {
  label: string;
  error?: string | undefined;
  warning?: string | undefined;
  hint?: ReactNode;
  children: (id: string, describedBy: string | undefined) => ReactNode;
  wide?: boolean;
}

/** Label, control, and the error or warning that concerns exactly this field. */
export function Field({ label, error, warning, hint, children, wide }: FieldProps) {
  const id = useId();
  const messageId = `${id}-msg`;
  const hasMessage = Boolean(error || warning || hint);
  return (
    <div
      className={`field${error ? ' has-error' : ''}${warning && !error ? ' has-warning' : ''}${wide ? ' wide' : ''}`}
    >
      <label htmlFor={id}>{label}</label>
      {children(id, hasMessage ? messageId : undefined)}
      {error ? (
        <p className="field-error" id={messageId} role="alert">
          {error}
        </p>
      ) : warning ? (
        <p className="field-warning" id={messageId}>
          {warning}
        </p>
      ) : hint ? (
        <p className="field-hint" id={messageId}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

interface TextFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  warning?: string | undefined;
  hint?: ReactNode;
  placeholder?: string;
  type?: 'text' | 'password' | 'email';
  autoComplete?: string;
  wide?: boolean;
  name?: string;
}

export function TextField(p: TextFieldProps) {
  return (
    <Field label={p.label} error={p.error} warning={p.warning} hint={p.hint} wide={p.wide}>
      {(id, describedBy) => (
        <input
          id={id}
          name={p.name}
          type={p.type ?? 'text'}
          value={p.value}
          placeholder={p.placeholder}
          autoComplete={p.autoComplete ?? 'off'}
          spellCheck={false}
          aria-invalid={Boolean(p.error)}
          aria-describedby={describedBy}
          onChange={(e) => p.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

export function TextArea(p: Omit<TextFieldProps, 'type'> & { rows?: number; mono?: boolean }) {
  return (
    <Field label={p.label} error={p.error} warning={p.warning} hint={p.hint} wide={p.wide}>
      {(id, describedBy) => (
        <textarea
          id={id}
          name={p.name}
          rows={p.rows ?? 4}
          value={p.value}
          placeholder={p.placeholder}
          spellCheck={false}
          className={p.mono ? 'mono' : undefined}
          aria-invalid={Boolean(p.error)}
          aria-describedby={describedBy}
          onChange={(e) => p.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

export function NumberField(p: {
  label: string;
  value: number | null;
  onChange: (value: number | null) => void;
  error?: string | undefined;
  warning?: string | undefined;
  hint?: ReactNode;
  min?: number;
  max?: number;
  placeholder?: string;
  name?: string;
}) {
  return (
    <Field label={p.label} error={p.error} warning={p.warning} hint={p.hint}>
      {(id, describedBy) => (
        <input
          id={id}
          name={p.name}
          type="number"
          inputMode="numeric"
          value={p.value ?? ''}
          min={p.min}
          max={p.max}
          placeholder={p.placeholder}
          aria-invalid={Boolean(p.error)}
          aria-describedby={describedBy}
          onChange={(e) => p.onChange(e.target.value === '' ? null : Number(e.target.value))}
        />
      )}
    </Field>
  );
}

export function SelectField<V extends string>(p: {
  label: string;
  value: V;
  options: ReadonlyArray<{ value: V; label: string }>;
  onChange: (value: V) => void;
  error?: string | undefined;
  warning?: string | undefined;
  hint?: ReactNode;
  name?: string;
}) {
  return (
    <Field label={p.label} error={p.error} warning={p.warning} hint={p.hint}>
      {(id, describedBy) => (
        <select
          id={id}
          name={p.name}
          value={p.value}
          aria-invalid={Boolean(p.error)}
          aria-describedby={describedBy}
          onChange={(e) => p.onChange(e.target.value as V)}
        >
          {p.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function CheckboxField(p: {
  label: string;
  checked: boolean;
  onChange: (value: boolean) => void;
  hint?: ReactNode;
}) {
  const id = useId();
  return (
    <div className="field checkbox">
      <input id={id} type="checkbox" checked={p.checked} onChange={(e) => p.onChange(e.target.checked)} />
      <label htmlFor={id}>{p.label}</label>
      {p.hint ? <p className="field-hint">{p.hint}</p> : null}
    </div>
  );
}

/** Splits what the user typed into addresses: commas, semicolons, spaces or new lines. */
export const splitAddresses = (text: string): string[] =>
  text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** The error of a list field: the list itself, or the first of its items (`to.2`). */
export function listError(errors: Record<string, string>, field: string): string | undefined {
  if (errors[field]) return errors[field];
  const key = Object.keys(errors).find((k) => k.startsWith(`${field}.`));
  return key ? errors[key] : undefined;
}

/** A filter above a table: its label is for screen readers, "all" comes first, then each choice. */
export function FilterSelect<V extends string>(p: {
  label: string;
  value: V;
  all: { value: V; label: string };
  options: ReadonlyArray<{ value: V; label: string }>;
  onChange: (value: V) => void;
}) {
  return (
    <select aria-label={p.label} value={p.value} onChange={(e) => p.onChange(e.target.value as V)}>
      {[p.all, ...p.options].map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}
