// Run the AwsCustomResource provider handler (the benchmark peer) locally.
//
//   node invoke.mjs <asset_dir> < events.jsonl
//
// Why this exists: the peer's cost at deploy time is its Node.js Lambda, so we
// time that handler on this machine against a local AppIntegrations emulator,
// as the Python half times ours. See README.md for the event shape and setup.
//
// Output (stdout, one JSON object per line; the handler's own logs go to stderr):
//   {"kind":"init", node_version, sdk_version, node_boot_ms, import_ms, ...}
//   {"kind":"event", index, request_type, total_ms, sdk_require_ms, api_ms, ...}
//
// Environment it relies on (the Python driver node_handler.py sets all of it):
//   NODE_PATH                 must reach node_modules/@aws-sdk/client-appintegrations
//                             (the Lambda runtime's preinstalled SDK stands in here;
//                             added automatically when missing)
//   AWS_ENDPOINT_URL_APPINTEGRATIONS or AWS_ENDPOINT_URL   the emulator
//   AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   anything non-empty
//   NODE_EXTRA_CA_CERTS       CA of the local HTTPS receiver of ResponseURL
//                             (read by node at start-up, so it must be set before launch)
//   PEER_SDK_SHIM             auto (default) | off: see sdk_shim.cjs

import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import Module from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const bootMs = performance.now(); // ms since process start: node's own start-up
const require = createRequire(import.meta.url);
const http = require("node:http");
const https = require("node:https");

// --- keep stdout for our JSON: the handler console.logs every event ---------
const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
for (const level of ["log", "info", "warn", "error", "debug"]) {
  console[level] = (...args) => process.stderr.write(`${args.map(String).join(" ")}\n`);
}

// --- module resolution: the asset expects the SDK from the runtime ---------
const here = path.dirname(fileURLToPath(import.meta.url));
const harnessModules = path.join(here, "node_modules");
const nodePath = (process.env.NODE_PATH ?? "").split(path.delimiter).filter(Boolean);
if (!nodePath.includes(harnessModules)) {
  process.env.NODE_PATH = [...nodePath, harnessModules].join(path.delimiter);
  Module._initPaths(); // re-read NODE_PATH, as the Lambda runtime's NODE_PATH is read at start
}

// --- instrumentation: per-event phases without touching the handler --------
let current = null; // the event being handled: its timings are filled in here
const sinceStart = () => (current ? performance.now() - current.t0 : null);

// PEER_SDK_SHIM=auto (default) adds UpdateDataIntegrationAssociationCommand when the
// installed SDK lacks it (see sdk_shim.cjs); PEER_SDK_SHIM=off runs the SDK as installed.
const shimMode = process.env.PEER_SDK_SHIM ?? "auto";
const { withUpdateDataIntegrationAssociation } = require("./sdk_shim.cjs");
const SDK = "@aws-sdk/client-appintegrations";
let shimmedSdk = null; // the handler requires the SDK on every event: hand back one object

const originalLoad = Module._load;
Module._load = function timedLoad(request, parent, isMain) {
  if (request !== SDK) {
    return originalLoad.apply(this, arguments);
  }
  const cached = Object.keys(require.cache).length;
  const t = performance.now();
  let result = originalLoad.apply(this, arguments);
  const loadedMs = performance.now() - t;
  let shimmed = false;
  let shimMs = 0;
  if (shimMode !== "off") {
    if (!shimmedSdk) {
      const ts = performance.now();
      const entry = Module._resolveFilename(request, parent, isMain);
      shimmedSdk = withUpdateDataIntegrationAssociation(result, entry);
      shimMs = performance.now() - ts;
    }
    result = shimmedSdk.module;
    shimmed = shimmedSdk.shimmed;
  }
  if (current && current.sdk_require_ms === undefined) {
    // sdk_require_ms is the SDK alone; building the shim is reported apart
    current.sdk_require_ms = loadedMs;
    current.sdk_shim_ms = shimMs;
    current.sdk_require_was_cold = Object.keys(require.cache).length > cached;
    current.sdk_command_shimmed = shimmed;
  }
  return result;
};

// The SDK reaches the emulator over plain http (endpoint http://127.0.0.1:port).
const originalHttpRequest = http.request;
http.request = function timedHttpRequest(...args) {
  const req = originalHttpRequest.apply(this, args);
  if (current) {
    const rec = current;
    rec.api_calls = (rec.api_calls ?? 0) + 1;
    rec.api_start_ms ??= sinceStart();
    req.once("response", (res) => {
      rec.api_status = res.statusCode;
      rec.api_end_ms = performance.now() - rec.t0;
    });
  }
  return req;
};

