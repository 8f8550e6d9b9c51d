import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkName, fieldError } from "./kubernetes-names";

/** One entry of a Kubernetes Secret in the server's namespace, read by the pod through `secretKeyRef`. */
export interface SecretKeyRef {
  /** The Secret's name (e.g. `credentials.metadata.name`, so the server waits for it). */
  name: pulumi.Input<string>;
  /** The entry in its data. */
  key: pulumi.Input<string>;
}

export interface KeyplaneServerArgs {
  namespace: pulumi.Input<string>;
  /** The keyplane-server image (built from the repository's Dockerfile), e.g. `registry.example.com/keyplane-server:0.1.0`. */
  image: pulumi.Input<string>;
  /** Pods to run (default 1). More than one needs `databaseUrl`: replicas share PostgreSQL. */
  replicas?: pulumi.Input<number>;
  /** The 32-byte master key (64 hex digits or base64) that encrypts secrets at rest: KEYPLANE_MASTER_KEY. */
  masterKey: SecretKeyRef;
  /** The admin token (at least 16 characters): KEYPLANE_ADMIN_TOKEN. */
  adminToken: SecretKeyRef;
  /** A `postgres://` URL: KEYPLANE_DATABASE_URL. Without it the server keeps SQLite in an emptyDir, lost with the pod. */
  databaseUrl?: SecretKeyRef;
  /** A `redis://` URL for rate limits shared across replicas: KEYPLANE_REDIS_URL. */
  redisUrl?: SecretKeyRef;
  /** Container resources; requests default to 100m CPU and 128Mi memory. */
  resources?: pulumi.Input<k8s.types.input.core.v1.ResourceRequirements>;
  /** Secrets for pulling the image (e.g. a `kubernetesSecret` of an image-pull keyplane Secret). */
  imagePullSecrets?: pulumi.Input<string>[];
  /** Port of the container and the Service (default 8420). */
  port?: number;
  /**
   * Do not wait for the Deployment's pods to become ready or the Service to get endpoints
   * (`pulumi.com/skipAwait`), e.g. on a cluster whose nodes cannot pull the image yet.
   */
  skipAwait?: boolean;
}

const DEFAULT_PORT = 8420;
// A fixed non-root id, so the pod runs the same whatever user the image declares.
const SERVER_UID = 10001;

/**
 * keyplane-server on a cluster: a Deployment (non-root, read-only root filesystem, probes on
 * /readyz and /healthz), a ClusterIP Service and a PodDisruptionBudget. Credentials reach the pod
 * only as `secretKeyRef`s, never as values in the pod spec.
 */
export class KeyplaneServer extends pulumi.ComponentResource {
  /** The in-cluster base URL, `http://<service>.<namespace>.svc.cluster.local:<port>`. */
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly deployment: k8s.apps.v1.Deployment;
  declare readonly service: k8s.core.v1.Service;
  declare readonly podDisruptionBudget: k8s.policy.v1.PodDisruptionBudget;

  constructor(name: string, args: KeyplaneServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("keyplane:kubernetes:KeyplaneServer", name, {}, opts);
    const port = args.port ?? DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw fieldError("port", `${port} is not a port number`, this);
    checkName("name", "serviceName", name, this);
    const namespace = checkName("namespace", "namespace", args.namespace, this);
    const checkReplicas = (n: number) => {
      if (!Number.isInteger(n) || n < 1) throw fieldError("replicas", `${n} is not a whole number of at least 1`, this);
      if (n > 1 && !args.databaseUrl) {
        throw fieldError(
          "replicas",
          `${n} replicas need databaseUrl (PostgreSQL): SQLite lives in one pod and cannot be shared`,
          this,
        );
      }
      return n;
    };
    // A plain number is refused at once; one from an output as soon as it is known.
    if (typeof args.replicas === "number") checkReplicas(args.replicas);
    const replicas = pulumi.output(args.replicas ?? 1).apply(checkReplicas);
    const labels = { "app.kubernetes.io/name": "keyplane-server", "app.kubernetes.io/instance": name };
    const annotations = args.skipAwait ? { "pulumi.com/skipAwait": "true" } : undefined;
    const fromSecret = (env: string, ref: SecretKeyRef) => ({
      name: env,
      valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
    });
    const env = [
      fromSecret("KEYPLANE_MASTER_KEY", args.masterKey),
      fromSecret("KEYPLANE_ADMIN_TOKEN", args.adminToken),
      ...(args.databaseUrl ? [fromSecret("KEYPLANE_DATABASE_URL", args.databaseUrl)] : []),
      ...(args.redisUrl ? [fromSecret("KEYPLANE_REDIS_URL", args.redisUrl)] : []),
    ];
    const probe = (path: string, periodSeconds: number) => ({
      httpGet: { path, port: "http" },
      periodSeconds,
      timeoutSeconds: 2,
      failureThreshold: 3,
    });
    const child = { parent: this };

    const deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { name, namespace, labels, annotations },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              imagePullSecrets: args.imagePullSecrets?.map((n) => ({ name: n })),
              securityContext: {
                runAsNonRoot: true,
                runAsUser: SERVER_UID,
                runAsGroup: SERVER_UID,
                fsGroup: SERVER_UID,
                seccompProfile: { type: "RuntimeDefault" },
              },
              containers: [
                {
                  name: "keyplane-server",
                  image: args.image,
                  args: ["--host", "0.0.0.0", "--port", String(port), "--data-dir", "/data"],
                  ports: [{ name: "http", containerPort: port }],
                  env,
                  readinessProbe: probe("/readyz", 5),
                  livenessProbe: probe("/healthz", 10),
                  resources: args.resources ?? { requests: { cpu: "100m", memory: "128Mi" } },
                  securityContext: {
                    readOnlyRootFilesystem: true,
                    allowPrivilegeEscalation: false,
                    capabilities: { drop: ["ALL"] },
                  },
                  // The only writable paths: the data dir (SQLite, or nothing with PostgreSQL) and /tmp.
                  volumeMounts: [
                    { name: "data", mountPath: "/data" },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [
                { name: "data", emptyDir: {} },
                { name: "tmp", emptyDir: {} },
              ],
            },
          },
        },
      },
      child,
    );
    const service = new k8s.core.v1.Service(
      name,
      {
        metadata: { name, namespace, labels, annotations },
        spec: { type: "ClusterIP", selector: labels, ports: [{ name: "http", port, targetPort: "http" }] },
      },
      child,
    );
    // One pod at a time may be evicted: drains go on, and with replicas > 1 the rest keep serving.
    const podDisruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
      name,
      { metadata: { name, namespace, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
      child,
    );
    const endpoint = pulumi.interpolate`http://${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local:${port}`;
    Object.assign(this, { endpoint, deployment, service, podDisruptionBudget });
    this.registerOutputs({ endpoint });
  }
}
