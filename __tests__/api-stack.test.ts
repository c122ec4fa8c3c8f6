import { ACCESS_LOG_FORMAT } from "../app/constructs/lambda-rest-api";
import { ValidationError } from "../app/constructs/validation-error";
import { ROUTES } from "../app/stacks/routes";
import { ERROR_CODES, GATEWAY_RESPONSES, type GatewayResponseType } from "../app/lambda-packages/shared/error-codes";
import { LAMBDA_POLICY_SIZE_LIMIT, lambdaResourcePolicies, resourcePolicySize } from "../tools/local/iam/lambda-resource-policy";
import { SynthesizedApp } from "../tools/local/synthesized";
import { comesFrom, sourcesOf, onlyResource as only, resources, synthStacks, SynthResult, TerraformJson } from "./support/synth";

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

/** A value api-stack reads from compute-stack: `attribute` of the Lambda function `fn`. */
const fromCompute = (fn: string, attribute: string) => comesFrom(prod, "api-stack", `compute-stack/${fn}/function.${attribute}`);
/** API Gateway invokes a function through its `live` alias. */
const fromAlias = (fn: string, attribute: string) => comesFrom(prod, "api-stack", `compute-stack/${fn}/alias.${attribute}`);

/** The method and integration of `METHOD /path`, found through the resource tree. */
function routeResources(json: TerraformJson, httpMethod: string, path: string) {
  const all = resources(json, "aws_api_gateway_resource");
  const restApi = resources(json, "aws_api_gateway_rest_api")[0];
  let parent = `\${aws_api_gateway_rest_api.${restApi.id}.root_resource_id}`;
  for (const part of path.split("/").slice(1)) {
    const resource = all.find((r) => r.config.parent_id === parent && r.config.path_part === part);
    if (!resource) throw new Error(`no resource for ${part} of ${path}`);
    parent = `\${aws_api_gateway_resource.${resource.id}.id}`;
  }
  const method = resources(json, "aws_api_gateway_method").find((m) => m.config.resource_id === parent && m.config.http_method === httpMethod);
  const integration = resources(json, "aws_api_gateway_integration").find(
    (i) => i.config.resource_id === parent && String(i.config.http_method).includes(method?.id ?? "?"),
  );
  if (!method || !integration) throw new Error(`no method/integration for ${httpMethod} ${path}`);
  return { method: method.config as Record<string, any>, integration: integration.config as Record<string, any> };
}

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
        uri: fromAlias("health", "invoke_arn"),
      });
    });

    test("every route has one method and one integration; every function one invoke permission per HTTP method it serves", () => {
      const proxied = resources(api, "aws_api_gateway_integration").filter((i) => i.config.type === "AWS_PROXY");
      expect(resources(api, "aws_api_gateway_method").filter((m) => m.config.http_method !== "OPTIONS")).toHaveLength(ROUTES.length);
      expect(proxied).toHaveLength(ROUTES.length);
      const permissions = resources(api, "aws_lambda_permission").filter((p) => p.config.statement_id !== "AllowApiGatewayAuthorizer");
      const served = [...new Set(ROUTES.map((r) => `${r.function} ${r.method}`))].sort();
      expect(permissions.map((p) => `${sourcesOf(prod, "api-stack", p.config.function_name).join()} ${p.config.statement_id}`).sort()).toEqual(
        served.map((key) => `compute-stack/${key.replace(" ", "/function.function_name AllowApiGateway-")}`).sort(),
      );
    });

    test.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))("%s is served by its function", (_key, route) => {
      const { method, integration } = routeResources(api, route.method, route.path);
      expect(method.http_method).toBe(route.method);
      expect(integration).toMatchObject({ type: "AWS_PROXY", uri: fromAlias(route.function, "invoke_arn") });
    });

    test.each(ROUTES.filter((r) => r.auth === "bearer").map((r) => [`${r.method} ${r.path}`, r] as const))(
      "%s requires the bearer authorizer",
      (_key, route) => {
        const authorizer = only(api, "aws_api_gateway_authorizer");
        expect(routeResources(api, route.method, route.path).method).toMatchObject({
          authorization: "CUSTOM",
          authorizer_id: `\${aws_api_gateway_authorizer.${authorizer.id}.id}`,
          request_parameters: { "method.request.header.Authorization": true },
        });
      },
    );

    test.each(ROUTES.filter((r) => r.auth === "none").map((r) => [`${r.method} ${r.path}`, r] as const))("%s is public", (_key, route) => {
      const { method } = routeResources(api, route.method, route.path);
      expect(method.authorization).toBe("NONE");
      expect(method.authorizer_id).toBeUndefined();
    });

    test("the authorizer is a REQUEST authorizer on the Authorization header with the configured cache TTL", () => {
      const restApi = only(api, "aws_api_gateway_rest_api");
      const authorizer = only(api, "aws_api_gateway_authorizer");
      expect(authorizer.config).toMatchObject({
        name: "prod-service-api-bearer",
        type: "REQUEST",
        identity_source: "method.request.header.Authorization",
        authorizer_result_ttl_in_seconds: 60,
        authorizer_uri: fromAlias("authorizer", "invoke_arn"),
      });
      const permission = resources(api, "aws_lambda_permission").find((p) => p.config.statement_id === "AllowApiGatewayAuthorizer");
      expect(permission?.config).toMatchObject({
        function_name: fromCompute("authorizer", "function_name"),
        qualifier: "live",
        source_arn: `\${aws_api_gateway_rest_api.${restApi.id}.execution_arn}/authorizers/\${aws_api_gateway_authorizer.${authorizer.id}.id}`,
      });
    });

    test("dev's authorizer cache TTL of 0 makes log-out immediate", () => {
      expect(only(dev.json["api-stack"], "aws_api_gateway_authorizer").config.authorizer_result_ttl_in_seconds).toBe(0);
    });

    test("the invoke permission is scoped to this API, its stage and the method, on the alias API Gateway invokes", () => {
      const restApi = only(api, "aws_api_gateway_rest_api");
      const permission = resources(api, "aws_lambda_permission").find(
        (p) => p.config.statement_id === "AllowApiGateway-GET" && String(p.config.function_name).includes("health"),
      );
      expect(permission?.config).toEqual({
        "//": expect.anything(),
        action: "lambda:InvokeFunction",
        principal: "apigateway.amazonaws.com",
        function_name: fromCompute("health", "function_name"),
        qualifier: "live",
        statement_id: "AllowApiGateway-GET",
        source_arn: `\${aws_api_gateway_rest_api.${restApi.id}.execution_arn}/prod/GET/*`,
      });
    });
  });

  test("every function's resource policy, as Lambda builds it, is within Lambda's limit of 20,480 bytes", () => {
    const policies = [...lambdaResourcePolicies(new SynthesizedApp(prod.outdir)).values()];
    // API Gateway invokes the authorizer and every function that serves a route.
    const invoked = [...new Set(["authorizer", ...ROUTES.map((route) => route.function)])].sort();
    expect(policies.map((p) => p.functionName).sort()).toEqual(invoked.map((fn) => `prod-service-${fn}`));
    const over = policies.filter((p) => resourcePolicySize(p) > LAMBDA_POLICY_SIZE_LIMIT);
    expect(over.map((p) => `${p.functionName}: ${resourcePolicySize(p)} bytes > ${LAMBDA_POLICY_SIZE_LIMIT} bytes (Lambda's limit)`)).toEqual([]);
  });

  describe("deployment and stage", () => {
    test("the REST API and its stage are replaced create before destroy, so a new API never leaves the stage without one (CKV_AWS_237)", () => {
      expect(only(api, "aws_api_gateway_rest_api").config.lifecycle).toEqual({ create_before_destroy: true });
      expect(only(api, "aws_api_gateway_stage").config.lifecycle).toEqual({ create_before_destroy: true });
    });

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
        kms_key_id: comesFrom(prod, "api-stack", "data-stack/app-key/key.arn"),
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
      const byPath = (p: string) => settings.find((s) => s.config.method_path === p)!;
      expect(byPath("~1health/GET").config.settings).toMatchObject({ throttling_rate_limit: 50, throttling_burst_limit: 100 });
      expect(byPath("~1users/POST").config.settings).toMatchObject({ throttling_rate_limit: 20, throttling_burst_limit: 40 });
      expect(byPath("~1sessions/POST").config.settings).toMatchObject({ throttling_rate_limit: 50, throttling_burst_limit: 100 });
      // One after the other: API Gateway rejects concurrent updates of a stage's settings.
      expect(byPath("~1health/GET").config.depends_on).toEqual([`aws_api_gateway_method_settings.${all.id}`]);
      expect(byPath("~1users/POST").config.depends_on).toEqual([`aws_api_gateway_method_settings.${byPath("~1health/GET").id}`]);
    });

    test("an override on a nested route writes every slash of its resource path as ~1 in method_path, as API Gateway keys method settings", () => {
      const config = prod.config;
      const nested = synthStacks({
        config: {
          ...config,
          api: {
            ...config.api,
            routeThrottling: { "PATCH /users/me": { rateLimit: 7, burstLimit: 9 }, "GET /users/{id}": { rateLimit: 3, burstLimit: 5 } },
          },
        },
      });
      try {
        const paths = resources(nested.json["api-stack"], "aws_api_gateway_method_settings").map((s) => [s.config.method_path, s.config.settings]);
        expect(paths.sort(([a], [b]) => (String(a) < String(b) ? -1 : 1))).toEqual([
          ["*/*", expect.objectContaining({ throttling_rate_limit: 1000, throttling_burst_limit: 2000 })],
          ["~1users~1me/PATCH", expect.objectContaining({ throttling_rate_limit: 7, throttling_burst_limit: 9 })],
          ["~1users~1{id}/GET", expect.objectContaining({ throttling_rate_limit: 3, throttling_burst_limit: 5 })],
        ]);
      } finally {
        nested.cleanup();
      }
    });

    test("a route override for a route that does not exist stops synth, naming the API's construct path", () => {
      const config = prod.config;
      const synth = () =>
        synthStacks({
          config: { ...config, api: { ...config.api, routeThrottling: { "GET /helth": { rateLimit: 1, burstLimit: 1 } } } },
        });
      expect(synth).toThrow(ValidationError);
      expect(synth).toThrow('api-stack/rest-api: routeThrottling: "GET /helth" is not a route of this API (routes: GET /health, ');
    });
  });

  describe("CORS", () => {
    test("prod, with no origins configured, answers no preflight", () => {
      expect(resources(api, "aws_api_gateway_method").filter((m) => m.config.http_method === "OPTIONS")).toHaveLength(0);
    });

    test("dev answers the preflight of every routed resource for its configured origin only", () => {
      const devApi = dev.json["api-stack"];
      const paths = new Set(ROUTES.map((r) => r.path));
      const responses = resources(devApi, "aws_api_gateway_integration_response");
      expect(resources(devApi, "aws_api_gateway_method").filter((m) => m.config.http_method === "OPTIONS")).toHaveLength(paths.size);
      expect(responses).toHaveLength(paths.size);
      for (const r of responses) {
        const template = (r.config.response_templates as Record<string, string>)["application/json"];
        expect(template).toContain('#if($origin == "http://localhost:3000")');
        expect(template).not.toContain("'*'");
      }
      const users = responses.find((r) => String(r.config.resource_id).includes("resource-users-me"));
      expect((users?.config.response_parameters as Record<string, string>)["method.response.header.Access-Control-Allow-Methods"]).toBe(
        "'GET,PATCH,DELETE,OPTIONS'",
      );
    });

    test("with allowed origins, the gateway's own (static) errors are readable from any origin: `*`, exposing Retry-After", () => {
      for (const response of resources(dev.json["api-stack"], "aws_api_gateway_gateway_response")) {
        expect(response.config.response_parameters).toMatchObject({
          "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
          "gatewayresponse.header.Access-Control-Expose-Headers": "'Retry-After,WWW-Authenticate'",
        });
        expect(response.config.response_parameters).not.toHaveProperty(["gatewayresponse.header.Access-Control-Allow-Credentials"]);
      }
      for (const response of resources(api, "aws_api_gateway_gateway_response")) {
        expect(response.config.response_parameters).not.toHaveProperty(["gatewayresponse.header.Access-Control-Allow-Origin"]);
      }
    });

    test("preflight integrations are mocks: no function runs for OPTIONS", () => {
      const devApi = dev.json["api-stack"];
      const options = resources(devApi, "aws_api_gateway_integration").filter((i) => i.config.type !== "AWS_PROXY");
      expect(options.length).toBeGreaterThan(0);
      for (const i of options) expect(i.config.type).toBe("MOCK");
    });
  });

  const gatewayResponseTypes = Object.keys(GATEWAY_RESPONSES) as GatewayResponseType[];
  test.each(gatewayResponseTypes)("%s gateway errors are JSON with a code of the vocabulary and a static message", (type) => {
    const response = resources(api, "aws_api_gateway_gateway_response").find((r) => r.config.response_type === type);
    const template = (response?.config.response_templates as Record<string, string>)["application/json"];
    const body = JSON.parse(template);
    const { code, message } = GATEWAY_RESPONSES[type];
    expect(body).toEqual({ error: { code, message } });
    expect(Object.keys(ERROR_CODES)).toContain(body.error.code);
    expect(typeof body.error.message).toBe("string");
    expect(body.error.message.length).toBeGreaterThan(0);
    const status: number | undefined = (GATEWAY_RESPONSES[type] as { status?: number }).status;
    expect(response?.config.status_code).toBe(status === undefined ? undefined : String(status));
    expect(response?.config.response_parameters).toMatchObject({
      "gatewayresponse.header.Cache-Control": "'no-store'",
      "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
    });
  });

  test("every gateway response answers with the status of its code, except the catch-alls that keep API Gateway's", () => {
    for (const type of gatewayResponseTypes) {
      if (type === "DEFAULT_4XX" || type === "DEFAULT_5XX") continue;
      const definition: { code: keyof typeof ERROR_CODES; status?: number } = GATEWAY_RESPONSES[type];
      if (definition.status !== undefined) expect([type, definition.status]).toEqual([type, ERROR_CODES[definition.code].status]);
    }
  });

  test("the authorizer's outage is a retryable 503 with Retry-After, and a 401 asks for a bearer token", () => {
    const responses = resources(api, "aws_api_gateway_gateway_response");
    const byType = (type: string) => responses.find((r) => r.config.response_type === type)!.config;
    for (const type of ["AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE"]) {
      expect(byType(type).status_code).toBe("503");
      expect(byType(type).response_parameters).toMatchObject({ "gatewayresponse.header.Retry-After": "'1'" });
    }
    expect(byType("THROTTLED").response_parameters).toMatchObject({ "gatewayresponse.header.Retry-After": "'1'" });
    expect(byType("UNAUTHORIZED").response_parameters).toMatchObject({ "gatewayresponse.header.WWW-Authenticate": "'Bearer'" });
    expect(byType("MISSING_AUTHENTICATION_TOKEN").status_code).toBe("404");
  });

  describe("WAF", () => {
    test("prod associates a web ACL with the AWS common and known-bad-inputs rule sets, a per-IP rate limit and tighter ones on sign-up and log-in to the stage", () => {
      const acl = only(api, "aws_wafv2_web_acl").config as Record<string, any>;
      expect(acl).toMatchObject({ name: "prod-service-api-waf", scope: "REGIONAL", default_action: { allow: {} } });
      const rules = JSON.parse(acl.rule_json);
      expect(rules).toEqual([
        expect.objectContaining({
          Priority: 1,
          Statement: { ManagedRuleGroupStatement: { VendorName: "AWS", Name: "AWSManagedRulesCommonRuleSet" } },
          OverrideAction: { None: {} },
        }),
        expect.objectContaining({
          Priority: 2,
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: "IP" } },
        }),
        expect.objectContaining({
          Priority: 3,
          Statement: { ManagedRuleGroupStatement: { VendorName: "AWS", Name: "AWSManagedRulesKnownBadInputsRuleSet" } },
          OverrideAction: { None: {} },
          VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: "prod-service-api-waf-known-bad-inputs" },
        }),
        // The routes that take credentials without a session, each with its own, tighter limit per IP.
        ...ROUTES.filter((r) => r.auth === "none" && r.method === "POST").map((route, i) =>
          expect.objectContaining({
            Name: `rate-limit-post${route.path.replace(/\//g, "-")}`,
            Priority: 10 + i,
            Action: { Block: {} },
            Statement: {
              RateBasedStatement: {
                Limit: 100,
                AggregateKeyType: "IP",
                ScopeDownStatement: {
                  AndStatement: {
                    Statements: [
                      {
                        ByteMatchStatement: expect.objectContaining({
                          FieldToMatch: { Method: {} },
                          PositionalConstraint: "EXACTLY",
                          SearchString: "POST",
                        }),
                      },
                      {
                        ByteMatchStatement: expect.objectContaining({
                          FieldToMatch: { UriPath: {} },
                          PositionalConstraint: "ENDS_WITH",
                          SearchString: route.path,
                        }),
                      },
                    ],
                  },
                },
              },
            },
          }),
        ),
      ]);
      expect(rules.filter((r: { Name: string }) => r.Name.startsWith("rate-limit-post-")).map((r: { Name: string }) => r.Name)).toEqual([
        "rate-limit-post-users",
        "rate-limit-post-sessions",
      ]);
      const stage = only(api, "aws_api_gateway_stage");
      const waf = only(api, "aws_wafv2_web_acl");
      expect(only(api, "aws_wafv2_web_acl_association").config).toMatchObject({
        resource_arn: `\${aws_api_gateway_stage.${stage.id}.arn}`,
        web_acl_arn: `\${aws_wafv2_web_acl.${waf.id}.arn}`,
      });
    });

    test("logs every request WAF evaluates to an encrypted aws-waf-logs- group with a retention period, the Authorization header redacted", () => {
      const waf = only(api, "aws_wafv2_web_acl");
      const group = resources(api, "aws_cloudwatch_log_group").find((g) => g.config.name === "aws-waf-logs-prod-service-api-waf");
      expect(group?.config).toMatchObject({ retention_in_days: 90, kms_key_id: comesFrom(prod, "api-stack", "data-stack/app-key/key.arn") });
      expect(only(api, "aws_wafv2_web_acl_logging_configuration").config).toMatchObject({
        resource_arn: `\${aws_wafv2_web_acl.${waf.id}.arn}`,
        log_destination_configs: [`\${aws_cloudwatch_log_group.${group!.id}.arn}`],
        redacted_fields: [{ single_header: { name: "authorization" } }],
      });
    });

    test("lets only this account's log deliveries write to the WAF log group, nothing else", () => {
      const group = resources(api, "aws_cloudwatch_log_group").find((g) => g.config.name === "aws-waf-logs-prod-service-api-waf")!;
      const policy = only(api, "aws_cloudwatch_log_resource_policy").config as Record<string, any>;
      expect(policy.policy_name).toBe("prod-service-api-waf-log-delivery");
      const document = JSON.parse(policy.policy_document);
      expect(document.Statement).toEqual([
        {
          Sid: "WafLogDelivery",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `\${aws_cloudwatch_log_group.${group.id}.arn}:log-stream:*`,
          Condition: {
            StringEquals: { "aws:SourceAccount": comesFrom(prod, "api-stack", "data-stack/caller.account_id") },
            ArnLike: { "aws:SourceArn": expect.stringMatching(/^arn:aws:logs:us-east-1:\$\{[^}]+\}:\*$/) },
          },
        },
      ]);
      expect(only(api, "aws_wafv2_web_acl_logging_configuration").config.depends_on).toEqual([
        `aws_cloudwatch_log_resource_policy.${resources(api, "aws_cloudwatch_log_resource_policy")[0].id}`,
      ]);
    });

    test("api.waf.anonymousIpList adds AWS's anonymous IP list, evaluated first", () => {
      const config = prod.config;
      const withList = synthStacks({ config: { ...config, api: { ...config.api, waf: { ...config.api.waf, anonymousIpList: true } } } });
      try {
        const rules = JSON.parse(String(only(withList.json["api-stack"], "aws_wafv2_web_acl").config.rule_json));
        expect(rules.map((r: { Name: string; Priority: number }) => [r.Priority, r.Name])).toEqual([
          [0, "aws-anonymous-ip-list"],
          [1, "aws-common-rule-set"],
          [2, "rate-limit-per-ip"],
          [3, "aws-known-bad-inputs"],
          [10, "rate-limit-post-users"],
          [11, "rate-limit-post-sessions"],
        ]);
        expect(rules[0].Statement).toEqual({ ManagedRuleGroupStatement: { VendorName: "AWS", Name: "AWSManagedRulesAnonymousIpList" } });
      } finally {
        withList.cleanup();
      }
      expect(JSON.parse(String(only(api, "aws_wafv2_web_acl").config.rule_json)).map((r: { Name: string }) => r.Name)).not.toContain(
        "aws-anonymous-ip-list",
      );
    });

    /**
     * WCU per rule as AWS's WAF developer guide lists them: managed rule groups in "AWS Managed Rules rule groups
     * list" (common 700, known bad inputs 200, anonymous IP list 50), a rate-based rule 2 plus its scope-down
     * statement, a logical AND what its statements cost, a string match EXACTLY or ENDS_WITH without text
     * transformation 2 ("Using match rule statements"). A web ACL's base price covers 1,500 WCU.
     */
    const DOCUMENTED_WCU: Record<string, number> = {
      AWSManagedRulesCommonRuleSet: 700,
      AWSManagedRulesKnownBadInputsRuleSet: 200,
      AWSManagedRulesAnonymousIpList: 50,
    };
    const statementWcu = (statement: any): number => {
      if (statement.RateBasedStatement)
        return 2 + (statement.RateBasedStatement.ScopeDownStatement ? statementWcu(statement.RateBasedStatement.ScopeDownStatement) : 0);
      if (statement.AndStatement) return statement.AndStatement.Statements.reduce((sum: number, s: unknown) => sum + statementWcu(s), 0);
      if (statement.ByteMatchStatement && ["EXACTLY", "ENDS_WITH"].includes(statement.ByteMatchStatement.PositionalConstraint)) return 2;
      const wcu = DOCUMENTED_WCU[statement.ManagedRuleGroupStatement?.Name ?? ""];
      if (wcu === undefined) throw new Error(`no documented WCU for ${JSON.stringify(statement)}`);
      return wcu;
    };
    const wcuOf = (rule: { Statement: unknown }) => statementWcu(rule.Statement);

    test.each([false, true])("with anonymousIpList %s, the rules fit the 1,500 WCU of the web ACL's base price", (anonymousIpList) => {
      const config = prod.config;
      const synth = synthStacks({ config: { ...config, api: { ...config.api, waf: { ...config.api.waf, anonymousIpList } } } });
      try {
        const rules = JSON.parse(String(only(synth.json["api-stack"], "aws_wafv2_web_acl").config.rule_json));
        const total = rules.reduce((sum: number, rule: never) => sum + wcuOf(rule), 0);
        // 902 (950 with the anonymous IP list) plus 6 per route limit: 2 + an AND of two string matches.
        expect(total).toBe((anonymousIpList ? 952 : 902) + 2 * 6);
        expect(total).toBeLessThanOrEqual(1500);
        expect(synth.stacks.api.waf?.capacity).toBe(total);
      } finally {
        synth.cleanup();
      }
    });

    test("prod outputs the web ACL's ARN for verify; dev, without one, does not", () => {
      const waf = only(api, "aws_wafv2_web_acl");
      expect(api.output?.web_acl_arn).toMatchObject({ value: `\${aws_wafv2_web_acl.${waf.id}.arn}`, description: expect.any(String) });
      expect(dev.json["api-stack"].output?.web_acl_arn).toBeUndefined();
    });

    test("dev, where config turns it off, has none", () => {
      expect(resources(dev.json["api-stack"], "aws_wafv2_web_acl")).toHaveLength(0);
      expect(resources(dev.json["api-stack"], "aws_wafv2_web_acl_association")).toHaveLength(0);
      expect(resources(dev.json["api-stack"], "aws_wafv2_web_acl_logging_configuration")).toHaveLength(0);
      expect(resources(dev.json["api-stack"], "aws_cloudwatch_log_resource_policy")).toHaveLength(0);
    });
  });

  describe("account CloudWatch role", () => {
    test.each(["prod", "dev"])("%s leaves the account-wide setting to the bootstrap: no aws_api_gateway_account, no role", (environment) => {
      const json = (environment === "prod" ? prod : dev).json["api-stack"];
      expect(resources(json, "aws_api_gateway_account")).toHaveLength(0);
      expect(resources(json, "aws_iam_role")).toHaveLength(0);
    });
  });

  test.each(["api_invoke_url", "api_id", "api_stage_name"])("output %s has a description", (name) => {
    expect(api.output?.[name]?.description).toEqual(expect.any(String));
    expect(api.output?.[name]?.sensitive).toBeUndefined();
  });
});
