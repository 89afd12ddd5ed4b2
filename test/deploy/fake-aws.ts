import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/**
 * A real local HTTP server standing in for the SSM, S3 and Auto Scaling endpoints, which the AWS SDK (v3) is pointed
 * at through its standard AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_AUTO_SCALING variables, with
 * fake keys. SSM speaks AWS JSON 1.1 (POST /, X-Amz-Target: AmazonSSM.<Operation>); S3 its REST/XML protocol,
 * path-style (the SDK uses path-style addressing for an endpoint that is an IP address); Auto Scaling the AWS Query
 * protocol (a form POST with Action=<Operation>, XML answers). Every request is recorded; what SSM and Auto Scaling
 * answer is scripted.
 */

/** One request as the server saw it. */
export interface Recorded {
  readonly service: "ssm" | "s3" | "autoscaling";
  /** `SendCommand`, `GetCommandInvocation` (SSM); `PutObject`, `GetObject`, `CopyObject`, `ListObjectsV2` (S3). */
  readonly operation: string;
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** SSM: the JSON body; S3: the object's bytes (aws-chunked decoded) for a PutObject; Auto Scaling: the form's
   * fields. */
  readonly body: unknown;
}

/** What SSM answers to one call: a JSON result, or an error (`__type`, HTTP 400). */
export type SsmAnswer = { readonly result: object } | { readonly error: string; readonly message?: string };

/** An instance of a fake Auto Scaling group. */
export interface FakeGroupInstance {
  readonly id: string;
  /** `InService`, `Pending`, ... */
  readonly state: string;
  /** The launch template version it was launched from. @default the group's */
  readonly version?: string;
}

/** A fake Auto Scaling group: the launch template version it launches, its instances, its desired capacity. */
export interface FakeGroup {
  readonly version: string;
  readonly instances: readonly FakeGroupInstance[];
  /** @default 1 */
  readonly desired?: number;
}

/** An instance refresh as DescribeInstanceRefreshes lists it. */
export interface FakeRefresh {
  readonly status: string;
  readonly percentage?: number;
  readonly reason?: string;
}

