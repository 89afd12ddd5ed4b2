import { BootInput } from "../../src/boot/boot-files";

/** What KeycloakCluster hands the boot, with Terraform's references filled in. */
export const CLUSTER_INPUT: BootInput = {
  mode: "cluster",
  region: "eu-west-3",
  keycloakVersion: "26.7.4",
  parameterPrefix: "/kc/keycloak",
  adminUser: "admin",
  hostname: "sso.example.com",
  database: { endpoint: "kc.abcdefghij.eu-west-3.rds.amazonaws.com", port: "5432" },
  trustedProxyCidrs: "172.31.0.0/16 10.1.0.0/24",
  status: { bucket: "kc-bucket", key: "status/boot.json" },
  launchHook: { groupName: "kc-hosts", hookName: "keycloak-boot" },
};
