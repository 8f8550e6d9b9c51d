import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { changedFields, checkInputs } from "./check";
import type { KeyplaneClient } from "./client";
import { clientFor, configureFromStack } from "./connect";

type Fields = Record<string, unknown>;
/** A field of a kind's inputs. */
type Field<In> = keyof In & string;
type Created<State> = { id: string; outs: State };

/**
 * What differs between the five kinds; everything else about a provider is the same. `In` is
 * what the kind's zod inputs (provider/inputs.ts) accept, as a program sets them (check passes
 * them on unparsed); `Obj` the server's object; `State` what state keeps: the outputs, which
 * the engine hands back as `olds` and to read and delete.
 */
export interface KindSpec<In extends Fields, Obj extends { id: string }, State extends Fields> {
  /** check's schema: bad fields are named at preview, before any API call. */
  inputs: z.ZodType<unknown, In>;
  /** The object's URL; without an id, the collection it is created in. */
  path(props: In | State, id?: string): string;
  response: z.ZodType;
  /** The create's answer, when it says more than a GET (a key's secret). */
  createResponse?: z.ZodType;
  /** Inputs whose change replaces the object, and those updated in place. */
  replaceOn: readonly Field<In>[];
  updateOn: readonly Field<In>[];
  /** What the server assumes for an unset input, so unset and default compare equal. */
  defaults?: Partial<In>;
  /** Names are unique per project: a replacement deletes the old object first. */
  deleteBeforeReplace?: boolean;
  stables?: (keyof State & string)[];
  createBody(inputs: In): Fields;
  /** State: the inputs (for later diffs) beside what the server says; `olds` is the state before. */
  outputs(inputs: In, obj: Obj, olds?: State): State;
  /** The program's inputs as state keeps them, for a read. */
  inputsInState(state: State): In;
  update(client: KeyplaneClient, id: string, olds: State, news: In, changed: Field<In>[]): Promise<Obj>;
  /** Decisions beyond field changes (a key's renewal or replacement as it nears expiry). */
  diff?(olds: State, news: In): { replaces: string[]; changes: string[] };
  /** Instead of the crash-safe POST, which it may still call (a binding's PUT, an adopted key). */
  create?(client: KeyplaneClient, inputs: In, post: () => Promise<Created<State>>): Promise<Created<State>>;
  /** A replayed create whose object must not stand for this resource (a key itself due for replacement). */
  staleReplay?(obj: Obj, inputs: In): boolean;
  /** Instead of a GET of path(props, id). */
  find?(client: KeyplaneClient, id: string, props: State): Promise<Obj | undefined>;
  deletePath?(props: State, id: string): string;
}

/** Earlier releases stored the provider's connection in every resource; it is never kept again. */
const LEGACY_CONNECTION = "__connection";
/** Where Pulumi keeps a dynamic resource's serialized provider, in its inputs and outputs. */
const PROVIDER = "__provider";
/** What the engine adds to every resource's inputs and state besides the kind's own fields. */
type Engine = { [PROVIDER]?: unknown; [LEGACY_CONNECTION]?: { endpoint?: string; token?: string } };

/** What a create's Idempotency-Key is derived from: every input the program set (not the engine's `__` fields). */
const requestIdentity = (inputs: Fields) =>
  Object.fromEntries(
    Object.entries(inputs)
      .filter(([k]) => !k.startsWith("__"))
      .sort(([a], [b]) => a.localeCompare(b)),
  );

function withoutLegacy(props: Fields): Fields {
  const { [LEGACY_CONNECTION]: _legacy, ...rest } = props;
  return rest;
}

/**
 * A dynamic provider for one kind. Creates are crash-safe: each sends an Idempotency-Key
 * derived from the caller, the owning resource (managedBy: stack and URN) and the request, so
 * the create a killed `pulumi up` made is replayed by the next run instead of made twice (and
 * a unique name is not "taken" by our own earlier attempt). The server ends a replay when
 * the object is deleted, so a recreate after an out-of-band delete makes a new object.
 */
