import type { AccessLogEntry, ApiKeyUsage } from "@keyplane/api";
import { type Handlers, iso, isoOrNull, type Services } from "../http/context";
import { found } from "../http/errors";
import { findProject } from "../projects/handlers";
import { listAccessLog } from "../store/access-log";
import { findApiKey } from "../store/api-keys";
import type { Db } from "../store/database";
import type { AccessLogRow } from "../store/schema";
import { usageOfKey } from "../store/usage";

const toEntry = (r: AccessLogRow): AccessLogEntry => ({
  id: r.id,
  at: iso(r.at),
  apiKeyId: r.api_key_id,
  deployment: r.deployment,
  outcome: r.outcome,
  status: r.status,
  clientAddress: r.client,
});

/** Any key of the path's project, revoked ones too: after revoking a leaked key, its calls are what one reviews. */
async function findAnyKey(db: Db, projectId: string, id: string) {
  return found(await findApiKey(db, projectId, id), `api key ${id}`);
}

/** Entries older than the retention are never shown, whether or not the sweep has deleted them yet. */
const sinceOf = (ctx: Services, since: string | undefined) =>
  Math.max(since ? Date.parse(since) : 0, ctx.now() - ctx.usage.retentionMs);

export const usageHandlers = {
  async getApiKeyUsage(ctx) {
    await ctx.usage.flush(); // what this server has counted so far is in the answer
    const key = await findAnyKey(ctx.db, ctx.params.projectId, ctx.params.id);
    const zero = () => ({ requests: 0, promptTokens: 0, completionTokens: 0 });
    const totals = zero();
    const byDeployment = new Map<string, ApiKeyUsage["deployments"][number]>();
    for (const r of await usageOfKey(ctx.db, key.id)) {
      let d = byDeployment.get(r.deployment_id);
      if (!d) {
        d = { deploymentId: r.deployment_id, deployment: r.deployment, ...zero(), days: [] };
        byDeployment.set(r.deployment_id, d);
      }
      d.days.push({
        day: r.day,
        requests: r.requests,
        promptTokens: r.prompt_tokens,
        completionTokens: r.completion_tokens,
      });
      for (const sum of [d, totals]) {
        sum.requests += r.requests;
        sum.promptTokens += r.prompt_tokens;
        sum.completionTokens += r.completion_tokens;
      }
    }
    return {
      apiKeyId: key.id,
      lastUsedAt: isoOrNull(key.last_used_at),
      totals,
      deployments: [...byDeployment.values()],
    };
  },

  async listKeyAccessLog(ctx) {
    await ctx.usage.flush();
    const key = await findAnyKey(ctx.db, ctx.params.projectId, ctx.params.id);
    const rows = await listAccessLog(ctx.db, {
      projectId: key.project_id,
      apiKeyId: key.id,
      outcome: ctx.query.outcome,
      since: sinceOf(ctx, ctx.query.since),
      limit: ctx.query.limit ?? 1000,
    });
    return { items: rows.map(toEntry) };
  },

  async listAccessLog(ctx) {
    await ctx.usage.flush();
    const project = await findProject(ctx.db, ctx.params.projectId);
    const rows = await listAccessLog(ctx.db, {
      projectId: project.id,
      outcome: ctx.query.outcome,
      since: sinceOf(ctx, ctx.query.since),
      limit: ctx.query.limit ?? 1000,
    });
    return { items: rows.map(toEntry) };
  },
} satisfies Partial<Handlers>;
