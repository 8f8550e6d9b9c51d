import type { schemas } from "@keyplane/api";
import type { z } from "zod";
import { recordAudit } from "../audit/record";
import type { Principal, Services } from "../http/context";
import { isWellFormedApiKey } from "../keys/format";
import { apiKeyByHash, markLeaked } from "../store/api-keys";
import type { Db } from "../store/database";
import { endReplaysOf } from "../store/idempotency";

type Report = z.infer<typeof schemas.LeakReport>;
type Answer = z.infer<typeof schemas.LeakReportAnswer>;

/** Who reports: a scanner (any project's keys) or a management principal (a project key: its own project's only). */
export type Reporter = { kind: "scanner"; name: string } | { kind: "principal"; principal: Principal };

/**
 * Marks every reported live key leaked, in the caller's transaction, and labels each token as
 * the partner program expects. A token that fails the checksum is a false positive without a
 * lookup. What is kept of a report is the key id and where it was found; never the token.
 */
export async function applyLeakReport(
  services: Services,
  db: Db,
  reporter: Reporter,
  report: Report,
): Promise<{ answer: Answer; leaked: { keyId: string; projectId: string }[] }> {
  const now = services.now();
  const answer: Answer = [];
  const leaked: { keyId: string; projectId: string }[] = [];
  const onlyProject =
    reporter.kind === "principal" && reporter.principal.kind === "key" ? reporter.principal.projectId : undefined;
  const who = reporter.kind === "scanner" ? reporter.name : reporter.principal;
  for (const item of report) {
    const row = isWellFormedApiKey(item.token)
      ? await apiKeyByHash(db, services.keyring.hashApiKey(item.token))
      : undefined;
    // Another project's key is as unknown to a project key as a made-up one.
    const known = row !== undefined && (onlyProject === undefined || row.project_id === onlyProject);
    answer.push({ token_raw: item.token, token_type: item.type, label: known ? "true_positive" : "false_positive" });
    if (!known || row.revoked_at !== null) continue;
    const where = { source: item.source ?? null, url: item.url ?? null };
    const first = await markLeaked(db, row.id, now, where);
    if (first) {
      leaked.push({ keyId: row.id, projectId: row.project_id });
      // A create retried with the same Idempotency-Key must never hand the leaked key back.
      await endReplaysOf(db, row.id);
    }
    await recordAudit(db, who, now, {
      projectId: row.project_id,
      action: "api_key.leak",
      targetType: "api_key",
      targetId: row.id,
      details: { name: row.name, type: item.type, ...where, first },
    });
  }
  return { answer, leaked };
}
