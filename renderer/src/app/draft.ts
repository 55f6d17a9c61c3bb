import { useCallback, useState } from 'react';

/** Sets one field of a draft. */
export type SetField<T> = <K extends keyof T>(key: K, value: T[K]) => void;

/** A form's draft, with a setter for one field at a time. */
export function useDraft<T extends object>(
  initial: T | (() => T),
): [T, (next: T | ((d: T) => T)) => void, SetField<T>] {
  const [draft, setDraft] = useState<T>(initial);
  const set: SetField<T> = useCallback((key, value) => setDraft((d) => ({ ...d, [key]: value })), []);
  return [draft, setDraft, set];
}

/**
 * What a field of the form takes from the draft: `{...field('host')}` gives the input its name,
 * value, change handler and the error the main process reported for that field.
 */
export function draftFields<T extends object>(draft: T, set: SetField<T>, errors: Record<string, string>) {
  return <K extends keyof T & string>(key: K) => ({
    name: key,
    value: draft[key],
    onChange: (value: T[K]) => set(key, value),
    error: errors[key],
  });
}