export function resourceKind<In extends Fields, Obj extends { id: string }, State extends Fields>(
  spec: KindSpec<In, Obj, State>,
): pulumi.dynamic.ResourceProvider {
  // Objects this process has diffed are in state. A create that replays one of them is a
  // replacement with unchanged inputs (`up --replace`, a renewal at its cap), never a rerun
  // after a crash (whose first object state never got), and must make a new object.
  const inState = new Set<string>();
  // Objects a create here got back by replay. `up --replace` of a resource whose inputs did not
  // change looks, to a provider, like a rerun (the engine calls neither diff nor anything else
  // with the old id first), so its create gets the same object back; the delete of "the old
  // one" that follows must then leave it alone, or state would hold a revoked key.
  const replayedHere = new Set<string>();
  return {
    async configure(req) {
      configureFromStack(req);
    },

    async check(_olds, news: Fields) {
      return checkInputs(spec.inputs, withoutLegacy(news));
    },

    async diff(id: string, olds: State & Engine, news: In & Engine) {
      const o = { ...spec.defaults, ...olds };
      const n = { ...spec.defaults, ...news };
      const extra = spec.diff?.(olds, news) ?? { replaces: [], changes: [] };
      const replaces = [...new Set([...changedFields(o, n, spec.replaceOn), ...extra.replaces])];
      const changes = [...new Set([...replaces, ...changedFields(o, n, spec.updateOn), ...extra.changes])];
      // A no-change step keeps outputs as they are, so state an earlier release wrote (a
      // connection, its larger serialized provider) is rewritten by an update.
      const legacy =
        LEGACY_CONNECTION in olds || (typeof news[PROVIDER] === "string" && olds[PROVIDER] !== news[PROVIDER]);
      inState.add(id);
      return {
        changes: changes.length > 0 || legacy,
        replaces,
        deleteBeforeReplace: spec.deleteBeforeReplace ?? false,
        stables: spec.stables,
      };
    },

    async create(inputs: In) {
      const client = clientFor();
      const post = async () => {
        const path = spec.path(inputs);
        const body = spec.createBody(inputs);
        let idempotencyKey = client.derivedIdempotencyKey(path, requestIdentity(inputs));
        for (;;) {
          const { data, replayed } = await client.create<Obj>(
            path,
            body,
            spec.createResponse ?? spec.response,
            idempotencyKey,
          );
          if (!replayed || !(inState.has(data.id) || spec.staleReplay?.(data, inputs))) {
            if (replayed) replayedHere.add(data.id);
            return { id: data.id, outs: spec.outputs(inputs, data) };
          }
          // The next generation of the same request: a rerun after a crash derives it again.
          idempotencyKey = client.derivedIdempotencyKey(idempotencyKey, data.id);
        }
      };
      return spec.create ? spec.create(client, inputs, post) : post();
    },

    async read(id: string, props: State & Engine) {
      const client = clientFor(props);
      const obj = spec.find
        ? await spec.find(client, id, props)
        : await client.find<Obj>({ method: "GET", path: spec.path(props, id), response: spec.response });
      // Gone on the server: refresh drops it from state, and the next up creates it again.
      if (!obj) return {};
      // A stored connection stays until the next up rewrites the resource: until then, it
      // is what delete falls back on.
      return { id, props: spec.outputs(spec.inputsInState(props), obj, props) };
    },

    async update(id: string, olds: State, news: In) {
      const changed = changedFields({ ...spec.defaults, ...olds }, { ...spec.defaults, ...news }, spec.updateOn);
      const obj = await spec.update(clientFor(), id, olds, news, changed);
      return { outs: spec.outputs(news, obj, olds) };
    },

    async delete(id: string, props: State & Engine) {
      if (replayedHere.has(id)) {
        console.warn(
          `keyplane: ${id} replaced by itself (its inputs did not change); it is kept. To rotate a key, change rotationTrigger.`,
        );
        return;
      }
      // Already gone is fine: the goal is that it does not exist.
      await clientFor(props).find({ method: "DELETE", path: spec.deletePath?.(props, id) ?? spec.path(props, id) });
    },
  };
}
