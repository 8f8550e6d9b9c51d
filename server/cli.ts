#!/usr/bin/env node
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseCidr, parseDuration } from "@keyplane/api";
import { startServer } from "./index";
import { displayForm, findKeys, reportOf } from "./leaks/scan";

const USAGE = `usage: keyplane-server [--port N] [--host H] [--data-dir DIR] [--database-url postgres://...] [--upstream-timeout 60s]
                       [--redis-url redis://...] [--trusted-proxy CIDR]... [--access-log-retention 7d]
                       [--upstream-allow CIDR|host]... [--upstream-deny CIDR|host]... [--metrics-token TOKEN]
                       [--leak-keys FILE] [--lookup-cache-size 10000]
       keyplane-server scan <path>... [--submit URL --token T]

  --port          port to listen on (default 8420, or $PORT)
  --host          address to bind (default 127.0.0.1)
  --data-dir      where the SQLite database, master key and admin token live
                  (default $KEYPLANE_DATA_DIR or ~/.keyplane)
  --database-url  use PostgreSQL instead of SQLite (default $KEYPLANE_DATABASE_URL);
                  every replica needs the same KEYPLANE_MASTER_KEY and KEYPLANE_ADMIN_TOKEN
  --upstream-timeout  how long the gateway waits for a byte from a deployment's upstream
                  before answering 502 upstream_failed (default 60s; e.g. 30s, 5m)
  --redis-url     share keys' rate limits across replicas through this Redis
                  (default $KEYPLANE_REDIS_URL; without it each process counts its own)
  --trusted-proxy address or CIDR of a proxy whose X-Forwarded-For is believed
                  (repeatable, or comma-separated; default: none, X-Forwarded-For is ignored)
  --access-log-retention
                  how long gateway access-log entries are kept (default 7d)
  --upstream-deny CIDR or host name deployments' upstream calls may not reach (repeatable,
                  or comma-separated); refused besides by default: 169.254.0.0/16,
                  fe80::/10, fd00:ec2::254, 0.0.0.0/8, ::; always: this server's own address and port
  --upstream-allow
                  CIDR or host name upstream calls may reach even where a deny rule (or a
                  default one) refuses it (repeatable, or comma-separated; default: none)
  --metrics-token GET /metrics then needs Authorization: Bearer <token> (or the admin
                  token); default $KEYPLANE_METRICS_TOKEN, else /metrics is open
  --leak-keys     JSON file of the public keys that may sign leak reports (POST /v1/leaks), in the
                  format of https://api.github.com/meta/public_keys/secret_scanning
                  (default $KEYPLANE_LEAK_KEYS_FILE; none: only management credentials may report)
  --lookup-cache-size
                  gateway lookups remembered, one per key and deployment called (default
                  10000; 0 turns the cache off)

scan: prints every keyplane key (checksum verified) in the files under each path, as
  file:line and its display form, and exits 1 when it found any. --submit reports them to a
  keyplane server's POST /v1/leaks (URL of the server or of the route) with --token
  (default $KEYPLANE_TOKEN: the admin token or the project's project-scope key).

environment: KEYPLANE_ADMIN_TOKEN (else one is generated into the data dir),
             KEYPLANE_METRICS_TOKEN (see --metrics-token),
             KEYPLANE_MASTER_KEY (else one is generated into the data dir)`;

