import type SqliteDatabase from "better-sqlite3";

/**
 * better-sqlite3 with prepared statements reused by SQL text. Kysely prepares every
 * query anew, which costs as much as running it on the gateway's hot path; the set
 * of distinct SQL texts is small and fixed (values are always bound parameters).
 */
export function withCachedStatements(db: SqliteDatabase.Database, limit = 500): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "prepare") {
        return (sql: string) => {
          let stmt = cache.get(sql);
          if (!stmt) {
            stmt = target.prepare(sql);
            if (cache.size >= limit) cache.delete(cache.keys().next().value!);
            cache.set(sql, stmt);
          }
          return stmt;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
