import { isArm64InstanceType } from "../../src/aws/instance-types";
import { validateConfig } from "../../src/config/validate";
import { STACK_TAG_KEYS } from "../../src/config/fields";
import { problemsOf } from "../problems";
import { synthesize } from "../stack/synth";

describe("validateConfig: each rule names the field, what is wrong and the fix", () => {
  // [what, config, the one expected problem line]
  const cases: Array<[string, unknown, string]> = [
    [
      "config not an object",
      [],
      'config error: config: the config must be a JSON object, got a list (write { "profile": "production", ... })',
    ],
    [
      "unknown key with a near miss",
      { regoin: "eu-west-3" },
      'config error: regoin: unknown field (did you mean "region"?)',
    ],
    [
      "unknown key far from any",
      { colour: "blue" },
      "config error: colour: unknown field (known fields here: profile, name, region, instanceType, keyName, sshCidrs, httpsCidrs, securityGroupName, instanceName, tags, backend, rootVolumeSize, elasticIp, dataVolumeSize, availabilityZone, dataProtection, backupRetentionDays, followLatestAmi, vpcId, subnetId, adminCidrs, dnsZone, keycloak, subnetIds, cluster, database, accessLogs)",
    ],
    [
      "unknown nested key",
      { keycloak: { versoin: "26.7.4" } },
      'config error: keycloak.versoin: unknown field (did you mean "version"?)',
    ],
    [
      "profile not a profile",
      { profile: "prod" },
      'config error: profile: "prod" is not one of article, dev, production, cluster (did you mean "production"?)',
    ],
    ["profile wrong type", { profile: 3 }, 'config error: profile: must be a string, got 3 (write it in "quotes")'],
    [
      "name with capitals",
      { name: "Keycloak" },
      'config error: name: "Keycloak" must be lower-case letters, digits and dashes, starting with a letter (write e.g. "keycloak-prod")',
    ],
    [
      "name too long",
      { name: "k".repeat(33) },
      'config error: name: is 33 characters long, more than 32 (write e.g. "keycloak-prod")',
    ],
    [
      "region unknown",
      { region: "eu-west-9" },
      'config error: region: "eu-west-9" is not an AWS region (did you mean "eu-west-1"?) (use a region code such as "eu-west-3")',
    ],
    [
      "region written as a name",
      { region: "Paris" },
      'config error: region: "Paris" is not an AWS region (use a region code such as "eu-west-3")',
    ],
    [
      "instance type unknown",
      { instanceType: "t3.smal" },
      'config error: instanceType: "t3.smal" is not an EC2 instance type (did you mean "t3.small"?) (use a type such as "t3.small")',
    ],
    [
      "instance type of a Mac host",
      { instanceType: "mac2.metal" },
      'config error: instanceType: "mac2.metal" runs only on a dedicated Mac host (use a type such as "t3.small")',
    ],
    [
      "arm64 type for the guide's x86_64 image",
      { profile: "article", instanceType: "t4g.micro" },
      'config error: instanceType: "t4g.micro" is arm64 but the guide\'s Amazon Linux 2 AMI is x86_64 (use a type such as "t3.small")',
    ],
    [
      "instance type Amazon Linux 2023 cannot run",
      { instanceType: "a1.medium" },
      'config error: instanceType: Amazon Linux 2023 does not run on the a1 family (use a type such as "t3.small")',
    ],
    [
      "Terraform template in a name",
      { instanceName: "kc-${x}" },
      'config error: instanceName: "kc-${x}" holds "${" or "%{", which Terraform reads as a template (remove "${" and "%{")',
    ],
    [
      "Terraform directive in a security group name",
      { securityGroupName: "kc-%{x}" },
      'config error: securityGroupName: "kc-%{x}" holds "${" or "%{", which Terraform reads as a template (remove "${" and "%{")',
    ],
    [
      "Terraform template in a tag",
      { tags: { team: "${var.x}" } },
      'config error: tags.team: "${var.x}" holds "${" or "%{", which Terraform reads as a template (remove "${" and "%{")',
    ],
    ["key name empty", { keyName: "" }, "config error: keyName: is empty (give the name of an existing EC2 key pair)"],
    [
      "key name not ASCII",
      { keyName: "clé" },
      'config error: keyName: "clé" must be printable ASCII (give the name of an existing EC2 key pair)',
    ],
    [
      "ssh CIDRs not a list",
      { sshCidrs: "10.0.0.0/8" },
      'config error: sshCidrs: must be a list, got "10.0.0.0/8" (write ["..."])',
    ],
    [
      "IPv4 prefix out of range",
      { sshCidrs: ["10.0.0.0/33"] },
      'config error: sshCidrs[0]: "10.0.0.0/33" is not an IPv4 or IPv6 CIDR (write e.g. "203.0.113.7/32" or "2001:db8::/48"; the prefix is 0-32 for IPv4, 0-128 for IPv6)',
    ],
    [
      "IPv6 prefix out of range",
      { sshCidrs: ["2001:db8::/129"] },
      'config error: sshCidrs[0]: "2001:db8::/129" is not an IPv4 or IPv6 CIDR (write e.g. "203.0.113.7/32" or "2001:db8::/48"; the prefix is 0-32 for IPv4, 0-128 for IPv6)',
    ],
    [
      "address without prefix",
      { sshCidrs: ["203.0.113.7"] },
      'config error: sshCidrs[0]: "203.0.113.7" is not an IPv4 or IPv6 CIDR (write e.g. "203.0.113.7/32" or "2001:db8::/48"; the prefix is 0-32 for IPv4, 0-128 for IPv6)',
    ],
    [
      "IPv4 host bits set",
      { sshCidrs: ["10.1.2.3/8"] },
      'config error: sshCidrs[0]: "10.1.2.3/8" has host bits set (write the network address "10.0.0.0/8")',
    ],
    [
      "IPv6 host bits set",
      { httpsCidrs: ["2001:db8::1/64"] },
      'config error: httpsCidrs[0]: "2001:db8::1/64" has host bits set (write the network address "2001:db8::/64")',
    ],
    [
      "CIDR listed twice",
      { sshCidrs: ["10.0.0.0/8", "10.0.0.0/8"] },
      'config error: sshCidrs[1]: "10.0.0.0/8" is listed twice (list it once)',
    ],
    [
      "CIDR not a string",
      { httpsCidrs: [42] },
      'config error: httpsCidrs[0]: must be a string, got 42 (write it in "quotes")',
    ],
    [
      "no one may reach Keycloak",
      { httpsCidrs: [] },
      'config error: httpsCidrs: is empty: nobody could reach Keycloak (list who may connect, e.g. ["0.0.0.0/0", "::/0"])',
    ],
    [
      "security group name sg-",
      { securityGroupName: "sg-keycloak" },
      'config error: securityGroupName: "sg-keycloak" starts with "sg-", which AWS reserves for group ids (use letters, digits, spaces, round brackets and ._-:/#,@[]+=&;{}!$*, e.g. "keycloak-sg")',
    ],
    [
      "security group name with a forbidden character",
      { securityGroupName: "<my-group>" },
      'config error: securityGroupName: "<my-group>" has characters AWS does not allow in a security group name (use letters, digits, spaces, round brackets and ._-:/#,@[]+=&;{}!$*, e.g. "keycloak-sg")',
    ],
    [
      "security group name too long",
      { securityGroupName: "s".repeat(256) },
      'config error: securityGroupName: is 256 characters long, more than 255 (use letters, digits, spaces, round brackets and ._-:/#,@[]+=&;{}!$*, e.g. "keycloak-sg")',
    ],
    [
      "instance name too long for the data volume's Name tag (instanceName-data) to stay within EC2's 256",
      { instanceName: "i".repeat(252) },
      'config error: instanceName: is 252 characters long, more than 251 (a Name tag has 1 to 256 characters, none of them a control character, and the data volume\'s adds "-data": at most 251 here)',
    ],
    ["tags not an object", { tags: ["a"] }, "config error: tags: must be an object, got a list (write { ... })"],
    [
      "tag key too long",
      { tags: { ["k".repeat(128)]: "v" } },
      `config error: tags.${"k".repeat(128)}: key is 128 characters long (tag keys have 1 to 127 characters)`,
    ],
    [
      "tag key reserved by AWS",
      { tags: { "aws:owner": "me" } },
      'config error: tags.aws:owner: keys starting with "aws:" are reserved by AWS (choose another key)',
    ],
    [
      "Name tag set by hand",
      { tags: { Name: "x" } },
      "config error: tags.Name: the Name tag is set from instanceName and securityGroupName (set instanceName instead)",
    ],
    [
      "tag value too long",
      { tags: { team: "v".repeat(257) } },
      "config error: tags.team: value is 257 characters long (tag values have at most 256 characters)",
    ],
    [
      "tag value not a string",
      { tags: { cost: 12 } },
      'config error: tags.cost: must be a string, got 12 (write it in "quotes")',
    ],
    [
      "more tags than S3 takes on the boot bundle's object, with the stack's own",
      { tags: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`t${i}`, "v"])) },
      "config error: tags: has 8 tags besides the stack's own Application, Deployment and ManagedBy (S3 allows 10 tags per object and the boot bundle's object gets them all: keep at most 7)",
    ],
    [
      "root volume too small",
      { rootVolumeSize: 4 },
      "config error: rootVolumeSize: must be a whole number of GiB from 8 to 16384, got 4 (write e.g. 20)",
    ],
    [
      "root volume not whole",
      { rootVolumeSize: 20.5 },
      "config error: rootVolumeSize: must be a whole number of GiB from 8 to 16384, got 20.5 (write e.g. 20)",
    ],
    [
      "boolean as a string",
      { elasticIp: "yes" },
      'config error: elasticIp: must be true or false, got "yes" (write true or false without quotes)',
    ],
    [
      "keycloak not exact",
      { keycloak: { version: "latest" } },
      'config error: keycloak.version: "latest" is not an exact Keycloak 26.x release (write an exact tag such as "26.7.4"; "latest" and other majors are not supported)',
    ],
    [
      "keycloak other major",
      { keycloak: { version: "25.0.6" } },
      'config error: keycloak.version: "25.0.6" is not an exact Keycloak 26.x release (write an exact tag such as "26.7.4"; "latest" and other majors are not supported)',
    ],
    [
      "keycloak release that crashes importing the realm",
      { keycloak: { version: "26.0.7" } },
      'config error: keycloak.version: "26.0.7" crashes at start importing a realm with a service-account client, as every release before 26.0.8 does: docs/design-facts.md §5 (write 26.0.8 or later, e.g. "26.7.4")',
    ],
    [
      "keycloak 26.0.0",
      { keycloak: { version: "26.0.0" } },
      'config error: keycloak.version: "26.0.0" crashes at start importing a realm with a service-account client, as every release before 26.0.8 does: docs/design-facts.md §5 (write 26.0.8 or later, e.g. "26.7.4")',
    ],
    [
      "hostname as a URL",
      { keycloak: { hostname: "https://sso.example.com" } },
      'config error: keycloak.hostname: "https://sso.example.com" is a URL (give the host name only, without scheme, port or path, e.g. "sso.example.com")',
    ],
    [
      "hostname not a DNS name",
      { keycloak: { hostname: "sso_example" } },
      'config error: keycloak.hostname: "sso_example" is not a DNS name (give the host name only, without scheme, port or path, e.g. "sso.example.com")',
    ],
    [
      "hostname an IP address",
      { keycloak: { hostname: "203.0.113.7" } },
      'config error: keycloak.hostname: "203.0.113.7" is not a DNS name (give the host name only, without scheme, port or path, e.g. "sso.example.com")',
    ],
    [
      "admin user with capitals",
      { keycloak: { adminUser: "Admin" } },
      'config error: keycloak.adminUser: "Admin" may only contain lower-case letters, digits and . _ @ - (write e.g. "admin")',
    ],
    [
      "realm named master",
      { keycloak: { realm: { name: "master" } } },
      'config error: keycloak.realm.name: "master" is Keycloak\'s administration realm (choose another name, e.g. "app")',
    ],
    [
      "client ids clash",
      { keycloak: { realm: { bff: { clientId: "spa" } } } },
      'config error: keycloak.realm: client ids must differ, got spa "spa", bff "spa", service "service" (give each client its own clientId)',
    ],
    [
      "redirect URI relative",
      { keycloak: { realm: { spa: { redirectUris: ["/callback"] } } } },
      'config error: keycloak.realm.spa.redirectUris[0]: "/callback" is not an absolute URI (write e.g. "https://app.example.com/callback")',
    ],
    [
      "redirect URI open wildcard",
      { keycloak: { realm: { bff: { redirectUris: ["https://*.example.com/cb"] } } } },
      'config error: keycloak.realm.bff.redirectUris[0]: "https://*.example.com/cb" has a wildcard that is not a final "/*" (Keycloak only matches a trailing /*; list exact URIs)',
    ],
    [
      "redirect URI with fragment",
      { keycloak: { realm: { spa: { redirectUris: ["https://app.example.com/#cb"] } } } },
      'config error: keycloak.realm.spa.redirectUris[0]: "https://app.example.com/#cb" has a fragment (OAuth redirect URIs may not contain #)',
    ],
    [
      "no redirect URI",
      { keycloak: { realm: { spa: { redirectUris: [] } } } },
      "config error: keycloak.realm.spa.redirectUris: is empty: the client could never log anyone in (list at least one URI)",
    ],
    [
      "web origin with a path",
      { keycloak: { realm: { spa: { webOrigins: ["https://app.example.com/app"] } } } },
      'config error: keycloak.realm.spa.webOrigins[0]: "https://app.example.com/app" is not an origin (write scheme, host and port only, e.g. "https://app.example.com", or "+" for the redirect URIs\' origins)',
    ],
    [
      "certificate half given",
      { keycloak: { tlsCertificate: { certificateParameter: "/kc/cert" } } },
      'config error: keycloak.tlsCertificate.privateKeyParameter: is required (give the private key\'s SSM parameter name, e.g. "/keycloak-ec2/tls/private-key")',
    ],
    [
      "certificate parameter a path without its leading slash",
      { keycloak: { tlsCertificate: { certificateParameter: "sso/cert", privateKeyParameter: "/sso/key" } } },
      'config error: keycloak.tlsCertificate.certificateParameter: "sso/cert" is a path that does not start with "/" (give the certificate\'s SSM parameter name, e.g. "/keycloak-ec2/tls/certificate")',
    ],
    [
      "key parameter a path without its leading slash",
      { keycloak: { tlsCertificate: { certificateParameter: "/sso/cert", privateKeyParameter: "sso/key" } } },
      'config error: keycloak.tlsCertificate.privateKeyParameter: "sso/key" is a path that does not start with "/" (give the private key\'s SSM parameter name, e.g. "/keycloak-ec2/tls/private-key")',
    ],
    [
      "certificate parameter missing",
      { keycloak: { tlsCertificate: { privateKeyParameter: "/kc/key" } } },
      'config error: keycloak.tlsCertificate.certificateParameter: is required (give the certificate\'s SSM parameter name, e.g. "/keycloak-ec2/tls/certificate")',
    ],
    [
      "certificate parameter reserved",
      { keycloak: { tlsCertificate: { certificateParameter: "/aws/cert", privateKeyParameter: "/kc/key" } } },
      'config error: keycloak.tlsCertificate.certificateParameter: names starting with "aws" or "ssm" are reserved (give the certificate\'s SSM parameter name, e.g. "/keycloak-ec2/tls/certificate")',
    ],
    [
      "backend without type",
      { backend: { bucket: "b" } },
      'config error: backend.type: is required (write "local", "s3" or "cloud")',
    ],
    [
      "backend type unknown",
      { backend: { type: "s4" } },
      'config error: backend.type: "s4" is not one of local, s3, cloud (did you mean "s3"?)',
    ],
    [
      "local backend absolute path",
      { backend: { type: "local", path: "/var/state.tfstate" } },
      'config error: backend.path: is an absolute path (give a path relative to the project directory, e.g. "state/keycloak.tfstate")',
    ],
    [
      "local backend escaping the project",
      { backend: { type: "local", path: "../state.tfstate" } },
      'config error: backend.path: leaves the project directory with ".." (give a path relative to the project directory, e.g. "state/keycloak.tfstate")',
    ],
    [
      "s3 backend field of cloud",
      { backend: { type: "s3", bucket: "my-state", key: "k", region: "eu-west-3", organization: "o" } },
      "config error: backend.organization: unknown field (known fields here: type, bucket, key, region, encrypt, kmsKeyId, useLockfile, dynamodbTable, profile)",
    ],
    [
      "s3 bucket name invalid",
      { backend: { type: "s3", bucket: "My_Bucket", key: "k", region: "eu-west-3" } },
      'config error: backend.bucket: "My_Bucket" is not a valid S3 bucket name (bucket names have 3-63 lower-case letters, digits, dots and dashes, and start and end with a letter or digit)',
    ],
    [
      "s3 state unencrypted",
      { backend: { type: "s3", bucket: "my-state", key: "k", region: "eu-west-3", encrypt: false } },
      "config error: backend.encrypt: is false, but the state holds the generated secrets (leave encrypt out or set it to true)",
    ],
    [
      "s3 region invalid",
      { backend: { type: "s3", bucket: "my-state", key: "k", region: "europe" } },
      'config error: backend.region: "europe" is not an AWS region (use the bucket\'s region, e.g. "eu-west-3")',
    ],
    [
      "s3 key absolute",
      { backend: { type: "s3", bucket: "my-state", key: "/k", region: "eu-west-3" } },
      'config error: backend.key: starts with / (write e.g. "keycloak-ec2/terraform.tfstate")',
    ],
    [
      "cloud backend without organization",
      { backend: { type: "cloud", workspace: "w" } },
      'config error: backend.organization: is required (add "organization": "my-org")',
    ],
    [
      "cloud backend with both workspace forms",
      { backend: { type: "cloud", organization: "o", workspace: "w", workspaceTags: ["t"] } },
      'config error: backend.workspace: give exactly one of workspace and workspaceTags ("workspace": "keycloak-prod" selects one workspace; "workspaceTags" selects by tag)',
    ],
    [
      "cloud backend hostname a URL",
      { backend: { type: "cloud", organization: "o", workspace: "w", hostname: "https://tfe.example.com" } },
      'config error: backend.hostname: "https://tfe.example.com" is a URL (give the host name only, without scheme, port or path, e.g. "sso.example.com")',
    ],
    [
      "tag value with characters IAM and SSM refuse",
      { tags: { Owner: "Team (A&B), #1!" } },
      'config error: tags.Owner: value "Team (A&B), #1!" has characters IAM and SSM refuse in tags: "(", "&", ")", ",", "#", "!" (tags reach the IAM role and the SSM parameters, which take only letters, digits, spaces and _ . : / = + - @, e.g. "Team AB 1")',
    ],
    [
      "tag key with a character IAM and SSM refuse",
      { tags: { "cost-center#": "42" } },
      'config error: tags.cost-center#: key "cost-center#" has a character IAM, SSM or DLM refuse in tag keys: "#" (tags reach the IAM role, the SSM parameters and the DLM snapshot policy, whose keys take only ASCII letters, digits and _ . : / = + -, e.g. "cost-center")',
    ],
    [
      "tag key with a space, which DLM refuses",
      { tags: { "Cost Center": "42" } },
      'config error: tags.Cost Center: key "Cost Center" has a character IAM, SSM or DLM refuse in tag keys: " " (tags reach the IAM role, the SSM parameters and the DLM snapshot policy, whose keys take only ASCII letters, digits and _ . : / = + -, e.g. "Cost-Center")',
    ],
    [
      "tag key with letters beyond ASCII and an @, which DLM refuses",
      { tags: { "Équipe@": "identité" } },
      'config error: tags.Équipe@: key "Équipe@" has characters IAM, SSM or DLM refuse in tag keys: "É", "@" (tags reach the IAM role, the SSM parameters and the DLM snapshot policy, whose keys take only ASCII letters, digits and _ . : / = + -, e.g. "Equipe")',
    ],
    [
      "tag key differing only in case from one the stack sets",
      { tags: { deployment: "x" } },
      'config error: tags.deployment: "deployment" and the stack\'s own "Deployment" differ only in case, which IAM roles do not tell apart (write "Deployment" to give the stack\'s tag your value, or choose another key)',
    ],
    [
      "tag value of symbols only",
      { tags: { mood: "☺☺" } },
      'config error: tags.mood: value "☺☺" has a character IAM and SSM refuse in tags: "☺" (tags reach the IAM role and the SSM parameters, which take only letters, digits, spaces and _ . : / = + - @)',
    ],
    [
      "tag value with a line break",
      { tags: { note: "a\nb" } },
      'config error: tags.note: value "a\\nb" has a character IAM and SSM refuse in tags: "\\n" (tags reach the IAM role and the SSM parameters, which take only letters, digits, spaces and _ . : / = + - @, e.g. "ab")',
    ],
    [
      "tag value empty",
      { tags: { team: "" } },
      "config error: tags.team: value is empty, which SSM refuses (give a value, or leave the tag out)",
    ],
    ["tag key empty", { tags: { "": "v" } }, "config error: tags.: key is empty (tag keys have 1 to 127 characters)"],
    [
      "tag keys differing only in case",
      { tags: { team: "a", Team: "b" } },
      'config error: tags.Team: "Team" and "team" differ only in case, which IAM roles do not tell apart (keep one of the two keys)',
    ],
    [
      "instance name with a control character",
      { instanceName: "kc\tprod" },
      'config error: instanceName: "kc\tprod" has control characters (a Name tag has 1 to 256 characters, none of them a control character, and the data volume\'s adds "-data": at most 251 here)',
    ],
    [
      "VPC id malformed",
      { vpcId: "vpc-123", subnetId: "subnet-0123456789abcdef0" },
      'config error: vpcId: "vpc-123" is not a VPC id (write "vpc-" and 8 or 17 lower-case hexadecimal digits, e.g. "vpc-0123456789abcdef0")',
    ],
    [
      "subnet id in capitals",
      { subnetId: "subnet-0123456789ABCDEF0" },
      'config error: subnetId: "subnet-0123456789ABCDEF0" is not a subnet id (write "subnet-" and 8 or 17 lower-case hexadecimal digits, e.g. "subnet-0123456789abcdef0")',
    ],
    [
      "subnet id of another kind",
      { subnetId: "vpc-0123456789abcdef0" },
      'config error: subnetId: "vpc-0123456789abcdef0" is not a subnet id (write "subnet-" and 8 or 17 lower-case hexadecimal digits, e.g. "subnet-0123456789abcdef0")',
    ],
    [
      "VPC without a subnet",
      { vpcId: "vpc-0123abcd" },
      'config error: vpcId: is given without subnetId: a VPC alone does not say where to launch the instance (add "subnetId", a public subnet of vpc-0123abcd: aws ec2 describe-subnets --filters Name=vpc-id,Values=vpc-0123abcd)',
    ],
    [
      "client null instead of false",
      { keycloak: { realm: { bff: null } } },
      "config error: keycloak.realm.bff: must be an object, or false to leave the client out, got null (write { ... } to set the client, false to leave it out, or nothing for the defaults)",
    ],
    [
      "client true",
      { keycloak: { realm: { service: true } } },
      "config error: keycloak.realm.service: must be an object, or false to leave the client out, got true (write { ... } to set the client, false to leave it out, or nothing for the defaults)",
    ],
    [
      "client ids clash between the clients left in",
      { keycloak: { realm: { spa: false, bff: { clientId: "app" }, service: { clientId: "app" } } } },
      'config error: keycloak.realm: client ids must differ, got bff "app", service "app" (give each client its own clientId)',
    ],
  ];

  it.each(cases)("%s", (_what, raw, expected) => {
    expect(problemsOf(() => validateConfig(raw))).toEqual([expected]);
  });

  it.each(cases)(
    "%s: keeps the shape <field>: <problem> (<fix>), no parentheses inside the fix",
    (_what, _raw, line) => {
      expect(line).toMatch(/^config error: .+?: .+ \([^()]+\)$/);
    },
  );

  it("reports every problem at once", () => {
    const problems = problemsOf(() =>
      validateConfig({ region: "mars-1", instanceType: "huge", sshCidrs: ["x"], backend: { type: "s3" } }),
    );
    expect(problems.map((line) => line.split(":")[1].trim())).toEqual([
      "region",
      "instanceType",
      "sshCidrs[0]",
      "backend.bucket",
      "backend.key",
      "backend.region",
    ]);
  });

  it("names the flag or variable that gave a bad override", () => {
    expect(problemsOf(() => validateConfig({}, { profile: { value: "staging", origin: "--profile" } }))).toEqual([
      'config error: --profile: "staging" is not one of article, dev, production, cluster (use one of article, dev, production, cluster)',
    ]);
    expect(
      problemsOf(() => validateConfig({}, { region: { value: "us-east-9", origin: "KEYCLOAK_EC2_REGION" } }))[0],
    ).toMatch(/^config error: KEYCLOAK_EC2_REGION: "us-east-9" is not an AWS region/);
  });
});

