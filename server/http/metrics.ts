import { Counter, collectDefaultMetrics, type Histogram, Registry } from "prom-client";

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

/**
 * A histogram tallied the same way (prom-client's observe validates and hashes its labels at
 * every call, about 0.6 µs), and rendered as prom-client renders its own.
 */
function talliedHistogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  buckets: readonly number[],
) {
  const series = new Map<string, { labels: Labels<L>; counts: number[]; sum: number; n: number }>();
  const metric = {
    name,
    help,
    type: "histogram",
    get: () => ({
      name,
      help,
      type: "histogram",
      aggregator: "sum",
      values: [...series.values()].flatMap((s) => {
        // Bucket counts are cumulative: each holds every value at or below its bound.
        let below = 0;
        return [
          ...buckets.map((le, i) => {
            below += s.counts[i];
            return { labels: { le }, sharedLabels: s.labels, value: below, metricName: `${name}_bucket` };
          }),
          { labels: { le: "+Inf" }, sharedLabels: s.labels, value: s.n, metricName: `${name}_bucket` },
          { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${name}_sum` },
          { labels: {}, sharedLabels: s.labels, value: s.n, metricName: `${name}_count` },
        ];
      }),
    }),
    reset: () => series.clear(),
  };
  registry.registerMetric(metric as unknown as Histogram);
  return (id: string, labels: () => Labels<L>, value: number) => {
    if (!Number.isFinite(value)) return;
    let s = series.get(id);
    if (!s) {
      s = { labels: labels(), counts: buckets.map(() => 0), sum: 0, n: 0 };
      series.set(id, s);
    }
    const i = buckets.findIndex((le) => value <= le);
    if (i >= 0) s.counts[i]++;
    s.sum += value;
    s.n++;
  };
}

/** The server's Prometheus metrics, one registry per app (tests run several apps in a process). */
export class Metrics {
  private readonly registry = new Registry();
  private readonly requests = talliedCounter(
    this.registry,
    "keyplane_http_requests_total",
    "HTTP requests by route, method and status.",
    ["route", "method", "status"],
  );
  private readonly duration = talliedHistogram<"route" | "method" | "status">(
    this.registry,
    "keyplane_http_request_duration_seconds",
    "Time from a request to the last byte of its answer (a streamed answer ends with its stream), by route, method and status.",
    DURATION_BUCKETS,
  );
  private readonly gateway = talliedCounter(
    this.registry,
    "keyplane_gateway_decisions_total",
    "Gateway answers by outcome (ok or the refusal code).",
    ["outcome"],
  );
  private readonly projectCalls = talliedCounter(
    this.registry,
    "keyplane_project_gateway_calls_total",
    "Gateway calls per project by outcome (ok or the refusal code).",
    ["project", "outcome"],
  );
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

  private readonly leakedKeys = talliedCounter(
    this.registry,
    "keyplane_leaked_keys_total",
    "Keys marked leaked by a leak report, per project.",
    ["project"],
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  recordRequest(route: string, method: string, status: number, seconds: number) {
    const id = `${route} ${method} ${status}`;
    const labels = () => ({ route, method, status });
    this.requests(id, labels);
    this.duration(id, labels, seconds);
  }

  recordGateway(outcome: string) {
    this.gateway(outcome, () => ({ outcome }));
  }

  /** Per-project gateway counters: calls by outcome, and the tokens admitted calls reported. */
  recordProjectCall(
    project: string,
    outcome: string,
    tokens: { prompt: number; completion: number; invalid?: number } | undefined,
  ) {
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
