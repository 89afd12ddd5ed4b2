import { Construct } from "constructs";
import { ArticleStack } from "../article/stack";
import { KeycloakEc2Config } from "../config/schema";
import { DeploymentStack } from "./deployment-stack";
import { KeycloakClusterStack } from "./cluster-stack";
import { KeycloakStack } from "./keycloak-stack";

/** The stack a config describes: the guide's own, a Keycloak deployment on one instance, or a cluster. */
export function stackFor(scope: Construct, config: KeycloakEc2Config): DeploymentStack {
  if (config.profile === "article") return new ArticleStack(scope, config);
  if (config.profile === "cluster") return new KeycloakClusterStack(scope, config);
  return new KeycloakStack(scope, config);
}

export { DeploymentStack, PROJECT_DIR_FROM_STACK_DIR } from "./deployment-stack";
export { KeycloakClusterStack } from "./cluster-stack";
export { KeycloakStack } from "./keycloak-stack";
