import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { ApiError, api, type ListPage } from './api';

export interface Async<T> {
  value: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change (and on reload()), keeping the last value while a reload runs. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ value?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (value) => live && setState({ value, loading: false }),
      (error: unknown) => live && setState((s) => ({ value: s.value, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { value: state.value, error: state.error, loading: state.loading, reload };
}

export interface Paged<T> {
  items: T[];
  hasMore: boolean;
  error: unknown;
  /** Fetches the next page (`after` the last item) and appends it. */
  loadMore: () => void;
  /** Starts again from the first page. */
  reload: () => void;
}

/** A platform list (`{data, has_more, last_id}`), page by page with the `after` cursor. */
export function usePaged<T extends { id: string }>(path: string, pageSize = 50): Paged<T> {
  const [pages, setPages] = useState<T[][]>([]);
  const [after, setAfter] = useState<string | null>(null);
  const sep = path.includes('?') ? '&' : '?';
  const page = useAsync(
    () => api.get<ListPage<T>>(`${path}${sep}limit=${pageSize}${after ? `&after=${encodeURIComponent(after)}` : ''}`),
    [path, after],
  );
  useEffect(() => {
    const data = page.value?.data;
    if (data) setPages((all) => (after ? [...all, data] : [data]));
  }, [page.value]);
  const items = pages.flat();
  return {
    items,
    hasMore: page.value?.has_more ?? false,
    error: page.error,
    loadMore: () => setAfter(items.at(-1)?.id ?? null),
    reload: () => (after ? setAfter(null) : page.reload()),
  };
}

/** The button under a paged list that fetches its next page (absent on the last one). */
export function MoreButton({ paged, label }: { paged: Paged<{ id: string }>; label: string }) {
  if (!paged.hasMore) return null;
  return (
    <button type="button" class="link" onClick={paged.loadMore}>
      {label}
    </button>
  );
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.param ? `${error.message} (${error.param})` : error.message;
  return error instanceof Error ? error.message : String(error);
}

/** An error, announced to screen readers as it appears. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  );
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="card" aria-label={title}>
      <div class="card-head">
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/**
 * A table's header row. Columns named '' are action columns: their header is for screen readers only, so every
 * table names its columns the same way.
 */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => (
          <th key={i} scope="col">
            {c || <span class="sr-only">Actions</span>}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A destructive row action: the row shows the verb, a screen reader hears what it acts on (`Revoke laptop`). */
export function RowAction({ verb, target, onClick }: { verb: string; target: string; onClick: () => void }) {
  return (
    <button type="button" class="danger" onClick={onClick}>
      <span aria-hidden="true">{verb}</span>
      <span class="sr-only">
        {verb} {target}
      </span>
    </button>
  );
}

/** Saves text as a file through a temporary object URL (no server round trip). */
export function download(text: string, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function formatDate(unixSeconds: number | null | undefined): string {
  return unixSeconds ? new Date(unixSeconds * 1000).toLocaleString() : '—';
}