/** An S3 error answer. */
export interface S3Error {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export interface FakeAws {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly requests: Recorded[];
  /** Objects by `bucket/key`. */
  readonly objects: Map<string, { body: Buffer; lastModified: Date }>;
  /** The answers to GetCommandInvocation, in order; the last one repeats. */
  invocations: SsmAnswer[];
  /** The answer to SendCommand. @default a CommandId */
  sendCommand: SsmAnswer;
  /** An error every S3 request gets, when set. */
  s3Error?: S3Error;
  /** Keys per ListObjectsV2 page. @default 1000 */
  pageSize: number;
  /** Auto Scaling groups by name; DescribeAutoScalingGroups lists them. */
  readonly groups: Map<string, FakeGroup>;
  /** Instance refreshes by group name, newest first. */
  readonly refreshes: Map<string, FakeRefresh[]>;
  /** The requests of one operation. */
  calls(operation: string): Recorded[];
}

export const COMMAND_ID = "0b6a2f6e-1c3d-4e5f-8a9b-0c1d2e3f4a5b";

/** Decodes an `aws-chunked` body (`<hex size>[;ext]\r\n<data>\r\n ... 0\r\n<trailers>\r\n\r\n`). */
export function decodeAwsChunked(raw: Buffer): Buffer {
  // Uint8Array: @types/node 20.9's Buffer does not type-check as one under TypeScript 5.9.
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf("\r\n", at);
    const size = parseInt(raw.subarray(at, lineEnd).toString("latin1").split(";")[0], 16);
    at = lineEnd + 2;
    if (!size) return Buffer.concat(parts);
    parts.push(new Uint8Array(raw.subarray(at, at + size)));
    at += size + 2;
  }
}

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Starts a fake SSM + S3 endpoint on 127.0.0.1; `close` stops it. */
export async function startFakeAws(): Promise<FakeAws & { close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const objects = new Map<string, { body: Buffer; lastModified: Date }>();
  const state = {
    invocations: [] as SsmAnswer[],
    sendCommand: { result: { Command: { CommandId: COMMAND_ID, Status: "Pending" } } } as SsmAnswer,
    s3Error: undefined as S3Error | undefined,
    pageSize: 1000,
  };
  let invocationIndex = 0;

  const groups = new Map<string, FakeGroup>();
  const refreshes = new Map<string, FakeRefresh[]>();
  const autoScaling = (request: http.IncomingMessage, raw: Buffer, response: http.ServerResponse) => {
    const form = Object.fromEntries(new URLSearchParams(raw.toString("utf8")));
    const operation = form.Action;
    requests.push({
      service: "autoscaling",
      operation,
      method: request.method!,
      url: request.url!,
      headers: request.headers,
      body: form,
    });
    const answer = (result: string) => {
      response.writeHead(200, { "content-type": "text/xml" });
      response.end(
        xml(
          `<${operation}Response xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><${operation}Result>${result}</${operation}Result><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></${operation}Response>`,
        ),
      );
    };
    if (operation === "DescribeAutoScalingGroups") {
      const name = form["AutoScalingGroupNames.member.1"];
      const group = groups.get(name);
      const template = (version: string) =>
        `<LaunchTemplate><LaunchTemplateId>lt-0123456789abcdef0</LaunchTemplateId><Version>${version}</Version></LaunchTemplate>`;
      const members = group
        ? `<member><AutoScalingGroupName>${escapeXml(name)}</AutoScalingGroupName><DesiredCapacity>${group.desired ?? 1}</DesiredCapacity>${template(group.version)}<Instances>${group.instances
            .map(
              (i) =>
                `<member><InstanceId>${i.id}</InstanceId><LifecycleState>${i.state}</LifecycleState><HealthStatus>Healthy</HealthStatus>${template(i.version ?? group.version)}</member>`,
            )
            .join("")}</Instances></member>`
        : "";
      return answer(`<AutoScalingGroups>${members}</AutoScalingGroups>`);
    }
    if (operation === "DescribeInstanceRefreshes") {
      const list = (refreshes.get(form.AutoScalingGroupName) ?? []).slice(0, Number(form.MaxRecords ?? 50));
      return answer(
        `<InstanceRefreshes>${list
          .map(
            (r, i) =>
              `<member><InstanceRefreshId>r-${i}</InstanceRefreshId><Status>${r.status}</Status>${r.percentage === undefined ? "" : `<PercentageComplete>${r.percentage}</PercentageComplete>`}${r.reason ? `<StatusReason>${escapeXml(r.reason)}</StatusReason>` : ""}</member>`,
          )
          .join("")}</InstanceRefreshes>`,
      );
    }
    response.writeHead(400, { "content-type": "text/xml" });
    response.end(
      xml(
        `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>the fake does not do ${operation}</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
      ),
    );
  };

  const ssm = (request: http.IncomingMessage, raw: Buffer, response: http.ServerResponse) => {
    const operation = String(request.headers["x-amz-target"]).replace(/^AmazonSSM\./, "");
    const body = JSON.parse(raw.toString("utf8") || "{}") as unknown;
    requests.push({
      service: "ssm",
      operation,
      method: request.method!,
      url: request.url!,
      headers: request.headers,
      body,
    });
    let answer: SsmAnswer;
    if (operation === "SendCommand") answer = state.sendCommand;
    else if (operation === "GetCommandInvocation") {
      answer = state.invocations[Math.min(invocationIndex++, state.invocations.length - 1)] ?? {
        error: "InvocationDoesNotExist",
      };
    } else answer = { error: "InvalidAction", message: `the fake does not do ${operation}` };
    const json = "result" in answer ? answer.result : { __type: answer.error, message: answer.message ?? answer.error };
    response.writeHead("result" in answer ? 200 : 400, { "content-type": "application/x-amz-json-1.1" });
    response.end(JSON.stringify(json));
  };

  const s3 = (request: http.IncomingMessage, raw: Buffer, response: http.ServerResponse) => {
    const url = new URL(request.url!, "http://127.0.0.1");
    const [, bucket, ...keyParts] = url.pathname.split("/");
    const key = keyParts.map(decodeURIComponent).join("/");
    const operation =
      request.method === "PUT"
        ? request.headers["x-amz-copy-source"]
          ? "CopyObject"
          : "PutObject"
        : url.searchParams.get("list-type") === "2"
          ? "ListObjectsV2"
          : request.method === "GET" && key !== ""
            ? "GetObject"
            : `${request.method} ${url.pathname}`;
    const body = request.headers["content-encoding"]?.includes("aws-chunked") ? decodeAwsChunked(raw) : raw;
    requests.push({
      service: "s3",
      operation,
      method: request.method!,
      url: request.url!,
      headers: request.headers,
      body,
    });
    const send = (status: number, text: string) => {
      response.writeHead(status, { "content-type": "application/xml" });
      response.end(text);
    };
    if (state.s3Error) {
      const { status, code, message } = state.s3Error;
      return send(
        status,
        xml(`<Error><Code>${code}</Code><Message>${message}</Message><RequestId>1</RequestId></Error>`),
      );
    }
    if (operation === "PutObject") {
      objects.set(`${bucket}/${key}`, { body, lastModified: new Date() });
      response.writeHead(200, { etag: '"etag"' });
      return response.end();
    }
    if (operation === "GetObject") {
      const object = objects.get(`${bucket}/${key}`);
      if (!object)
        return send(
          404,
          xml("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"),
        );
      response.writeHead(200, { "content-type": "application/json", "content-length": object.body.length });
      return response.end(object.body);
    }
    if (operation === "CopyObject") {
      const from = decodeURIComponent(String(request.headers["x-amz-copy-source"])).replace(/^\//, "");
      const object = objects.get(from);
      if (!object)
        return send(
          404,
          xml("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"),
        );
      objects.set(`${bucket}/${key}`, { body: object.body, lastModified: new Date() });
      return send(
        200,
        xml(
          `<CopyObjectResult><ETag>"etag"</ETag><LastModified>${new Date().toISOString()}</LastModified></CopyObjectResult>`,
        ),
      );
    }
    if (operation === "ListObjectsV2") {
      const prefix = url.searchParams.get("prefix") ?? "";
      const all = [...objects.entries()]
        .filter(([name]) => name.startsWith(`${bucket}/${prefix}`))
        .map(([name, object]) => ({ key: name.slice(bucket.length + 1), ...object }))
        .sort((a, b) => a.key.localeCompare(b.key));
      const start = Number(url.searchParams.get("continuation-token") ?? 0);
      const page = all.slice(start, start + state.pageSize);
      const more = start + page.length < all.length;
      const contents = page
        .map(
          (o) =>
            `<Contents><Key>${escapeXml(o.key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
        )
        .join("");
      return send(
        200,
        xml(
          `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>${more}</IsTruncated>${more ? `<NextContinuationToken>${start + page.length}</NextContinuationToken>` : ""}${contents}</ListBucketResult>`,
        ),
      );
    }
    send(400, xml(`<Error><Code>NotImplemented</Code><Message>the fake does not do ${operation}</Message></Error>`));
  };

  const server = http.createServer((request, response) => {
    const chunks: Uint8Array[] = [];
    request.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    request.on("end", () => {
      const raw = Buffer.concat(chunks);
      const service = request.headers["x-amz-target"]
        ? ssm
        : String(request.headers["content-type"]).startsWith("application/x-www-form-urlencoded")
          ? autoScaling
          : s3;
      service(request, raw, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake = {
    url,
    requests,
    objects,
    groups,
    refreshes,
    get invocations() {
      return state.invocations;
    },
    set invocations(answers: SsmAnswer[]) {
      state.invocations = answers;
      invocationIndex = 0;
    },
    get sendCommand() {
      return state.sendCommand;
    },
    set sendCommand(answer: SsmAnswer) {
      state.sendCommand = answer;
    },
    get s3Error() {
      return state.s3Error;
    },
    set s3Error(error: S3Error | undefined) {
      state.s3Error = error;
    },
    get pageSize() {
      return state.pageSize;
    },
    set pageSize(size: number) {
      state.pageSize = size;
    },
    calls: (operation: string) => requests.filter((r) => r.operation === operation),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}

/** The variables that point the SDK at `fake`, with fake keys and no shared config of this machine. */
export function fakeAwsEnv(fake: { url: string }): NodeJS.ProcessEnv {
  const none = path.join(os.tmpdir(), "kc-fake-aws-none");
  return {
    AWS_ENDPOINT_URL_SSM: fake.url,
    AWS_ENDPOINT_URL_S3: fake.url,
    AWS_ENDPOINT_URL_AUTO_SCALING: fake.url,
    AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
    AWS_SECRET_ACCESS_KEY: "fake-secret",
    AWS_CONFIG_FILE: path.join(none, "config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(none, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/**
 * Sets up a fake AWS for a test file: started before all tests, its requests and objects cleared before each, the
 * SDK's variables in process.env (which the SDK reads) for the file's duration. Returns a getter.
 */
export function useFakeAws(): () => FakeAws {
  let fake: (FakeAws & { close(): Promise<void> }) | undefined;
  const saved: NodeJS.ProcessEnv = {};
  const cleared = ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"];
  beforeAll(async () => {
    fake = await startFakeAws();
    const env = fakeAwsEnv(fake);
    for (const name of [...Object.keys(env), ...cleared]) saved[name] = process.env[name];
    for (const name of cleared) delete process.env[name];
    Object.assign(process.env, env);
  });
  beforeEach(() => {
    fake!.requests.length = 0;
    fake!.objects.clear();
    fake!.groups.clear();
    fake!.refreshes.clear();
    fake!.invocations = [];
    fake!.s3Error = undefined;
    fake!.pageSize = 1000;
    fake!.sendCommand = { result: { Command: { CommandId: COMMAND_ID, Status: "Pending" } } };
  });
  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await fake?.close();
  });
  return () => fake!;
}

/** Writes `bytes` to a fresh file in `dir`. */
export function writeFile(dir: string, name: string, bytes: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}
