import { ACCESS_LOG_FORMAT } from "../constructs/lambda-rest-api";
import { ROUTES } from "../stacks/routes";
import { resources, synthStacks, SynthResult, TerraformJson } from "./support/synth";

let prod: SynthResult;
let dev: SynthResult;
let api: TerraformJson;

beforeAll(() => {
  prod = synthStacks({ environment: "prod" });
  dev = synthStacks({ environment: "dev" });
  api = prod.json["api-stack"];
});
afterAll(() => {
  prod.cleanup();
  dev.cleanup();
});

const only = (json: TerraformJson, type: string) => {
  const found = resources(json, type);
  expect(found).toHaveLength(1);
  return found[0];
};
const fromCompute = (fn: string, attribute: string) =>
  expect.stringMatching(
    new RegExp(
      `^\\$\\{data\\.terraform_remote_state\\.cross-stack-reference-input-compute-stack\\.outputs\\.cross-stack-output-aws_lambda_function${fn}_function_[0-9A-F]{8}${attribute}\\}$`,
    ),
  );

describe("ApiStack", () => {
  test("is a regional REST API named with the prefix", () => {
    expect(only(api, "aws_api_gateway_rest_api").config).toMatchObject({
      name: "prod-service-api",
      endpoint_configuration: { types: ["REGIONAL"] },
    });
  });

  describe("routes", () => {
    test("GET /health is a public method proxied to the health function", () => {
      const resource = resources(api, "aws_api_gateway_resource").find((r) => r.config.path_part === "health");
      expect(resource).toBeDefined();
      const method = resources(api, "aws_api_gateway_method").find(
        (m) => m.config.resource_id === `\${aws_api_gateway_resource.${resource!.id}.id}` && m.config.http_method === "GET",
      );
      expect(method?.config.authorization).toBe("NONE");
      const integration = resources(api, "aws_api_gateway_integration").find(
        (i) => i.config.resource_id === `\${aws_api_gateway_resource.${resource!.id}.id}`,
      );
      expect(integration?.config).toMatchObject({
        type: "AWS_PROXY",
        integration_http_method: "POST",
        uri: fromCompute("health", "invoke_arn"),
      });
    });

    test("every route has one method, one integration and one invoke permission", () => {
      expect(resources(api, "aws_api_gateway_method")).toHaveLength(ROUTES.length);
      expect(resources(api, "aws_api_gateway_integration")).toHaveLength(ROUTES.length);
      const permissions = resources(api, "aws_lambda_permission").filter((p) => p.config.statement_id !== "AllowApiGatewayAuthorizer");
      expect(permissions).toHaveLength(ROUTES.length);
    });

    test("the invoke permission is scoped to this API, its stage and the route", () => {
      const restApi = only(api, "aws_api_gateway_rest_api");
      const permission = resources(api, "aws_lambda_permission").find((p) => p.config.statement_id === "AllowApiGateway-GET-health");
      expect(permission?.config).toEqual({
        "//": expect.anything(),
        action: "lambda:InvokeFunction",
        principal: "apigateway.amazonaws.com",
        function_name: fromCompute("health", "function_name"),
        statement_id: "AllowApiGateway-GET-health",
        source_arn: `\${aws_api_gateway_rest_api.${restApi.id}.execution_arn}/prod/GET/health`,
      });
    });
  });

  describe("deployment and stage", () => {
    test("the deployment is replaced, create before destroy, when any method or integration changes", () => {
      const deployment = only(api, "aws_api_gateway_deployment").config as Record<string, any>;
      expect(deployment.lifecycle).toEqual({ create_before_destroy: true });
      expect(deployment.triggers.routes).toMatch(/^[0-9a-f]{64}$/);
      for (const m of resources(api, "aws_api_gateway_method")) {
        expect(deployment.triggers.references).toContain(`aws_api_gateway_method.${m.id}.id`);
      }
      for (const i of resources(api, "aws_api_gateway_integration")) {
        expect(deployment.triggers.references).toContain(`aws_api_gateway_integration.${i.id}.uri`);
      }
    });

    test("the stage traces with X-Ray and writes JSON access logs with the fields operators need", () => {
      const stage = only(api, "aws_api_gateway_stage").config as Record<string, any>;
      const accessLogs = resources(api, "aws_cloudwatch_log_group").find((g) => String(g.config.name).endsWith("/access"));
      expect(stage.stage_name).toBe("prod");
      expect(stage.xray_tracing_enabled).toBe(true);
      expect(stage.access_log_settings.destination_arn).toBe(`\${aws_cloudwatch_log_group.${accessLogs!.id}.arn}`);
      const format = JSON.parse(stage.access_log_settings.format);
      expect(format).toEqual(ACCESS_LOG_FORMAT);
      expect(format).toMatchObject({
        requestId: "$context.requestId",
        sourceIp: "$context.identity.sourceIp",
        httpMethod: "$context.httpMethod",
        path: "$context.path",
        status: "$context.status",
        responseLatency: "$context.responseLatency",
        integrationError: "$context.integration.error",
        userAgent: "$context.identity.userAgent",
      });
    });

    test.each([
      ["access", "/aws/apigateway/prod-service-api/prod/access"],
      ["execution", expect.stringMatching(/^API-Gateway-Execution-Logs_\$\{aws_api_gateway_rest_api\.[^.]+\.id\}\/prod$/)],
    ])("the %s log group has a retention period and the app key", (_kind, name) => {
      const group = resources(api, "aws_cloudwatch_log_group").find((g) => expect.objectContaining({ name }).asymmetricMatch(g.config));
      expect(group?.config).toMatchObject({
        retention_in_days: 90,
        kms_key_id: expect.stringContaining("cross-stack-reference-input-data-stack"),
      });
    });

    test("all methods have detailed metrics, the configured log level, no data trace and the stage throttling", () => {
      const all = resources(api, "aws_api_gateway_method_settings").find((s) => s.config.method_path === "*/*");
      expect(all?.config.settings).toEqual({
        metrics_enabled: true,
        logging_level: "ERROR",
        data_trace_enabled: false,
        throttling_rate_limit: 1000,
        throttling_burst_limit: 2000,
      });
    });

    test("per-route throttling from config overrides the stage's, applied after it", () => {
      const settings = resources(api, "aws_api_gateway_method_settings");
      const all = settings.find((s) => s.config.method_path === "*/*")!;
      const health = settings.find((s) => s.config.method_path === "health/GET");
      expect(health?.config.settings).toMatchObject({ throttling_rate_limit: 50, throttling_burst_limit: 100 });
      expect(health?.config.depends_on).toEqual([`aws_api_gateway_method_settings.${all.id}`]);
    });

    test("a route override for a route that does not exist stops synth", () => {
      const config = prod.config;
      expect(() =>
        synthStacks({
          config: { ...config, api: { ...config.api, routeThrottling: { "GET /helth": { rateLimit: 1, burstLimit: 1 } } } },
        }),
      ).toThrow('routeThrottling: "GET /helth" is not a route of this API (routes: GET /health');
    });
  });

  test.each(["DEFAULT_4XX", "DEFAULT_5XX"])("%s gateway errors are JSON in the app's error format", (type) => {
    const response = resources(api, "aws_api_gateway_gateway_response").find((r) => r.config.response_type === type);
    const template = (response?.config.response_templates as Record<string, string>)["application/json"];
    expect(template).toBe('{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}');
    expect(response?.config.response_parameters).toEqual({
      "gatewayresponse.header.Cache-Control": "'no-store'",
      "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
    });
  });

  describe("WAF", () => {
    test("prod associates a web ACL with the AWS common rule set and a per-IP rate limit to the stage", () => {
      const acl = only(api, "aws_wafv2_web_acl").config as Record<string, any>;
      expect(acl).toMatchObject({ name: "prod-service-api-waf", scope: "REGIONAL", default_action: { allow: {} } });
      const rules = JSON.parse(acl.rule_json);
      expect(rules).toEqual([
        expect.objectContaining({
          Statement: { ManagedRuleGroupStatement: { VendorName: "AWS", Name: "AWSManagedRulesCommonRuleSet" } },
          OverrideAction: { None: {} },
        }),
        expect.objectContaining({
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: "IP" } },
        }),
      ]);
      const stage = only(api, "aws_api_gateway_stage");
      const waf = only(api, "aws_wafv2_web_acl");
      expect(only(api, "aws_wafv2_web_acl_association").config).toMatchObject({
        resource_arn: `\${aws_api_gateway_stage.${stage.id}.arn}`,
        web_acl_arn: `\${aws_wafv2_web_acl.${waf.id}.arn}`,
      });
    });

    test("dev, where config turns it off, has none", () => {
      expect(resources(dev.json["api-stack"], "aws_wafv2_web_acl")).toHaveLength(0);
      expect(resources(dev.json["api-stack"], "aws_wafv2_web_acl_association")).toHaveLength(0);
    });
  });

  describe("account CloudWatch role", () => {
    test("prod, which owns the account setting, creates it and the stage waits for it", () => {
      const account = only(api, "aws_api_gateway_account");
      const role = only(api, "aws_iam_role");
      expect(role.config.name).toBe("prod-service-apigateway-cloudwatch");
      expect(account.config.cloudwatch_role_arn).toBe(`\${aws_iam_role.${role.id}.arn}`);
      expect(only(api, "aws_api_gateway_stage").config.depends_on).toContain(`aws_api_gateway_account.${account.id}`);
    });

    test("dev leaves the account setting alone", () => {
      expect(resources(dev.json["api-stack"], "aws_api_gateway_account")).toHaveLength(0);
    });
  });

  test.each(["api_invoke_url", "api_id", "api_stage_name"])("output %s has a description", (name) => {
    expect(api.output?.[name]?.description).toEqual(expect.any(String));
    expect(api.output?.[name]?.sensitive).toBeUndefined();
  });
});
