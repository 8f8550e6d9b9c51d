import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";

/** A value as a program may pass it inside a Pulumi input: at every depth, each part an Output or a Promise of it. */
type Deep<T> = T extends readonly (infer E)[] ? pulumi.Input<Deep<E>>[] : T extends object ? PulumiInputs<T> : T;

/** Each field a Pulumi input (a union of shapes stays a union: each shape is mapped by itself). */
export type PulumiInputs<T> = { [K in keyof T]: pulumi.Input<Deep<Exclude<T[K], undefined>>> };

type Args<Fields, Defaulted extends keyof Fields> = Omit<Fields, Defaulted | "managedBy"> &
  Partial<Pick<Fields, Defaulted>>;

/**
 * A resource's arguments, derived from its provider's zod inputs (provider/inputs.ts, which
 * holds each field's documentation): every field a Pulumi input; the `Defaulted` ones (`name`,
 * the resource name by default) optional; `managedBy` left out, the SDK sets it.
 */
export type ResourceArgs<Inputs extends z.ZodType, Defaulted extends keyof z.input<Inputs> = never> = PulumiInputs<
  Args<z.input<Inputs>, Defaulted>
>;
