// The console's one way to the API: fetch with the operator key, errors as ApiError.

const KEY_STORAGE = 'tessera.operatorKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}
export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}
export function forgetKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
}

export interface ApiErrorBody {
  type: string;
  code: string;
  message: string;
  param?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly param: string | undefined;
  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.status = status;
    this.code = body.code;
    this.param = body.param;
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();
/** Called when the API answers 401 to the stored key (revoked, or the server was reset). */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface RequestOptions {
  key?: string;
  idempotencyKey?: string;
}

export function newIdempotencyKey(): string {
  return `console-${crypto.randomUUID()}`;
}

export async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const key = options.key ?? storedKey();
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, { type: 'network_error', code: 'network_error', message: `The server could not be reached (${String(error)})` });
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const err = (parsed as { error?: ApiErrorBody } | undefined)?.error;
    const apiError = new ApiError(
      response.status,
      err ?? { type: 'api_error', code: `http_${response.status}`, message: `The server answered ${response.status} ${response.statusText}` },
    );
    if (response.status === 401 && options.key === undefined) for (const listener of unauthorizedListeners) listener();
    throw apiError;
  }
  return parsed as T;
}

export const get = <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options);
/** Every console write carries an Idempotency-Key, so a retried click cannot take effect twice. */
export const post = <T>(path: string, body: unknown, options: RequestOptions = {}) =>
  request<T>('POST', path, body, { idempotencyKey: newIdempotencyKey(), ...options });

export function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}
