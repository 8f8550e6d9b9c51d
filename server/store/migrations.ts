import { type Kysely, type Migration, Migrator, sql } from "kysely";
import type { Dialect } from "./schema";

// A migration sees the schema as it was when it was written, not today's Database (kysely's
// own Migration type takes the same open type).
// biome-ignore lint/suspicious/noExplicitAny: the schema a migration runs on is not a type of today's code
type MigrationDb = Kysely<any>;

// Migrations live in code so the server binary carries them; they run on start.
function migrations(dialect: Dialect): Record<string, Migration> {
  const bigint = "bigint" as const;
  return {
    "0001_initial": {
      async up(db: MigrationDb) {
        await db.schema
          .createTable("projects")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("name", "text", (c) => c.notNull().unique())
          .addColumn("description", "text", (c) => c.notNull())
          .addColumn("created_at", bigint, (c) => c.notNull())
          .addColumn("updated_at", bigint, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("deployments")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("project_id", "text", (c) => c.notNull())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("model", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("upstream_url", "text")
          .addColumn("created_at", bigint, (c) => c.notNull())
          .addColumn("updated_at", bigint, (c) => c.notNull())
          .addUniqueConstraint("deployments_project_name", ["project_id", "name"])
          .execute();
        await db.schema
          .createTable("api_keys")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("project_id", "text", (c) => c.notNull())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("description", "text", (c) => c.notNull())
          .addColumn("labels", "text", (c) => c.notNull())
          .addColumn("scope", "text", (c) => c.notNull())
          .addColumn("deployment_access", "text", (c) => c.notNull())
          .addColumn("key_hash", "text", (c) => c.notNull().unique())
          .addColumn("last4", "text", (c) => c.notNull())
          .addColumn("created_at", bigint, (c) => c.notNull())
          .addColumn("created_by", "text", (c) => c.notNull())
          .addColumn("expires_at", bigint)
          .addColumn("max_expires_at", bigint)
          .addColumn("ttl_seconds", bigint)
          .addColumn("explicit_max_ttl_seconds", bigint)
          .addColumn("renewable", "integer", (c) => c.notNull())
          .addColumn("num_uses", bigint, (c) => c.notNull())
          .addColumn("uses", bigint, (c) => c.notNull())
          .addColumn("last_used_at", bigint)
          .addColumn("revoked_at", bigint)
          .execute();
        await db.schema.createIndex("api_keys_project").on("api_keys").columns(["project_id", "created_at"]).execute();
        await db.schema
          .createTable("bindings")
          .addColumn("api_key_id", "text", (c) => c.notNull())
          .addColumn("deployment_id", "text", (c) => c.notNull())
          .addColumn("project_id", "text", (c) => c.notNull())
          .addColumn("created_at", bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint("bindings_pk", ["api_key_id", "deployment_id"])
          .execute();
        await db.schema.createIndex("bindings_deployment").on("bindings").column("deployment_id").execute();
        await db.schema
          .createTable("secrets")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("project_id", "text", (c) => c.notNull())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("description", "text", (c) => c.notNull())
          .addColumn("use_case", "text", (c) => c.notNull())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("created_at", bigint, (c) => c.notNull())
          .addColumn("created_by", "text", (c) => c.notNull())
          .addColumn("updated_at", bigint, (c) => c.notNull())
          .addColumn("updated_by", "text", (c) => c.notNull())
          .addUniqueConstraint("secrets_project_name", ["project_id", "name"])
          .execute();
        await db.schema
          .createTable("secret_versions")
          .addColumn("secret_id", "text", (c) => c.notNull())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("ciphertext", "text", (c) => c.notNull())
          .addColumn("created_at", bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint("secret_versions_pk", ["secret_id", "version"])
          .execute();
        await db.schema
          .createTable("audit")
          .addColumn("id", dialect === "postgres" ? "bigserial" : "integer", (c) =>
            dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn("project_id", "text")
          .addColumn("at", bigint, (c) => c.notNull())
          .addColumn("principal", "text", (c) => c.notNull())
          .addColumn("action", "text", (c) => c.notNull())
          .addColumn("target_type", "text", (c) => c.notNull())
          .addColumn("target_id", "text", (c) => c.notNull())
          .addColumn("details", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("audit_project").on("audit").columns(["project_id", "id"]).execute();
        await db.schema
          .createTable("idempotency")
          .addColumn("scope", "text", (c) => c.notNull())
          .addColumn("idem_key", "text", (c) => c.notNull())
          .addColumn("request_hash", "text", (c) => c.notNull())
          .addColumn("status", "integer", (c) => c.notNull())
          .addColumn("response", "text", (c) => c.notNull())
          .addColumn("created_at", bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint("idempotency_pk", ["scope", "idem_key"])
          .execute();
      },
    },
    // Who manages a key or secret (pulumi:<stack>:<urn>), and which object a create's
    // replay answers for, so deleting the object ends its replay.
    "0003_managed_by": {
      async up(db: MigrationDb) {
        await db.schema.alterTable("api_keys").addColumn("managed_by", "text").execute();
        await db.schema.alterTable("secrets").addColumn("managed_by", "text").execute();
        await db.schema.alterTable("idempotency").addColumn("object_id", "text").execute();
        await db.schema.createIndex("idempotency_object").on("idempotency").column("object_id").execute();
      },
    },
    "0004_gateway": {
      async up(db: MigrationDb) {
        // The Secret (same project) whose token the gateway sends upstream; null: none.
        await db.schema.alterTable("deployments").addColumn("upstream_secret", "text").execute();
      },
    },
    "0005_limits_usage": {
      async up(db: MigrationDb) {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        await db.schema
          .alterTable("api_keys")
          .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
          .execute();
        await db.schema.alterTable("api_keys").addColumn("rate_limit", bigint).execute();
        await db.schema.alterTable("api_keys").addColumn("rate_window_seconds", bigint).execute();
        await db.schema
          .alterTable("api_keys")
          .addColumn("allowed_cidrs", "text", (c) => c.notNull().defaultTo("[]"))
          .execute();
        await db.schema.alterTable("api_keys").addColumn("grace_revoked_at", bigint).execute();
        await db.schema
          .createTable("key_usage")
          .addColumn("api_key_id", "text", (c) => c.notNull())
          .addColumn("deployment_id", "text", (c) => c.notNull())
          .addColumn("day", "text", (c) => c.notNull())
          .addColumn("project_id", "text", (c) => c.notNull())
          .addColumn("requests", bigint, (c) => c.notNull())
          .addColumn("prompt_tokens", bigint, (c) => c.notNull())
          .addColumn("completion_tokens", bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint("key_usage_pk", ["api_key_id", "deployment_id", "day"])
          .execute();
        await db.schema
          .createTable("access_log")
          .addColumn("id", dialect === "postgres" ? "bigserial" : "integer", (c) =>
            dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn("at", bigint, (c) => c.notNull())
          .addColumn("project_id", "text")
          .addColumn("api_key_id", "text")
          .addColumn("deployment", "text")
          .addColumn("outcome", "text", (c) => c.notNull())
          .addColumn("status", "integer", (c) => c.notNull())
          .addColumn("client", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("access_log_project").on("access_log").columns(["project_id", "id"]).execute();
        await db.schema.createIndex("access_log_key").on("access_log").columns(["api_key_id", "id"]).execute();
        await db.schema.createIndex("access_log_at").on("access_log").column("at").execute();
      },
    },
    "0006_console": {
      async up(db: MigrationDb) {
        await db.schema
          .alterTable("api_keys")
          .addColumn("updated_at", bigint, (c) => c.notNull().defaultTo(0))
          .execute();
        await db.updateTable("api_keys").set({ updated_at: sql`created_at` }).execute();
        // Console sign-ins live in the database so every replica on one PostgreSQL knows them.
        // Only a hash of the session id is stored: a copy of the table signs nobody in.
        await db.schema
          .createTable("console_sessions")
          .addColumn("id_hash", "text", (c) => c.primaryKey())
          .addColumn("principal_kind", "text", (c) => c.notNull())
          .addColumn("key_id", "text")
          .addColumn("project_id", "text")
          .addColumn("created_at", bigint, (c) => c.notNull())
          .addColumn("expires_at", bigint, (c) => c.notNull())
          .execute();
        await db.schema.createIndex("console_sessions_expiry").on("console_sessions").column("expires_at").execute();
      },
    },
    "0007_access_log_sweep_by_id": {
      async up(db: MigrationDb) {
        // Every gateway call adds an access-log row; an index on `at` made each add a fifth
        // dearer, and the retention sweep finds its cut through the id order instead.
        await db.schema.dropIndex("access_log_at").execute();
      },
    },
    "0008_security": {
      async up(db: MigrationDb) {
        await db.schema
          .alterTable("secrets")
          .addColumn("allowed_upstreams", "text", (c) => c.notNull().defaultTo("[]"))
          .execute();
        // Secrets already in use keep working: each may go to the origins its deployments name today.
        const uses = await db
          .selectFrom("deployments")
          .select(["upstream_secret", "upstream_url"])
          .where("upstream_secret", "is not", null)
          .where("upstream_url", "is not", null)
          .execute();
        const origins = new Map<string, Set<string>>();
        for (const u of uses) {
          const set = origins.get(u.upstream_secret) ?? new Set<string>();
          set.add(new URL(u.upstream_url).origin);
          origins.set(u.upstream_secret, set);
        }
        for (const [id, set] of origins) {
          await db
            .updateTable("secrets")
            .set({ allowed_upstreams: JSON.stringify([...set]) })
            .where("id", "=", id)
            .execute();
        }
        // Admin sessions made before sessions were bound to the admin token end here.
        await db.schema.alterTable("console_sessions").addColumn("admin_fingerprint", "text").execute();
        await db.deleteFrom("console_sessions").where("principal_kind", "=", "admin").execute();
      },
    },
    "0009_leaks": {
      async up(db: MigrationDb) {
        // Where a leaked key was found: the report's url and source, never any of the token.
        await db.schema.alterTable("api_keys").addColumn("leaked_at", bigint).execute();
        await db.schema.alterTable("api_keys").addColumn("leak_source", "text").execute();
        await db.schema.alterTable("api_keys").addColumn("leak_url", "text").execute();
      },
    },
    "0010_pg_invalidation": {
      async up(db: MigrationDb) {
        // PostgreSQL replicas cache gateway lookups; what tells them to forget (see
        // lookup-invalidation.ts, which attaches the function to the tables on every start).
        // SQLite has one process, which forgets in memory after each of its writes.
        if (dialect !== "postgres") return;
        await sql`create table keyplane_lookup_epoch (id integer primary key check (id = 1), epoch bigint not null)`.execute(
          db,
        );
        await sql`insert into keyplane_lookup_epoch values (1, 0)`.execute(db);
        // Once per transaction, at its commit (a deferred trigger): a transaction-local setting marks it done.
        await sql`
          create function keyplane_lookup_changed() returns trigger language plpgsql as $$
          begin
            if coalesce(current_setting('keyplane.lookup_changed', true), '') = '' then
              perform set_config('keyplane.lookup_changed', 'yes', true);
              update keyplane_lookup_epoch set epoch = epoch + 1 where id = 1;
              perform pg_notify('keyplane_lookup', '');
            end if;
            return null;
          end $$`.execute(db);
      },
    },
    "0011_access_log_own_file": {
      async up(db: MigrationDb) {
        // SQLite: the access log moves to its own file (attached as `log`, see access-log.ts),
        // so its writes leave keyplane.db and the event loop. Ids are kept, so a copy cut short
        // by a crash is finished, not repeated, at the next start.
        if (dialect !== "sqlite") return;
        const old = await sql`select 1 from main.sqlite_master where type = 'table' and name = 'access_log'`.execute(
          db,
        );
        if (old.rows.length === 0) return;
        await sql`
          insert into log.access_log (id, at, project_id, api_key_id, deployment, outcome, status, client)
          select id, at, project_id, api_key_id, deployment, outcome, status, client from main.access_log
          where id > (select coalesce(max(id), 0) from log.access_log)`.execute(db);
        await sql`drop table main.access_log`.execute(db);
      },
    },
  };
}

export async function migrate(db: MigrationDb, dialect: Dialect): Promise<void> {
  const all = migrations(dialect);
  const migrator = new Migrator({ db, provider: { getMigrations: async () => all } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new Error(`database migration ${failed ?? ""} failed: ${(error as Error).message ?? error}`);
  }
}
