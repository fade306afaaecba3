import { sql } from 'kysely';
import type { Db } from '../../src/schema.js';

const namesOf = new WeakMap<Db, string[]>();

/** Every table of the database, found in its catalogue so tables added later are covered too. Migrations run at start, so once per database. */
export async function tableNames(db: Db): Promise<string[]> {
  const known = namesOf.get(db);
  if (known) return known;
  const query =
    db.engine === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`
      : sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema() order by tablename`;
  const names = (await query.execute(db.read)).rows.map((r) => r.name);
  namesOf.set(db, names);
  return names;
}

/** How many rows each table holds, in one round trip. */
export async function countRows(db: Db): Promise<Record<string, number>> {
  const names = await tableNames(db);
  const parts = names.map((name) => sql`select ${name} as t, count(*) as n from ${sql.table(name)}`);
  const result = await sql<{ t: string; n: number | string }>`${sql.join(parts, sql` union all `)}`.execute(db.read);
  return Object.fromEntries(result.rows.map((r) => [r.t, Number(r.n)]));
}

export interface Snapshot {
  counts: Record<string, number>;
  /** Per table: its rows as sorted JSON lines (SQLite), or a digest of them (PostgreSQL, in one round trip). */
  rows: Record<string, string | string[]>;
}

/** Row counts and every row's content, so an UPDATE is seen as well as an INSERT. */
export async function snapshot(db: Db): Promise<Snapshot> {
  const names = await tableNames(db);
  if (db.engine === 'postgres') {
    const parts = names.map(
      (name) =>
        sql`select ${name} as t, count(*) as n, coalesce(md5(string_agg(x::text, '|' order by x::text)), '') as h from ${sql.table(name)} x`,
    );
    const result = await sql<{ t: string; n: number | string; h: string }>`${sql.join(parts, sql` union all `)}`.execute(db.read);
    return {
      counts: Object.fromEntries(result.rows.map((r) => [r.t, Number(r.n)])),
      rows: Object.fromEntries(result.rows.map((r) => [r.t, r.h])),
    };
  }
  const counts: Record<string, number> = {};
  const rows: Record<string, string[]> = {};
  for (const name of names) {
    const result = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db.read);
    counts[name] = result.rows.length;
    rows[name] = result.rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).sort();
  }
  return { counts, rows };
}
