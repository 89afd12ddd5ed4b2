/**
 * The AWS SDK's per-service clients, loaded when a command first calls AWS (about 0.2 s and 20 MB each), not for
 * --help, a refusal or a command that never calls AWS.
 */

// The SDK warns on every run under Node 20 that its versions published after the first week of January 2027 will need
// Node 22: a notice for whoever updates the pinned SDK (package.json), not for the user of a command, whose pinned
// version works. A user who sets the variable decides.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const ssmSdk = () => import("@aws-sdk/client-ssm");
export const s3Sdk = () => import("@aws-sdk/client-s3");
export const autoScalingSdk = () => import("@aws-sdk/client-auto-scaling");
