import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

// Latencies from a cache hit (sub-millisecond) to a long streamed upstream answer.
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Labels<L extends string> = Record<L, string | number>;

/**
 * A counter tallied in a Map on the hot path and handed to prom-client when scraped: an inc
 * through prom-client hashes its labels each time, which at several counts per gateway call
 * cost about 2% of its throughput. `id` is the labels' values joined, one per label set.
 */
function talliedCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
  const tallies = new Map<string, { labels: Labels<L>; n: number }>();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const t of tallies.values()) this.inc(t.labels, t.n);
    },
  });
  return (id: string, labels: () => Labels<L>, n = 1) => {
    // What reaches a counter is whole and finite, so a scrape can never fail on data.
    if (!Number.isSafeInteger(n) || n < 0) return;
    const t = tallies.get(id);
    if (t) t.n += n;
    else tallies.set(id, { labels: labels(), n });
  };
}

/** The server's Prometheus metrics, one registry per app (tests run several apps in a process). */
export class Metrics {
  private readonly registry = new Registry();
  private readonly requests = talliedCounter(this.registry, "keyplane_http_requests_total", "HTTP requests by route, method and status.", ["route", "method", "status"]);
  private readonly duration = new Histogram({
    name: "keyplane_http_request_duration_seconds",
    help: "Time from a request to the last byte of its answer (a streamed answer ends with its stream), by route, method and status.",
    labelNames: ["route", "method", "status"] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly gateway = talliedCounter(this.registry, "keyplane_gateway_decisions_total", "Gateway answers by outcome (ok or the refusal code).", ["outcome"]);
  private readonly projectCalls = talliedCounter(this.registry, "keyplane_project_gateway_calls_total", "Gateway calls per project by outcome (ok or the refusal code).", [
    "project",
    "outcome",
  ]);
  private readonly projectTokens = talliedCounter(
    this.registry,
    "keyplane_project_tokens_total",
    "Tokens reported by admitted calls' answers, per project and kind (prompt, completion).",
    ["project", "kind"],
  );
  private readonly invalidUsage = talliedCounter(
    this.registry,
    "keyplane_upstream_usage_invalid_total",
    "Usage numbers in upstream answers ignored as not believable (not whole, negative, or past 1e9), per project.",
    ["project"],
  );

  private readonly leakedKeys = talliedCounter(this.registry, "keyplane_leaked_keys_total", "Keys marked leaked by a leak report, per project.", ["project"]);

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  recordRequest(route: string, method: string, status: number, seconds: number) {
    const labels = { route, method, status };
    this.requests(`${route} ${method} ${status}`, () => labels);
    this.duration.observe(labels, seconds);
  }

  recordGateway(outcome: string) {
    this.gateway(outcome, () => ({ outcome }));
  }

  /** Per-project gateway counters: calls by outcome, and the tokens admitted calls reported. */
  recordProjectCall(project: string, outcome: string, tokens: { prompt: number; completion: number; invalid?: number } | undefined) {
    this.projectCalls(`${project} ${outcome}`, () => ({ project, outcome }));
    if (!tokens) return;
    if (tokens.invalid) this.invalidUsage(project, () => ({ project }), tokens.invalid);
    this.projectTokens(`${project} prompt`, () => ({ project, kind: "prompt" }), tokens.prompt);
    this.projectTokens(`${project} completion`, () => ({ project, kind: "completion" }), tokens.completion);
  }

  recordLeak(project: string) {
    this.leakedKeys(project, () => ({ project }));
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
