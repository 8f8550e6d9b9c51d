import { PolicyPack } from "@pulumi/policy";
import { bindingSameProject, keyMustBeBound } from "./policies/bindings";
import { keyMaxTtl } from "./policies/key-max-ttl";
import { keyRateLimit } from "./policies/key-rate-limit";
import { keyLeastPrivilegeScope, keyNoAllDeployments } from "./policies/key-scope";
import { noLeakedKeys } from "./policies/no-leaked-keys";
import { rotationGraceMax } from "./policies/rotation-grace-max";
import { secretUpstreamsPinned } from "./policies/secret-upstreams-pinned";
import { secretUseCase } from "./policies/secret-use-case";
import { usageLimitForLabelledKeys } from "./policies/usage-limit";

// One policy a line, so packs of policies added on other branches merge cleanly.
new PolicyPack("keyplane", {
  description: "Least-privilege scoping and maximum lifetimes for keyplane API keys, bindings and secrets.",
  policies: [
    keyMaxTtl,
    keyLeastPrivilegeScope,
    keyNoAllDeployments,
    keyMustBeBound,
    bindingSameProject,
    usageLimitForLabelledKeys,
    secretUseCase,
    keyRateLimit,
    rotationGraceMax,
    secretUpstreamsPinned,
    noLeakedKeys,
  ],
});
