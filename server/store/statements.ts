import { createHash } from "node:crypto";
import type SqliteDatabase from "better-sqlite3";
import { type Compilable, CompiledQuery, type Kysely, type QueryResult } from "kysely";
import type pg from "pg";

// Each query is built once, and prepared once per connection, whatever runs it: the set of
// distinct SQL texts is small and fixed (values are always bound parameters). Three layers:
// reusableQuery skips kysely's build and compile (for the gateway's hot queries); below every
// query, SQLite reuses its prepared statement by text, and PostgreSQL its named statement.

/** `make(key)` once per key, the oldest forgotten past `limit`. */
function memo<V>(limit: number, make: (key: string) => V): (key: string) => V {
  const values = new Map<string, V>();
  return (key) => {
    let value = values.get(key);
    if (value === undefined) {
      value = make(key);
      if (values.size >= limit) values.delete(values.keys().next().value!);
      values.set(key, value);
    }
    return value;
  };
}

/**
 * A Kysely query compiled once and run again with new values. Building and compiling a
 * query costs ~15x more than running it on SQLite, which matters on the gateway's hot
 * path; the SQL text is built with stand-in values once, per database, then reused.
 */
export function reusableQuery<DB, P extends Record<string, unknown>, R>(
  build: (db: Kysely<DB>, params: P) => Compilable<R>,
  names: (keyof P & string)[],
) {
  const compiled = new WeakMap<object, { sql: string; slots: (string | { constant: unknown })[] }>();
  return async (db: Kysely<DB>, params: P): Promise<QueryResult<R>> => {
    let template = compiled.get(db);
    if (!template) {
      const standIns = Object.fromEntries(names.map((n) => [n, `\u0000keyplane-param:${n}`])) as unknown as P;
      const q = build(db, standIns).compile();
      const byStandIn = new Map(names.map((n) => [`\u0000keyplane-param:${n}`, n]));
      template = { sql: q.sql, slots: q.parameters.map((p) => byStandIn.get(p as string) ?? { constant: p }) };
      compiled.set(db, template);
    }
    const values = template.slots.map((slot) => (typeof slot === "string" ? params[slot] : slot.constant));
    return db.executeQuery<R>(CompiledQuery.raw(template.sql, values));
  };
}

/** better-sqlite3 with prepared statements reused by SQL text (kysely prepares every query anew). */
export function withCachedStatements(db: SqliteDatabase.Database, limit = 500): SqliteDatabase.Database {
  const prepare = memo(limit, (sql) => db.prepare(sql));
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "prepare") return prepare;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Makes a pool's parameterized queries named prepared statements, so PostgreSQL parses and
 * plans each distinct SQL text once per connection instead of on every call. The name is a
 * hash of the text, so two texts never share a name.
 */
export function useNamedStatements(pool: pg.Pool): void {
  const nameOf = memo(1000, (text) => `kp_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`);
  pool.on("connect", (client) => {
    // pg's query has many overloads; this wrapper forwards whatever it is given.
    type Query = (...args: unknown[]) => unknown;
    const query = client.query.bind(client) as Query;
    (client as unknown as { query: Query }).query = (text: unknown, values?: unknown, callback?: unknown) => {
      if (typeof text === "string" && Array.isArray(values) && values.length > 0 && typeof callback !== "function") {
        return query({ name: nameOf(text), text, values });
      }
      return query(text, values, callback);
    };
  });
}
