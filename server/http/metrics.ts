import { Counter, collectDefaultMetrics, type Histogram, Registry } from "prom-client";

// Latencies from a cache hit (sub-millisecond) to a long streamed upstream answer.
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type LabelValue = string | number;
type Labels = Record<string, LabelValue>;

/**
 * A metric's series, found by their label values through one Map per label: a call on the
 * hot path builds no id string, no labels object and no closure (each costs more than the
 * count itself). prom-client's own inc and observe hash their labels at every call.
 */
class SeriesByLabels<S> {
  private readonly root = new Map<LabelValue, unknown>();
  readonly all: { labels: Labels; series: S }[] = [];

  constructor(
    private readonly names: readonly string[],
    private readonly make: () => S,
  ) {}

  of(values: readonly LabelValue[]): S {
    let level = this.root;
    for (let i = 0; i < values.length - 1; i++) {
      let next = level.get(values[i]) as Map<LabelValue, unknown> | undefined;
      if (!next) {
        next = new Map();
        level.set(values[i], next);
      }
      level = next;
    }
    const last = values[values.length - 1];
    let series = level.get(last) as S | undefined;
    if (series === undefined) {
      series = this.make();
      level.set(last, series);
      this.all.push({ labels: Object.fromEntries(this.names.map((n, i) => [n, values[i]])), series });
    }
    return series;
  }

  clear(): void {
    this.root.clear();
    this.all.length = 0;
  }
}

/** A counter tallied on the hot path and handed to prom-client when scraped: `add(n, ...labelValues)`. */
function talliedCounter(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
  const tallies = new SeriesByLabels(labelNames, () => ({ n: 0 }));
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const t of tallies.all) this.inc(t.labels, t.series.n);
    },
  });
  return (n: number, ...values: LabelValue[]) => {
    // What reaches a counter is whole and finite, so a scrape can never fail on data.
    if (!Number.isSafeInteger(n) || n < 0) return;
    tallies.of(values).n += n;
  };
}

/** A histogram tallied the same way, rendered as prom-client renders its own: `observe(value, ...labelValues)`. */
function talliedHistogram(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly string[],
  buckets: readonly number[],
) {
  const series = new SeriesByLabels(labelNames, () => ({ counts: buckets.map(() => 0), sum: 0, n: 0 }));
  const metric = {
    name,
    help,
    type: "histogram",
    get: () => ({
      name,
      help,
      type: "histogram",
      aggregator: "sum",
      values: series.all.flatMap(({ labels, series: s }) => {
        // Bucket counts are cumulative: each holds every value at or below its bound.
        let below = 0;
        return [
          ...buckets.map((le, i) => {
            below += s.counts[i];
            return { labels: { le }, sharedLabels: labels, value: below, metricName: `${name}_bucket` };
          }),
          { labels: { le: "+Inf" }, sharedLabels: labels, value: s.n, metricName: `${name}_bucket` },
          { labels: {}, sharedLabels: labels, value: s.sum, metricName: `${name}_sum` },
          { labels: {}, sharedLabels: labels, value: s.n, metricName: `${name}_count` },
        ];
      }),
    }),
    reset: () => series.clear(),
  };
  registry.registerMetric(metric as unknown as Histogram);
  return (value: number, ...values: LabelValue[]) => {
    if (!Number.isFinite(value)) return;
    const s = series.of(values);
    for (let i = 0; i < buckets.length; i++) {
      if (value <= buckets[i]) {
        s.counts[i]++;
        break;
      }
    }
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
  private readonly duration = talliedHistogram(
    this.registry,
    "keyplane_http_request_duration_seconds",
    "Time from a request to the last byte of its answer (a streamed answer ends with its stream), by route, method and status.",
    ["route", "method", "status"],
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
    this.requests(1, route, method, status);
    this.duration(seconds, route, method, status);
  }

  recordGateway(outcome: string) {
    this.gateway(1, outcome);
  }

  /** Per-project gateway counters: calls by outcome, and the tokens admitted calls reported. */
  recordProjectCall(
    project: string,
    outcome: string,
    tokens: { prompt: number; completion: number; invalid?: number } | undefined,
  ) {
    this.projectCalls(1, project, outcome);
    if (!tokens) return;
    if (tokens.invalid) this.invalidUsage(tokens.invalid, project);
    this.projectTokens(tokens.prompt, project, "prompt");
    this.projectTokens(tokens.completion, project, "completion");
  }

  recordLeak(project: string) {
    this.leakedKeys(1, project);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
