import type { Kysely, Transaction } from "kysely";
import type { Database } from "../store/schema";
import type { Keyring } from "../crypto/keyring";
import type { UseSpender } from "../keys/use-spender";
import type { UsageRecorder } from "../usage/recorder";
import type { EgressPolicy } from "../gateway/egress";

export type Principal = { kind: "admin" } | { kind: "key"; keyId: string; projectId: string };

export const principalName = (p: Principal) => (p.kind === "admin" ? "admin" : `key:${p.keyId}`);

/** What every handler gets: the database (a transaction for writes), the clock, the keyring. */
export interface Services {
  db: Kysely<Database>;
  keyring: Keyring;
  now: () => number;
  /** Where deployments' upstreamUrls may point (judged when set, and per connection). */
  egress: EgressPolicy;
  spender: UseSpender;
  usage: UsageRecorder;
}

export interface RequestContext extends Services {
  db: Kysely<Database> | Transaction<Database>;
  principal: Principal;
  params: Record<string, string>;
  body: any;
  query: any;
}

export const iso = (ms: number) => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
