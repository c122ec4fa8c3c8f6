/**
 * Growth at scale: the REST API with a large generated route table (200 routes on one function, close to API
 * Gateway's resource quota in all) stays within AWS's limits, and its invoke permissions still allow exactly
 * what the routes need. Sizes are measured on the synthesized JSON, with the resource policy built as Lambda
 * builds it (tools/local/iam/lambda-resource-policy.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { LambdaRestApi, RESOURCES_PER_REST_API, type ApiRoute, type HttpMethod, type LambdaTarget } from "../app/constructs/lambda-rest-api";
import { evaluate } from "../tools/local/iam/evaluate";
import { LAMBDA_POLICY_SIZE_LIMIT, lambdaResourcePolicies, resourcePolicySize } from "../tools/local/iam/lambda-resource-policy";
import { parsePolicy } from "../tools/local/iam/policy";
import { SynthesizedApp } from "../tools/local/synthesized";
import { FAKE_ACCOUNT_ID } from "../tools/lib/fake-arns";

const REGION = "ap-southeast-2";
const STAGE = "prod";

const target = (name: string): LambdaTarget => ({
  name,
  functionName: `prod-service-${name}`,
  invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:${REGION}:123456789012:function:prod-service-${name}/invocations`,
});

/** 200 routes on `users` (4 methods on 50 paths), 120 on `notes` (3 levels deep) and one public route: 294 resources. */
function largeRouteTable(): ApiRoute[] {
  const routes: ApiRoute[] = [{ method: "GET", path: "/health", auth: "none", target: target("health") }];
  for (let i = 0; i < 50; i++) {
    for (const method of ["GET", "PUT", "PATCH", "DELETE"] as HttpMethod[]) {
      routes.push({ method, path: `/users/u${i}`, auth: "bearer", target: target("users") });
    }
  }
  for (let i = 0; i < 120; i++) routes.push({ method: "GET", path: `/notes/n${i}/{id}`, auth: "bearer", target: target("notes") });
  return routes;
}

/** Synthesizes `build`'s stack into a temp folder and reads it back as the local run does. */
function synthesize(build: (stack: TerraformStack) => void): SynthesizedApp {
  const app = new App({ outdir: outdir(), stackTraces: false });
  const stack = new TerraformStack(app, "api-stack");
  new AwsProvider(stack, "aws", { region: REGION });
  build(stack);
  app.synth();
  return new SynthesizedApp(app.outdir);
}

