import { Construct } from "constructs";
import { ArticleStack } from "../article/stack";
import { KeycloakEc2Config } from "../config/schema";
import { DeploymentStack } from "./deployment-stack";
import { KeycloakStack } from "./keycloak-stack";

/** The stack a config describes: the guide's own, or a Keycloak deployment. */
export function stackFor(scope: Construct, config: KeycloakEc2Config): DeploymentStack {
  return config.profile === "article" ? new ArticleStack(scope, config) : new KeycloakStack(scope, config);
}

export { DeploymentStack, PROJECT_DIR_FROM_STACK_DIR } from "./deployment-stack";
export { KeycloakStack } from "./keycloak-stack";
