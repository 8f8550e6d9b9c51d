import type { Metrics } from "./metrics";
import type { Services } from "./context";
import type { GatewayLookupCache } from "../gateway/lookup-cache";
import type { GatewayLookup } from "../store/gateway-lookup";
import type { Store } from "../store/database";

/** What buildApp shares with its plugins: one of each per app. */
export interface AppParts {
  services: Services;
  metrics: Metrics;
  /** Written by management (forgotten on every write), read by the gateway. */
  lookups: GatewayLookupCache<GatewayLookup>;
  /** Management writes: acknowledged once durable, sharing the disk flush (group commit). */
  writeTransaction: Store["writeTransaction"];
}
