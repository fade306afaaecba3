import { useCallback, useEffect, useRef, useState, type DependencyList, type InputHTMLAttributes, type ReactNode } from 'react';
import { ApiError, get, type Page } from './api.js';

export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, { type: 'client_error', code: 'client_error', message: error instanceof Error ? error.message : String(error) });
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload(): void;
}

/** Runs a read when its inputs change; the last answer wins. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === generation.current && setState({ data, loading: false }),
      (error: unknown) => mine === generation.current && setState({ error: asApiError(error), loading: false }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface Paged<T> {
  items: T[];
  hasMore: boolean;
  loading: boolean;
  error: ApiError | undefined;
  loadMore(): void;
  reload(): void;
}

/** A cursor-paginated list (`?limit=&startingAfter=` → `{data, hasMore}`), grown by "Load more". */
export function usePaged<T>(path: string, limit = 25, cursorOf: (item: T) => string = (item) => (item as { id: string }).id): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | undefined>();
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const sep = path.includes('?') ? '&' : '?';

  const fetchPage = useCallback(
    async (after: string | undefined, append: boolean) => {
      const mine = ++generation.current;
      setLoading(true);
      try {
        const page = await get<Page<T>>(`${path}${sep}limit=${limit}${after ? `&startingAfter=${encodeURIComponent(after)}` : ''}`);
        if (mine !== generation.current) return;
        setItems((old) => (append ? [...old, ...page.data] : page.data));
        setHasMore(page.hasMore);
        setError(undefined);
      } catch (e) {
        if (mine === generation.current) setError(asApiError(e));
      } finally {
        if (mine === generation.current) setLoading(false);
      }
    },
    [path, sep, limit],
  );

  useEffect(() => {
    void fetchPage(undefined, false);
  }, [fetchPage, tick]);

  return {
    items,
    hasMore,
    loading,
    error,
    loadMore: () => {
      const last = items[items.length - 1];
      void fetchPage(last === undefined ? undefined : cursorOf(last), true);
    },
    reload: () => setTick((t) => t + 1),
  };
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      <div className="page-actions">{children}</div>
    </header>
  );
}

export function Card({ title, children, className, testId }: { title?: ReactNode; children: ReactNode; className?: string; testId?: string }) {
  return (
    <section className={`card ${className ?? ''}`} data-testid={testId}>
      {title !== undefined && <h2>{title}</h2>}
      {children}
    </section>
  );
}

