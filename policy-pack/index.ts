import { PolicyPack } from "@pulumi/policy";
import { keyMaxTtl } from "./policies/key-max-ttl";
import { renewableKeyMaxLifetime } from "./policies/renewable-key-max-lifetime";
import { keyLeastPrivilegeScope, keyNoAllDeployments } from "./policies/key-scope";
import { usageLimitForLabelledKeys } from "./policies/usage-limit";
import { secretUseCase } from "./policies/secret-use-case";
import { bindingSameProject, keyMustBeBound } from "./policies/bindings";
import { keyRateLimit } from "./policies/key-rate-limit";
import { rotationGraceMax } from "./policies/rotation-grace-max";

new PolicyPack("keyplane", {
  description: "Least-privilege scoping and maximum lifetimes for keyplane API keys, bindings and secrets.",
  policies: [
    keyMaxTtl,
    renewableKeyMaxLifetime,
    keyLeastPrivilegeScope,
    keyNoAllDeployments,
    keyMustBeBound,
    bindingSameProject,
    usageLimitForLabelledKeys,
    secretUseCase,
    keyRateLimit,
    rotationGraceMax,
  ],
});
