/** A few Prometheus counters, by hand: the set is small and fixed. */
export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly gateway = new Map<string, number>();
  private readonly projectCalls = new Map<string, number>();
  private readonly projectTokens = new Map<string, number>();
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

  /** Per-project gateway counters: calls by outcome, and the tokens admitted calls reported. */
  recordProjectCall(projectId: string, outcome: string, tokens: { prompt: number; completion: number } | undefined) {
    const calls = `project="${projectId}",outcome="${outcome}"`;
    this.projectCalls.set(calls, (this.projectCalls.get(calls) ?? 0) + 1);
    if (!tokens) return;
    for (const [kind, n] of [
      ["prompt", tokens.prompt],
      ["completion", tokens.completion],
    ] as const) {
      const id = `project="${projectId}",kind="${kind}"`;
      this.projectTokens.set(id, (this.projectTokens.get(id) ?? 0) + n);
    }
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
      "# HELP keyplane_project_gateway_calls_total Gateway calls per project by outcome (ok or the refusal code).",
      "# TYPE keyplane_project_gateway_calls_total counter",
      ...[...this.projectCalls].map(([labels, n]) => `keyplane_project_gateway_calls_total{${labels}} ${n}`),
      "# HELP keyplane_project_tokens_total Tokens reported by admitted calls' answers, per project and kind (prompt, completion).",
      "# TYPE keyplane_project_tokens_total counter",
      ...[...this.projectTokens].map(([labels, n]) => `keyplane_project_tokens_total{${labels}} ${n}`),
    ];
    return lines.join("\n") + "\n";
  }
}