describe("validateConfig: defaults and overrides", () => {
  it("defaults to the production profile with no SSH and a t3.small", () => {
    const { config } = validateConfig({});
    expect(config).toMatchObject({
      profile: "production",
      name: "keycloak-ec2",
      instanceType: "t3.small",
      sshCidrs: [],
      httpsCidrs: ["0.0.0.0/0", "::/0"],
      backend: { type: "local" },
    });
    expect(config.region).toBe("us-east-1");
  });

  it("keeps the demo realm's localhost clients by default, and production warns about each of their URIs", () => {
    // GIVEN no config WHEN validated for production THEN the default localhost URIs are named, as defaults
    expect(validateConfig({ adminCidrs: [] }).warnings).toEqual([
      'config warning: keycloak.realm.spa.redirectUris[0]: "http://localhost:5173/*" (the default) points at localhost: only a browser on the machine that runs the application can use it, fine for a demo, not in production (list your application\'s URIs, or set keycloak.realm.spa to false)',
      'config warning: keycloak.realm.bff.redirectUris[0]: "http://localhost:3000/*" (the default) points at localhost: only a browser on the machine that runs the application can use it, fine for a demo, not in production (list your application\'s URIs, or set keycloak.realm.bff to false)',
    ]);
    // AND dev, a demo, says nothing
    expect(validateConfig({ profile: "dev" }).warnings).toEqual([]);
  });

  it("warns in production about any loopback redirect URI or web origin, and not about other hosts", () => {
    const { warnings } = validateConfig({
      adminCidrs: [],
      keycloak: {
        realm: {
          spa: {
            redirectUris: ["https://app.example.com/*", "http://127.0.0.1:8080/cb"],
            webOrigins: ["https://app.example.com", "http://[::1]:5173"],
          },
          bff: false,
        },
      },
    });
    expect(warnings.map((w) => w.split(": ")[1])).toEqual([
      "keycloak.realm.spa.redirectUris[1]",
      "keycloak.realm.spa.webOrigins[1]",
    ]);
    expect(warnings[0]).toContain('"http://127.0.0.1:8080/cb" points at 127.0.0.1:');
    expect(warnings[1]).toContain('"http://[::1]:5173" points at [::1]:');
  });

  it("gives the article profile the guide's t2.micro and world-open SSH, in the AMI's region", () => {
    const { config, warnings } = validateConfig({ profile: "article" });
    expect(config).toMatchObject({
      instanceType: "t2.micro",
      sshCidrs: ["0.0.0.0/0", "::/0"],
      region: "eu-west-1",
      securityGroupName: "keycloak-ec2-article-sg",
      instanceName: "keycloak-ec2-article",
    });
    expect(warnings).toEqual([]);
  });

  it("gives each profile a name of its own, so that one profile never plans over another's deployment", () => {
    expect(validateConfig({}).config.name).toBe("keycloak-ec2");
    expect(validateConfig({ profile: "dev" }).config).toMatchObject({
      name: "keycloak-ec2-dev",
      securityGroupName: "keycloak-ec2-dev-sg",
      instanceName: "keycloak-ec2-dev",
    });
    expect(validateConfig({ profile: "article" }).config.name).toBe("keycloak-ec2-article");
    // The name follows the profile in force, --profile included.
    expect(
      validateConfig({ profile: "production" }, { profile: { value: "dev", origin: "--profile" } }).config.name,
    ).toBe("keycloak-ec2-dev");
  });

  it("warns when --profile replaces the file's profile but the file's name stays", () => {
    const { config, warnings } = validateConfig(
      { profile: "production", name: "sso", keycloak: { realm: { spa: false, bff: false } } },
      { profile: { value: "dev", origin: "--profile" } },
    );
    expect(config.name).toBe("sso");
    expect(warnings).toEqual([
      'config warning: --profile: "dev" replaces the file\'s profile "production" but keeps its name "sso": the same state file and SSM path, so this run plans over that deployment (give this profile a config file with a name of its own)',
    ]);
    // AND a file without a profile is a production file
    expect(
      validateConfig({ name: "sso" }, { profile: { value: "article", origin: "KEYCLOAK_EC2_PROFILE" } }).warnings,
    ).toEqual([
      expect.stringMatching(
        /^config warning: KEYCLOAK_EC2_PROFILE: "article" replaces the file's profile "production"/,
      ),
    ]);
    // AND an override that changes nothing, or a file without a name, says nothing
    expect(
      validateConfig({ name: "sso", profile: "dev" }, { profile: { value: "dev", origin: "--profile" } }).warnings,
    ).toEqual([]);
    expect(
      validateConfig({ profile: "production" }, { profile: { value: "dev", origin: "--profile" } }).warnings,
    ).toEqual([]);
  });

  it("warns, naming the region's origin, when the article profile runs outside its AMI's region", () => {
    expect(validateConfig({ profile: "article", region: "eu-west-3" }).warnings).toEqual([
      "config warning: region: the article profile launches the guide's AMI ami-01cae1550c0adea9c, which exists in eu-west-1 only: in eu-west-3 the apply fails with InvalidAMIID.NotFound (use eu-west-1, or the dev or production profile, which find their AMI in any region)",
    ]);
    expect(
      validateConfig({ profile: "article" }, { region: { value: "us-east-1", origin: "KEYCLOAK_EC2_REGION" } })
        .warnings[0],
    ).toMatch(/^config warning: KEYCLOAK_EC2_REGION: the article profile launches the guide's AMI .* in us-east-1 /);
    expect(validateConfig({ profile: "dev", region: "eu-west-3" }).warnings).toEqual([]);
  });

  it("accepts in tag values the Unicode letters, digits, spaces and symbols IAM and SSM take, in keys what DLM takes", () => {
    const tags = { Team: "Identité numérique", "cost-center": "a/b:c=d+e@f_g.h-1", "dept:auth/2=+_.": "認証 2" };
    expect(validateConfig({ tags }).config.tags).toEqual(tags);
  });

  it("accepts Keycloak 26.0.8 and later, releases compared as numbers", () => {
    for (const version of ["26.0.8", "26.0.10", "26.1.0", "26.10.2"]) {
      const { config } = validateConfig({ keycloak: { version } });
      if (config.profile === "article") throw new Error("expected a production config");
      expect(config.keycloak.version).toBe(version);
    }
  });

  it("counts toward S3's 10 tags only the keys the stack does not set itself", () => {
    // GIVEN 7 tags of the user's own, and the stack's Deployment tag given another value, in its exact case
    const tags = { ...Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`t${i}`, "v"])), Deployment: "sso" };
    // THEN all are accepted
    expect(validateConfig({ tags }).config.tags).toEqual(tags);
  });

  it("lets instanceName hold what EC2 takes in a Name tag: any character, 251 of them (the data volume's adds -data)", () => {
    // GIVEN names IAM would refuse, but instanceName only reaches EC2 (the instance's and the Elastic IP's Name)
    expect(validateConfig({ instanceName: "Keycloak (prod) #1 — été ✓" }).config.instanceName).toBe(
      "Keycloak (prod) #1 — été ✓",
    );
    // AND 251 characters outside the Basic Multilingual Plane: 502 UTF-16 units, 251 as AWS counts
    expect(validateConfig({ instanceName: "🔑".repeat(251) }).config.instanceName).toHaveLength(502);
  });

  it("takes a subnet alone, or with its VPC; the article profile ignores both", () => {
    const subnetId = "subnet-0123456789abcdef0";
    expect(validateConfig({ profile: "dev", subnetId }).config).toMatchObject({ subnetId, vpcId: undefined });
    expect(validateConfig({ profile: "dev", subnetId, vpcId: "vpc-0123abcd" }).config).toMatchObject({
      subnetId,
      vpcId: "vpc-0123abcd",
    });
    expect(validateConfig({ profile: "dev" }).config).toMatchObject({ subnetId: undefined, vpcId: undefined });
    expect(validateConfig({ profile: "article", subnetId }).warnings).toEqual([
      "config warning: subnetId: the article profile ignores it: it reproduces the guide's Terraform, which does not run Keycloak (use profile production, dev or cluster)",
    ]);
  });

  it('defaults the SPA\'s web origins to "+", so that redirect URIs alone leave no localhost origin behind', () => {
    const { config } = validateConfig({
      keycloak: { realm: { spa: { redirectUris: ["https://app.example.com/*"] } } },
    });
    if (config.profile === "article") throw new Error("expected a production config");
    expect(config.keycloak.realm.spa).toEqual({
      clientId: "spa",
      redirectUris: ["https://app.example.com/*"],
      webOrigins: ["+"],
    });
  });

  it("leaves out each client set to false", () => {
    const { config, warnings } = validateConfig({
      adminCidrs: ["203.0.113.0/24"],
      keycloak: { realm: { spa: false, bff: false, service: { clientId: "batch" } } },
    });
    if (config.profile === "article") throw new Error("expected a production config");
    expect(config.keycloak.realm).toEqual({
      name: "app",
      spa: undefined,
      bff: undefined,
      service: { clientId: "batch" },
    });
    expect(warnings).toEqual([]);
  });

  it("derives resource names from the deployment name", () => {
    const { config } = validateConfig({ name: "sso-staging" });
    expect(config).toMatchObject({ securityGroupName: "sso-staging-sg", instanceName: "sso-staging" });
  });

  it("lets flags override the file", () => {
    const { config } = validateConfig(
      { profile: "dev", region: "eu-west-1" },
      { profile: { value: "article", origin: "--profile" }, region: { value: "eu-west-3", origin: "--region" } },
    );
    expect(config).toMatchObject({ profile: "article", region: "eu-west-3" });
  });

  it("warns, without failing, about an instance type under 2 GiB", () => {
    const { config, warnings } = validateConfig({ profile: "dev", instanceType: "t3.micro" });
    expect(config.instanceType).toBe("t3.micro");
    expect(warnings).toEqual([
      expect.stringMatching(
        /^config warning: instanceType: t3\.micro has less than 2 GiB of memory: Keycloak then leans on the 2 GiB swap file added on such types/,
      ),
    ]);
  });

  it("warns about plain-http redirect URIs off loopback but accepts localhost in dev", () => {
    const { warnings } = validateConfig({
      profile: "dev",
      keycloak: { realm: { bff: { redirectUris: ["http://app.example.com/cb", "http://localhost:3000/cb"] } } },
    });
    expect(warnings).toEqual([
      'config warning: keycloak.realm.bff.redirectUris[0]: "http://app.example.com/cb" is plain http on a non-loopback host: codes and tokens cross the network in clear (use https)',
    ]);
  });

  it("fills the s3 backend's locking and encryption defaults", () => {
    expect(
      validateConfig({ backend: { type: "s3", bucket: "my-state", key: "kc/terraform.tfstate", region: "eu-west-3" } })
        .config.backend,
    ).toEqual({
      type: "s3",
      bucket: "my-state",
      key: "kc/terraform.tfstate",
      region: "eu-west-3",
      encrypt: true,
      useLockfile: true,
    });
    expect(
      validateConfig({
        backend: { type: "s3", bucket: "my-state", key: "k", region: "eu-west-3", dynamodbTable: "locks" },
      }).config.backend,
    ).toMatchObject({ useLockfile: false, dynamodbTable: "locks" });
  });

  it("accepts every field at once when all are right", () => {
    const { config, warnings } = validateConfig({
      profile: "production",
      name: "sso",
      region: "eu-west-3",
      instanceType: "t4g.medium",
      keyName: "ops",
      sshCidrs: ["203.0.113.0/24", "2001:db8::/48"],
      httpsCidrs: ["0.0.0.0/0"],
      adminCidrs: ["203.0.113.0/24"],
      dnsZone: "example.com",
      securityGroupName: "sso-sg",
      instanceName: "sso",
      tags: { team: "identity" },
      rootVolumeSize: 30,
      elasticIp: true,
      followLatestAmi: true,
      backend: { type: "cloud", organization: "acme", workspaceTags: ["sso"] },
      keycloak: {
        version: "26.7.4",
        hostname: "SSO.example.com",
        adminUser: "root",
        tls: { mode: "supplied" },
        tlsCertificate: { certificateParameter: "/sso/cert", privateKeyParameter: "/sso/key" },
        realm: {
          name: "acme",
          spa: { clientId: "web", redirectUris: ["https://app.example.com/*"], webOrigins: ["+"] },
          bff: { clientId: "api-gw", redirectUris: ["https://app.example.com/auth/callback"] },
          service: { clientId: "batch" },
        },
      },
    });
    // The only warning: followLatestAmi replaces the instance on each new AMI (the data volume keeps the data).
    expect(warnings).toEqual([expect.stringMatching(/^config warning: followLatestAmi: replaces the instance/)]);
    if (config.profile === "article") throw new Error("expected a production config");
    expect(config.keycloak.hostname).toBe("sso.example.com");
    expect(config.keycloak.realm.spa?.webOrigins).toEqual(["+"]);
  });
});

