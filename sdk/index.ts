export { Project, type ProjectArgs } from "./project";
export { Deployment, type DeploymentArgs } from "./deployment";
export { ApiKey, type ApiKeyArgs } from "./api-key";
export { DeploymentBinding, type DeploymentBindingArgs } from "./deployment-binding";
export { Secret, type SecretArgs, type SecretUseCase, type SecretValue, type SecretValueInput } from "./secret";
