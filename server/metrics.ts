/** A few Prometheus counters, by hand: the set is small and fixed. */
export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly gateway = new Map<string, number>();
  private durationSum = 0;
  private durationCount = 0;

  recordRequest(route: string, method: string, status: number, seconds: number) {
    const key = `route="${route}",method="${method}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    this.durationSum += seconds;
    this.durationCount += 1;
  }

  recordGateway(outcome: string) {
    this.gateway.set(outcome, (this.gateway.get(outcome) ?? 0) + 1);
  }

  render(): string {
    const lines = [
      "# HELP keyplane_http_requests_total HTTP requests by route, method and status.",
      "# TYPE keyplane_http_requests_total counter",
      ...[...this.requests].map(([labels, n]) => `keyplane_http_requests_total{${labels}} ${n}`),
      "# HELP keyplane_http_request_duration_seconds Time spent answering requests.",
      "# TYPE keyplane_http_request_duration_seconds summary",
      `keyplane_http_request_duration_seconds_sum ${this.durationSum}`,
      `keyplane_http_request_duration_seconds_count ${this.durationCount}`,
      "# HELP keyplane_gateway_decisions_total Gateway answers by outcome (ok or the refusal code).",
      "# TYPE keyplane_gateway_decisions_total counter",
      ...[...this.gateway].map(([outcome, n]) => `keyplane_gateway_decisions_total{outcome="${outcome}"} ${n}`),
    ];
    return lines.join("\n") + "\n";
  }
}