export function ErrorBanner({ error }: { error: ApiError | undefined | null }) {
  if (!error) return null;
  return (
    <div className="error-banner" role="alert">
      <strong>{error.message}</strong>
      <span className="error-code">
        {error.status ? `${error.status} ` : ''}
        {error.code}
        {error.param ? ` · ${error.param}` : ''}
      </span>
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return <p className="muted">Loading{what ? ` ${what}` : ''}…</p>;
}

/** Does an error's `param` ("prices.0.amount.amount") belong to a field ("prices.0")? */
export function paramMatches(errorParam: string | undefined, field: string): boolean {
  if (!errorParam) return false;
  return errorParam === field || errorParam.startsWith(`${field}.`);
}

export function Field({
  label,
  param,
  error,
  hint,
  children,
}: {
  label: string;
  param?: string;
  error?: ApiError | null | undefined;
  hint?: string;
  children: ReactNode;
}) {
  const mine = param !== undefined && error && paramMatches(error.param, param) ? error : undefined;
  return (
    <label className={`field ${mine ? 'has-error' : ''}`} data-param={param}>
      <span className="field-label">{label}</span>
      {children}
      {hint && !mine && <span className="field-hint">{hint}</span>}
      {mine && (
        <span className="field-error" role="alert">
          {mine.message}
        </span>
      )}
    </label>
  );
}

/** A `Field` holding one text input whose value is a string state (`onChange` gets the new text). */
export function TextField({
  label,
  name,
  param = name,
  error,
  hint,
  value,
  onChange,
  children,
  ...input
}: {
  label: string;
  name: string;
  /** The API's name of the field, when it is not the input's name. */
  param?: string;
  error: ApiError | null | undefined;
  hint?: string;
  value: string;
  onChange: (value: string) => void;
  /** Shown after the input, e.g. its datalist. */
  children?: ReactNode;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'name' | 'value' | 'onChange' | 'children'>) {
  return (
    <Field label={label} param={param} error={error} hint={hint}>
      <input name={name} value={value} onChange={(e) => onChange(e.target.value)} {...input} />
      {children}
    </Field>
  );
}

/** The error of a form, unless a field of the form shows it next to itself. */
export function FormError({ error, fields }: { error: ApiError | null | undefined; fields: string[] }) {
  if (!error) return null;
  if (fields.some((f) => paramMatches(error.param, f))) return null;
  return <ErrorBanner error={error} />;
}

/**
 * A form that creates something: its fields in a grid, then `below` (what spans the form), the form's error unless a
 * field shows it, and the submit button.
 */
export function CreateForm({
  label,
  form,
  fields,
  error = form.error,
  submitLabel,
  below,
  children,
}: {
  /** The form's accessible name, e.g. "Create a plan". */
  label: string;
  form: { busy: boolean; error: ApiError | null; submit(event?: { preventDefault(): void }): Promise<void> };
  /** The API's names of the form's fields. */
  fields: string[];
  /** The error under the form, when not the form's own. */
  error?: ApiError | null;
  submitLabel: ReactNode;
  below?: ReactNode;
  children: ReactNode;
}) {
  return (
    <form onSubmit={form.submit} className="form" aria-label={label}>
      <div className="form-grid">{children}</div>
      {below}
      <FormError error={error} fields={fields} />
      <button type="submit" disabled={form.busy}>
        {submitLabel}
      </button>
    </form>
  );
}

export function Pager<T>({ paged }: { paged: Paged<T> }) {
  return (
    <div className="pager">
      {paged.error && <ErrorBanner error={paged.error} />}
      {paged.loading && <span className="muted">Loading…</span>}
      {!paged.loading && paged.hasMore && (
        <button type="button" className="secondary" onClick={paged.loadMore}>
          Load more
        </button>
      )}
      {!paged.loading && !paged.hasMore && paged.items.length > 0 && <span className="muted">{paged.items.length} shown · end of list</span>}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/**
 * A paged list's table, or `empty` when the list has nothing (and, unless `emptyOnError`, no error), then its pager.
 */
export function PagedTable<T>({
  paged,
  empty,
  emptyOnError = false,
  children,
}: {
  paged: Paged<T>;
  empty: ReactNode;
  /** Say `empty` even when the list failed to load (the pager shows the error). */
  emptyOnError?: boolean;
  children: ReactNode;
}) {
  return (
    <>
      {paged.items.length === 0 && !paged.loading && (emptyOnError || !paged.error) ? <Empty>{empty}</Empty> : children}
      <Pager paged={paged} />
    </>
  );
}

/** What a read gave: its error, "Loading…" until the first answer, `empty` when `isEmpty` says so, else `children(data)`. */
export function WhenLoaded<T>({
  load,
  isEmpty,
  empty,
  children,
}: {
  load: Loaded<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { data, error } = load;
  return (
    <>
      <ErrorBanner error={error} />
      {data === undefined ? !error && <Loading /> : isEmpty?.(data) ? <Empty>{empty}</Empty> : children(data)}
    </>
  );
}

/** A button that opens what `children` renders (given a way to close it), and reads "Close" while it is open. */
export function Opener({ label, className, children }: { label: string; className?: string; children: (close: () => void) => ReactNode }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className={className} onClick={() => setOpen((o) => !o)}>
        {open ? 'Close' : label}
      </button>
      {open && children(() => setOpen(false))}
    </>
  );
}

/**
 * A list page: its header, with `actions` and a "New <noun>" button that opens a "New <noun>" card holding the
 * create form (`create` gets a way to close it), then the page's `children`.
 */
export function ListPage({
  title,
  noun,
  actions,
  create,
  children,
}: {
  title: string;
  noun: string;
  actions?: ReactNode;
  create: (close: () => void) => ReactNode;
  children: ReactNode;
}) {
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHeader title={title}>
        {actions}
        <button type="button" onClick={() => setCreating((c) => !c)}>
          {creating ? 'Close' : `New ${noun}`}
        </button>
      </PageHeader>
      {creating && <Card title={`New ${noun}`}>{create(() => setCreating(false))}</Card>}
      {children}
    </>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.replace(/[^a-z_]/g, '')}`}>{status.replace(/_/g, ' ')}</span>;
}

export function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div className="stat" data-testid={testId}>
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}

/** A submit handler that tracks busy and the API's error. */
export function useSubmit<T>(action: () => Promise<T>, onDone?: (result: T) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event?: { preventDefault(): void }) => {
    event?.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const result = await action();
      onDone?.(result);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, submit };
}

/** Runs a page's action (a button's), keeps its error, and calls `onDone` once it succeeded. */
export function useAction(onDone: () => void) {
  const [error, setError] = useState<ApiError | null>(null);
  const run = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      onDone();
    } catch (e) {
      setError(asApiError(e));
    }
  };
  return { error, run };
}

export function Json({ value }: { value: unknown }) {
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}

/** Suggestions for a partner field: every partner's code (and name), from /v1/partners. */
export function PartnerSuggestions({ id, values = 'code' }: { id: string; values?: 'code' | 'id' }) {
  const partners = useLoad(() => get<Page<{ id: string; code: string; name: string }>>('/v1/partners?limit=100'), []);
  return (
    <datalist id={id}>
      {partners.data?.data.map((p) => (
        <option key={p.id} value={values === 'code' ? p.code : p.id}>
          {p.name}
        </option>
      ))}
    </datalist>
  );
}
