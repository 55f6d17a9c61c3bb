import { useCallback, useEffect, useEffectEvent, useState } from 'react';
import type { EventMap, EventTopic } from '../../../shared/contract.ts';
import type { Result } from '../../../shared/result.ts';
import { CallError, onEvent } from '../api.ts';

export interface Query<T> {
  data: T | undefined;
  error: CallError | null;
  loading: boolean;
  reload: () => void;
}

interface QueryState<T> {
  data: T | undefined;
  error: CallError | null;
  /** The request the state answers; `loading` is true until the latest one answered. */
  answered: number;
}

/** Runs a call when its dependencies change; `reload` runs it again (after a save, an event…). */
export function useQuery<T>(run: () => Promise<Result<T>>, deps: readonly unknown[]): Query<T> {
  const [state, setState] = useState<QueryState<T>>({ data: undefined, error: null, answered: -1 });
  const [tick, setTick] = useState(0);
  const request = useEffectEvent(() => run());

  useEffect(() => {
    let live = true;
    void request().then((result) => {
      if (!live) return;
      setState((s) =>
        result.ok
          ? { data: result.value, error: null, answered: tick }
          : { data: s.data, error: new CallError(result.error), answered: tick },
      );
    });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller lists what the call depends on
  }, [...deps, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.answered !== tick, reload };
}

/** Subscribes to an event topic for the life of the component. */
export function useEvent<K extends EventTopic>(topic: K, listener: (payload: EventMap[K]) => void): void {
  const handle = useEffectEvent((payload: EventMap[K]) => listener(payload));
  useEffect(() => onEvent(topic, (payload) => handle(payload)), [topic]);
}

/** A value that follows `value` after it has been still for `ms` (search boxes). */
export function useDebounced<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return current;
}