describe("what validation allows fits what the stack makes of it", () => {
  it("keeps every Name tag within EC2's 256 characters with the longest instanceName", () => {
    const { tf } = synthesize({ profile: "dev", instanceName: "i".repeat(251) });
    const names = Object.values(tf.resource as Record<string, Record<string, any>>)
      .flatMap((byName) => Object.values(byName))
      .map((resource) => resource.tags?.Name as string | undefined)
      .filter((name) => name !== undefined);
    expect(names).toContain(`${"i".repeat(251)}-data`);
    for (const name of names) expect([...name].length).toBeLessThanOrEqual(256);
  });

  it("gives the boot bundle's S3 object at most S3's 10 tags with the most user tags accepted", () => {
    const tags = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`t${i}`, "v"]));
    const { tf } = synthesize({ profile: "dev", tags });
    expect(Object.keys(tf.resource.aws_s3_object)).toHaveLength(1);
    expect(Object.keys(tf.provider.aws[0].default_tags[0].tags)).toEqual([...STACK_TAG_KEYS, ...Object.keys(tags)]);
  });
});

describe("isArm64InstanceType", () => {
  it.each([
    ["t4g.small", true],
    ["c7gn.large", true],
    ["a1.medium", true],
    ["t3.small", false],
    ["g5.xlarge", false],
    ["m7i.large", false],
  ])("%s -> %s", (type, arm) => {
    expect(isArm64InstanceType(type as string)).toBe(arm);
  });
});
