/**
 * The AWS SDK's per-service clients, loaded when a command first calls AWS (about 0.2 s and 20 MB each), not for
 * --help, a refusal or a command that never calls AWS.
 */
export const ssmSdk = () => import("@aws-sdk/client-ssm");
export const s3Sdk = () => import("@aws-sdk/client-s3");
export const autoScalingSdk = () => import("@aws-sdk/client-auto-scaling");
