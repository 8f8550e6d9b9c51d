import { createHash } from "node:crypto";
import type pg from "pg";

/**
 * Makes a pool's parameterized queries named prepared statements, so PostgreSQL parses
 * and plans each distinct SQL text once per connection instead of on every call. The
 * name is a hash of the text, so two texts never share a name.
 */
export function useNamedStatements(pool: pg.Pool): void {
  // A name per distinct text, hashed once: the texts are few and fixed (values are bound).
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (name === undefined) {
      name = "kp_" + createHash("sha1").update(text).digest("hex").slice(0, 24);
      if (names.size >= 1000) names.delete(names.keys().next().value!);
      names.set(text, name);
    }
    return name;
  };
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