async function scan(args: string[]) {
  const options = { submit: { type: "string" }, token: { type: "string" } } as const;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true });
  } catch (e) {
    console.error(`keyplane-server scan: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const token = parsed.values.token ?? process.env.KEYPLANE_TOKEN;
  if (parsed.positionals.length === 0 || (parsed.values.submit !== undefined && !token)) {
    console.error(
      `keyplane-server scan: ${parsed.positionals.length === 0 ? "name a path to scan" : "--submit needs --token or $KEYPLANE_TOKEN"}\n\n${USAGE}`,
    );
    process.exit(2);
  }
  const missing = parsed.positionals.find((p) => !existsSync(p));
  if (missing !== undefined) {
    console.error(`keyplane-server scan: ${missing}: no such file or directory`);
    process.exit(2);
  }
  const findings = parsed.positionals.flatMap((p) => findKeys(p));
  for (const f of findings) console.log(`${f.file}:${f.line}: ${displayForm(f.token)}`);
  console.error(`keyplane-server scan: ${findings.length} keyplane key(s) found`);
  if (parsed.values.submit !== undefined && findings.length > 0) {
    const url = parsed.values.submit.replace(/\/+$/, "");
    const response = await fetch(url.endsWith("/v1/leaks") ? url : `${url}/v1/leaks`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(reportOf(findings)),
    });
    if (!response.ok)
      throw new Error(
        `the server answered ${response.status} to the report: ${((await response.json().catch(() => ({}))) as { error?: { message?: string } })?.error?.message ?? ""}`,
      );
    const labels = (await response.json()) as { label: string }[];
    console.error(
      `keyplane-server scan: reported; ${labels.filter((l) => l.label === "true_positive").length} of them are keys of that server (live ones are now refused as leaked)`,
    );
  }
  process.exitCode = findings.length > 0 ? 1 : 0;
}

async function main() {
  if (process.argv[2] === "scan") return scan(process.argv.slice(3));
  const options = {
    port: { type: "string" },
    host: { type: "string" },
    "data-dir": { type: "string" },
    "database-url": { type: "string" },
    "redis-url": { type: "string" },
    "trusted-proxy": { type: "string", multiple: true },
    "access-log-retention": { type: "string" },
    "upstream-timeout": { type: "string" },
    "upstream-allow": { type: "string", multiple: true },
    "upstream-deny": { type: "string", multiple: true },
    "metrics-token": { type: "string" },
    "leak-keys": { type: "string" },
    "lookup-cache-size": { type: "string" },
    help: { type: "boolean", short: "h" },
  } as const;
  let values: ReturnType<typeof parseArgs<{ options: typeof options }>>["values"];
  try {
    ({ values } = parseArgs({ options }));
  } catch (e) {
    console.error(`keyplane-server: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port ?? process.env.PORT ?? 8420);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`keyplane-server: --port must be a port number\n\n${USAGE}`);
    process.exit(2);
  }
  const trustedProxies = (values["trusted-proxy"] ?? [])
    .flatMap((p) => p.split(",").map((c) => c.trim()))
    .filter(Boolean);
  const badProxy = trustedProxies.find((c) => parseCidr(c) === undefined);
  if (badProxy !== undefined) {
    console.error(`keyplane-server: --trusted-proxy ${badProxy} is not an IPv4 or IPv6 address or CIDR\n\n${USAGE}`);
    process.exit(2);
  }
  const hostsOrCidrs = (flag: "upstream-allow" | "upstream-deny") => {
    const list = (values[flag] ?? []).flatMap((p) => p.split(",").map((c) => c.trim())).filter(Boolean);
    const bad = list.find((c) => parseCidr(c) === undefined && !/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i.test(c));
    if (bad !== undefined) {
      console.error(`keyplane-server: --${flag} ${bad} is neither an IPv4/IPv6 CIDR nor a host name\n\n${USAGE}`);
      process.exit(2);
    }
    return list;
  };
  const upstreamAllow = hostsOrCidrs("upstream-allow");
  const upstreamDeny = hostsOrCidrs("upstream-deny");
  const retention = parseDuration(values["access-log-retention"] ?? "7d");
  if (!retention) {
    console.error(`keyplane-server: --access-log-retention must be a duration such as 7d or 12h\n\n${USAGE}`);
    process.exit(2);
  }
  const upstreamTimeout = parseDuration(values["upstream-timeout"] ?? "60s");
  if (!upstreamTimeout) {
    console.error(`keyplane-server: --upstream-timeout must be a duration such as 30s or 5m\n\n${USAGE}`);
    process.exit(2);
  }
  const lookupCacheSize = Number(values["lookup-cache-size"] ?? 10_000);
  if (!Number.isInteger(lookupCacheSize) || lookupCacheSize < 0) {
    console.error(`keyplane-server: --lookup-cache-size must be a whole number (0 turns the cache off)\n\n${USAGE}`);
    process.exit(2);
  }
  const server = await startServer({
    port,
    host: values.host ?? "127.0.0.1",
    dataDir: values["data-dir"] ?? process.env.KEYPLANE_DATA_DIR ?? join(homedir(), ".keyplane"),
    databaseUrl: values["database-url"] ?? process.env.KEYPLANE_DATABASE_URL,
    redisUrl: values["redis-url"] ?? process.env.KEYPLANE_REDIS_URL,
    trustedProxies,
    accessLogRetentionMs: retention * 1000,
    upstreamTimeoutMs: upstreamTimeout * 1000,
    upstreamAllow,
    upstreamDeny,
    metricsToken: values["metrics-token"],
    leakKeysFile: values["leak-keys"] ?? process.env.KEYPLANE_LEAK_KEYS_FILE,
    lookupCacheSize,
  });
  // The token's location, never the token: logs are read by many.
  console.error(`keyplane-server listening on ${server.url} (admin token: ${server.adminTokenSource})`);
  const stop = async (signal: string) => {
    console.error(`keyplane-server: ${signal}, shutting down`);
    await server.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}

main().catch((e) => {
  console.error(`keyplane-server: ${(e as Error).message}`);
  process.exit(1);
});