// The handler PUTs its CloudFormation response with https.request({hostname, path})
// and no port, so in Lambda it always reaches :443. A local receiver listens on
// an ephemeral port: put the port of event.ResponseURL back, and nothing else.
const originalHttpsRequest = https.request;
https.request = function shimmedHttpsRequest(options, ...rest) {
  let opts = options;
  let put = null;
  if (current && opts && typeof opts === "object" && !(opts instanceof URL)) {
    const target = new URL(current.responseUrl);
    const host = target.hostname.replace(/^\[(.*)\]$/, "$1"); // url.parse drops IPv6 brackets
    if (opts.port === undefined && opts.hostname === host && target.port) {
      opts = { ...opts, port: Number(target.port) };
      current.response_port_shimmed = true;
    }
    put = { start_ms: sinceStart(), body: "", status: null, end_ms: null };
    current.puts.push(put);
  }
  const req = originalHttpsRequest.call(this, opts, ...rest);
  if (put) {
    const t0 = current.t0;
    const write = req.write.bind(req);
    req.write = (chunk, ...more) => {
      put.body += String(chunk);
      return write(chunk, ...more);
    };
    req.once("response", (res) => {
      put.status = res.statusCode;
      put.end_ms = performance.now() - t0;
      res.resume();
    });
  }
  return req;
};

// --- Lambda-like context ----------------------------------------------------
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? "PeerAwsCustomResourceProvider";
const timeoutMs = Number(process.env.PEER_LAMBDA_TIMEOUT_MS ?? 120_000); // template: Timeout 120
const logStreamName = `${new Date().toISOString().slice(0, 10).replaceAll("-", "/")}/[$LATEST]${randomBytes(16).toString("hex")}`;

function lambdaContext() {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION ?? "us-east-1"}:111122223333:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "128",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

// --- main ------------------------------------------------------------------
const assetDir = process.argv[2];
if (!assetDir) {
  process.stderr.write("usage: node invoke.mjs <asset_dir> < events.jsonl\n");
  process.exit(2);
}
const events = fs
  .readFileSync(0, "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line));

const entry = path.resolve(assetDir, "index.js");
const tImport = performance.now();
const { handler } = require(entry);
const importMs = performance.now() - tImport;

let sdkVersion = null;
let sdkPath = null;
try {
  sdkPath = createRequire(entry).resolve("@aws-sdk/client-appintegrations/package.json");
  sdkVersion = JSON.parse(fs.readFileSync(sdkPath, "utf8")).version;
} catch {
  // reported as null: the first event will then fail with the handler's own message
}

out({
  kind: "init",
  node_version: process.version,
  sdk_version: sdkVersion,
  sdk_path: sdkPath,
  node_boot_ms: bootMs,
  import_ms: importMs,
  handler_type: typeof handler,
  sdk_shim_mode: shimMode,
  events: events.length,
});

for (const [index, event] of events.entries()) {
  // The handler parses ResourceProperties.Create/Update/Delete in place: hand it a copy.
  const copy = structuredClone(event);
  current = { t0: performance.now(), responseUrl: event.ResponseURL, puts: [] };
  let error = null;
  try {
    await handler(copy, lambdaContext());
  } catch (err) {
    error = String(err?.stack ?? err);
  }
  const rec = current;
  current = null;
  const totalMs = performance.now() - rec.t0;
  // Normally one PUT; two when the SUCCESS PUT failed and the handler then sent FAILED.
  const cfnResponses = rec.puts.map((put) => {
    let body = null;
    try {
      body = JSON.parse(put.body);
    } catch {
      body = { unparsable: put.body };
    }
    return {
      Status: body?.Status,
      Reason: body?.Reason,
      PhysicalResourceId: body?.PhysicalResourceId,
      body_bytes: Buffer.byteLength(put.body, "utf8"),
      put_status: put.status,
      put_ms: put.end_ms != null ? put.end_ms - put.start_ms : null,
    };
  });
  const last = cfnResponses.at(-1) ?? null;
  out({
    kind: "event",
    index,
    request_type: event.RequestType,
    request_id: event.RequestId,
    logical_resource_id: event.LogicalResourceId,
    total_ms: totalMs,
    sdk_require_ms: rec.sdk_require_ms ?? null,
    sdk_require_was_cold: rec.sdk_require_was_cold ?? null,
    sdk_command_shimmed: rec.sdk_command_shimmed ?? null,
    sdk_shim_ms: rec.sdk_shim_ms ?? null,
    api_calls: rec.api_calls ?? 0,
    api_status: rec.api_status ?? null,
    // before_api_ms: SDK require, client creation, credential/region/endpoint resolution, signing
    before_api_ms: rec.api_start_ms ?? null,
    // api_ms: first SDK request to last response (spans SDK retries, if any)
    api_ms: rec.api_end_ms != null ? rec.api_end_ms - rec.api_start_ms : null,
    cfn_put_ms: last?.put_ms ?? null,
    cfn_put_status: last?.put_status ?? null,
    response_port_shimmed: rec.response_port_shimmed ?? false,
    cfn_response: last,
    cfn_responses: cfnResponses,
    error,
  });
}
// Keep-alive sockets (the SDK's agent, node's global agent) would hold the loop open.
process.exit(0);
