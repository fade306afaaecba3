import { CompiledQuery, type Kysely } from 'kysely';
import type { Engine } from './db.js';

/**
 * Hand-written statements for the hottest writes, run without building and compiling a Kysely
 * query each time. Inside a group commit on SQLite they go straight to the writer connection
 * (a cached prepared statement, called synchronously, as better-sqlite3 always is); anywhere
 * else they run through Kysely like any query.
 */

/** Runs one statement synchronously on a connection; answers the rows it returns. */
export type DirectRunner = (text: string, parameters: readonly unknown[]) => unknown[];

const bound = new WeakMap<object, DirectRunner>();

/**
 * While `tx` is open its statements may run on `run` directly: the group commit binds its
 * transaction to the SQLite writer connection that transaction holds, and unbinds it at the end.
 */
export function bindDirect(tx: object, run: DirectRunner): () => void {
  bound.set(tx, run);
  return () => bound.delete(tx);
}

const preparedNames = new Map<string, string>();

/**
 * The statement's text for the engine: written with `?` placeholders, numbered `$1…` for
 * PostgreSQL, where it also gets a name to be prepared under (see preparedName).
 */
export function sqlFor(engine: Engine, text: string): string {
  if (engine !== 'postgres') return text;
  let n = 0;
  const numbered = text.replace(/\?/g, () => `$${++n}`);
  if (!preparedNames.has(numbered)) preparedNames.set(numbered, `tessera_${preparedNames.size + 1}`);
  return numbered;
}

/** PostgreSQL: the name under which a connection prepares this statement once, to skip parsing and planning it on every call. */
export function preparedName(text: string): string | undefined {
  return preparedNames.get(text);
}

/** Runs a statement written by sqlFor on `executor` (a transaction or a connection); answers its rows. */
export async function runStatement<Row>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  executor: Kysely<any>,
  text: string,
  parameters: readonly unknown[],
): Promise<Row[]> {
  const direct = bound.get(executor);
  if (direct) return direct(text, parameters) as Row[];
  const result = await executor.executeQuery(CompiledQuery.raw(text, parameters as unknown[]));
  return result.rows as Row[];
}

/**
 * The same statement once per parameter set, in order; answers each run's rows. In a SQLite
 * group commit the runs go synchronously to the writer connection, without a promise apiece.
 */
export async function runStatementMany<Row>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  executor: Kysely<any>,
  text: string,
  parameterSets: ReadonlyArray<readonly unknown[]>,
): Promise<Row[][]> {
  const direct = bound.get(executor);
  if (direct) return parameterSets.map((parameters) => direct(text, parameters) as Row[]);
  const out: Row[][] = [];
  for (const parameters of parameterSets) out.push(await runStatement<Row>(executor, text, parameters));
  return out;
}