const dirs: string[] = [];
const outdir = () => {
  const dir = mkdtempSync(join(tmpdir(), "rest-api-scale-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** One line per limit the app exceeds, each naming the limit; empty when within all. */
function limitsExceeded(app: SynthesizedApp): string[] {
  const lines: string[] = [];
  for (const policy of lambdaResourcePolicies(app).values()) {
    const size = resourcePolicySize(policy);
    if (size > LAMBDA_POLICY_SIZE_LIMIT) {
      lines.push(
        `${policy.functionName}: resource policy of ${policy.document.Statement.length} statements is ${size} bytes, over Lambda's limit of ${LAMBDA_POLICY_SIZE_LIMIT} bytes per function (PolicyLengthExceededException)`,
      );
    }
  }
  const resources = app.resources("aws_api_gateway_rest_api").length + app.resources("aws_api_gateway_resource").length;
  if (resources > RESOURCES_PER_REST_API) {
    lines.push(
      `${resources} API Gateway resources (the root included), over API Gateway's default quota of ${RESOURCES_PER_REST_API} resources per REST API`,
    );
  }
  return lines;
}

describe("LambdaRestApi at scale", () => {
  const routes = largeRouteTable();
  let app: SynthesizedApp;

  beforeAll(() => {
    app = synthesize(
      (stack) =>
        new LambdaRestApi(stack, "rest-api", {
          name: "prod-service-api",
          stageName: STAGE,
          routes,
          authorizer: { target: target("authorizer"), cacheTtlSeconds: 60 },
          throttling: { rateLimit: 100, burstLimit: 200 },
          executionLogLevel: "ERROR",
          logRetentionDays: 30,
          kmsKeyArn: `arn:aws:kms:${REGION}:${FAKE_ACCOUNT_ID}:key/00000000-0000-0000-0000-000000000000`,
        }),
    );
  });

  test("200 routes on one function, 294 resources: every function's resource policy and the resource count are within AWS's limits", () => {
    expect(routes.filter((r) => r.target.name === "users")).toHaveLength(200);
    expect(app.resources("aws_api_gateway_resource")).toHaveLength(293);
    expect(limitsExceeded(app)).toEqual([]);
    const users = lambdaResourcePolicies(app).get("prod-service-users")!;
    expect(users.document.Statement.map((s) => s.Sid)).toEqual([
      "AllowApiGateway-DELETE",
      "AllowApiGateway-GET",
      "AllowApiGateway-PATCH",
      "AllowApiGateway-PUT",
    ]);
  });

  test("the sizes are measured on AWS-length values: a 12-digit account and a 10-character REST API id", () => {
    const [restApi] = app.resources("aws_api_gateway_rest_api");
    const executionArn = String(app.resolve(restApi.stack, `\${aws_api_gateway_rest_api.${restApi.name}.execution_arn}`));
    expect(executionArn).toMatch(new RegExp(`^arn:aws:execute-api:${REGION}:\\d{12}:[a-z0-9]{10}$`));
  });

  test("each route's function may be invoked from the route's source ARN; not from another method, stage or API", () => {
    const policies = lambdaResourcePolicies(app);
    const [restApi] = app.resources("aws_api_gateway_rest_api");
    const executionArn = String(app.resolve(restApi.stack, `\${aws_api_gateway_rest_api.${restApi.name}.execution_arn}`));
    const mayInvoke = (functionName: string, sourceArn: string) => {
      const policy = policies.get(functionName)!;
      return evaluate([parsePolicy(functionName, policy.document)], {
        action: "lambda:InvokeFunction",
        resource: policy.functionArn,
        principal: { type: "Service", id: "apigateway.amazonaws.com" },
        context: { "aws:sourcearn": [sourceArn] },
        modelledKeys: new Set(["aws:sourcearn"]),
      }).allowed;
    };
    const requestPath = (path: string) => path.replace(/\{[^}]+\}/g, "abc123");
    const refused = routes.filter((r) => !mayInvoke(r.target.functionName, `${executionArn}/${STAGE}/${r.method}${requestPath(r.path)}`));
    expect(refused.map((r) => `${r.method} ${r.path}`)).toEqual([]);

    expect(mayInvoke("prod-service-users", `${executionArn}/${STAGE}/POST/users/u1`)).toBe(false);
    expect(mayInvoke("prod-service-notes", `${executionArn}/${STAGE}/DELETE/notes/n1/abc123`)).toBe(false);
    expect(mayInvoke("prod-service-users", `${executionArn}/test/GET/users/u1`)).toBe(false);
    expect(mayInvoke("prod-service-users", `${executionArn.replace(/:[a-z0-9]{10}$/, ":otherapi01")}/${STAGE}/GET/users/u1`)).toBe(false);
  });
});

describe("the policy size check", () => {
  test("fails naming Lambda's limit for one permission per route: 85 GET routes on one function are about 30 KB", () => {
    const app = synthesize((stack) => {
      for (let i = 0; i < 85; i++) {
        new LambdaPermission(stack, `permission-${i}`, {
          statementId: `AllowApiGateway-GET-users-route${i}`,
          action: "lambda:InvokeFunction",
          functionName: "prod-service-users",
          principal: "apigateway.amazonaws.com",
          sourceArn: `arn:aws:execute-api:${REGION}:${FAKE_ACCOUNT_ID}:abcdef0123/${STAGE}/GET/users/route${i}`,
        });
      }
    });
    const [line] = limitsExceeded(app);
    expect(line).toMatch(/^prod-service-users: resource policy of 85 statements is \d+ bytes, over Lambda's limit of 20480 bytes per function/);
    expect(Number(/is (\d+) bytes/.exec(line)![1])).toBeGreaterThan(28_000);
  });

  test("builds each statement as Lambda stores it", () => {
    const app = synthesize(
      (stack) =>
        new LambdaPermission(stack, "permission", {
          statementId: "AllowApiGateway-GET",
          action: "lambda:InvokeFunction",
          functionName: "prod-service-users",
          principal: "apigateway.amazonaws.com",
          sourceArn: `arn:aws:execute-api:${REGION}:${FAKE_ACCOUNT_ID}:abcdef0123/${STAGE}/GET/*`,
        }),
    );
    const policy = lambdaResourcePolicies(app).get("prod-service-users")!;
    const expected =
      '{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"AllowApiGateway-GET","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},' +
      `"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:${REGION}:${FAKE_ACCOUNT_ID}:function:prod-service-users",` +
      `"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:${REGION}:123456789012:abcdef0123/${STAGE}/GET/*"}}}]}`;
    expect(JSON.stringify(policy.document)).toBe(expected);
    expect(resourcePolicySize(policy)).toBe(expected.length);
  });
});
