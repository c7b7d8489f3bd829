/**
 * Data loading for views: load once, then again every `intervalMs` while the view is shown.
 * The previous answer stays on screen while the next one loads, and a failure is shown beside
 * it instead of blanking the view.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data?: T;
  error?: unknown;
  /** When the last successful answer arrived. */
  at?: number;
}

export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: unknown[] = []): Polled<T> {
  const [state, setState] = useState<Polled<T>>({});
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    setState({});
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const data = await loadRef.current(ctl.signal);
        if (!ctl.signal.aborted) setState({ data, at: Date.now() });
      } catch (error) {
        if (ctl.signal.aborted) return;
        setState((s) => ({ ...s, error }));
      }
      if (!ctl.signal.aborted && intervalMs > 0) timer = setTimeout(() => void tick(), intervalMs);
    };
    void tick();
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
  }, [intervalMs, ...deps]);
  return state;
}

/** Re-renders every `ms` (for "3s ago" texts between two loads). */
export function useTick(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
