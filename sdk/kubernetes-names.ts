import * as pulumi from "@pulumi/pulumi";

// Checks that the Kubernetes helpers run while the program is evaluated, so `pulumi preview`
// names the bad field instead of the API server refusing the object during `up`.

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const RULES = {
  namespace: (v: string) =>
    v.length <= 63 && LABEL.test(v)
      ? undefined
      : "is not a valid Kubernetes namespace (at most 63 of a-z, 0-9 and '-', alphanumeric at both ends)",
  name: (v: string) =>
    v.length <= 253 && SUBDOMAIN.test(v)
      ? undefined
      : "is not a valid Kubernetes object name (at most 253 of a-z, 0-9, '-' and '.', alphanumeric at both ends)",
  serviceName: (v: string) =>
    v.length <= 63 && LABEL.test(v) && /^[a-z]/.test(v)
      ? undefined
      : "is not a valid Kubernetes Service name (at most 63 of a-z, 0-9 and '-', starting with a letter)",
  envName: (v: string) =>
    ENV_NAME.test(v)
      ? undefined
      : "is not an environment variable name (letters, digits and '_', not starting with a digit)",
  key: (v: string) =>
    v.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(v)
      ? undefined
      : "is not a valid Secret key (letters, digits, '-', '_' and '.')",
};
export type NameRule = keyof typeof RULES;

/** Throws, naming `field`, when `value` breaks `rule`; an Output is checked once it is known. */
export function checkName(
  field: string,
  rule: NameRule,
  value: pulumi.Input<string>,
  resource?: pulumi.Resource,
): pulumi.Output<string> {
  const check = (v: string) => {
    const why = typeof v === "string" ? RULES[rule](v) : "must be a string";
    if (why) throw fieldError(field, `${JSON.stringify(v)} ${why}`, resource);
    return v;
  };
  if (!pulumi.Output.isInstance(value) && !(value instanceof Promise)) check(value as string);
  return pulumi.output(value).apply(check);
}

/** The error a bad argument raises: the field first, and no stack trace in Pulumi's output. */
export function fieldError(field: string, message: string, resource?: pulumi.Resource): Error {
  const text = `${field}: ${message}`;
  return resource ? new pulumi.ResourceError(text, resource) : new pulumi.RunError(text);
}
