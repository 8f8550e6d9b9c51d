export { ApiKey, type ApiKeyArgs } from "./api-key";
export { Deployment, type DeploymentArgs } from "./deployment";
export { DeploymentBinding, type DeploymentBindingArgs } from "./deployment-binding";
export { Project, type ProjectArgs } from "./project";
export { Secret, type SecretArgs, type SecretUseCase, type SecretValue, type SecretValueInput } from "./secret";
