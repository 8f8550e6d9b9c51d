import type { Store } from "../store/database";
import type { Services } from "./context";
import type { Metrics } from "./metrics";

/** What buildApp shares with its plugins: one of each per app. */
export interface AppParts {
  services: Services;
  metrics: Metrics;
  /** The gateway's cached lookups (gateway/lookup-cache.ts): every management write forgets them. */
  lookups: { forgetAll(): void };
  /** Management writes: acknowledged once durable, sharing the disk flush (group commit). */
  writeTransaction: Store["writeTransaction"];
}
