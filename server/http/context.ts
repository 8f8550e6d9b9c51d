import type { ROUTES } from "@keyplane/api";
import type { z } from "zod";
import type { Keyring } from "../crypto/keyring";
import type { Db } from "../store/database";

/** Who a management call, or a console session, acts as. */
export type Principal = { kind: "admin" } | { kind: "key"; keyId: string; projectId: string };

export const principalName = (p: Principal) => (p.kind === "admin" ? "admin" : `key:${p.keyId}`);

/** What handlers read of the usage recorder (usage/recorder.ts). */
export interface CountedUsage {
  /** Writes what this server has counted so far, so an answer includes it. */
  flush(): Promise<void>;
  /** How long access-log entries are kept. */
  readonly retentionMs: number;
}

/** What every handler gets: the database (a transaction for writes), the clock, the keyring, counted usage. */
export interface Services {
  db: Db;
  keyring: Keyring;
  now: () => number;
  usage: CountedUsage;
}

/** What a management write acts with: the services, and who asked. */
export interface Acting extends Services {
  principal: Principal;
}

type ManagementRoute = Extract<(typeof ROUTES)[number], { auth: "admin" | "management" }>;
export type OperationId = ManagementRoute["operationId"];
type RouteOf<Op extends OperationId> = Extract<ManagementRoute, { operationId: Op }>;
type Parsed<R, Field extends string> = R extends { [F in Field]: infer S extends z.ZodType } ? z.output<S> : undefined;
/** `/v1/projects/:projectId/api-keys/:id` → "projectId" | "id". */
type ParamNames<Url extends string> = Url extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<Rest>
  : Url extends `${string}:${infer Name}`
    ? Name
    : never;

/** A management route's call: path parameters, body and query as its route-table entry's schemas parse them. */
export interface RequestContext<Op extends OperationId> extends Acting {
  params: { [P in ParamNames<RouteOf<Op>["url"]>]: string };
  body: Parsed<RouteOf<Op>, "body">;
  query: Parsed<RouteOf<Op>, "query">;
}

/** What a route answers: its response schema's shape, or nothing (204). */
type Answer<Op extends OperationId> =
  RouteOf<Op> extends { response: infer S extends z.ZodType } ? z.input<S> : undefined;

/** The handlers of some management routes, each typed from its entry in the route table. */
export type Handlers<Ops extends OperationId = OperationId> = {
  [Op in Ops]: (ctx: RequestContext<Op>) => Promise<Answer<Op>>;
};

export const iso = (ms: number) => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
