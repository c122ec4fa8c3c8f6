/**
 * The local run and the alias `live`: API Gateway invokes each function through its alias, the local run serves
 * the version the alias points at (the current build), and the invoke permissions are the alias's own resource
 * policy, as in Lambda: an unqualified permission does not let API Gateway invoke the alias.
 */
import { LocalIam } from "../tools/local/iam/local-iam";
import { lambdaTargetOf, restApiModel } from "../tools/local/rest-api";
import { SynthesizedApp } from "../tools/local/synthesized";
import type { TerraformJson } from "../tools/lib/terraform-json";
import { synthStacks, SynthResult } from "./support/synth";

let dev: SynthResult;
let app: SynthesizedApp;

beforeAll(() => {
  dev = synthStacks({ environment: "dev" });
  app = new SynthesizedApp(dev.outdir);
});
afterAll(() => dev.cleanup());

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** `app` with `edit` applied to a copy of one stack's resources. */
function edited(stackId: string, edit: (resources: Resources) => void): SynthesizedApp {
  const json = structuredClone(app.stacks.get(stackId)!.json) as TerraformJson & { resource: Resources };
  edit(json.resource);
  return app.withStackJson(stackId, json);
}

const healthInvokeArn = (on: SynthesizedApp) => {
  const integration = on.resources("aws_api_gateway_integration").find((i) => String(on.argument(i, "uri")).includes("-health:"));
  expect(integration).toBeDefined();
  return on.argument<string>(integration!, "uri");
};

describe("the local run resolves the alias live", () => {
  test("every integration and the authorizer invoke a function's alias live, which serves the current build", () => {
    const api = restApiModel(app);
    const targets: string[] = [];
    const visit = (resource: typeof api.root) => {
      for (const method of resource.methods.values()) {
        if (method.integration.type === "AWS_PROXY") targets.push(`${method.integration.functionName}:${method.integration.qualifier}`);
        if (method.authorizer) targets.push(`${method.authorizer.functionName}:${method.authorizer.qualifier}`);
      }
      resource.children.forEach(visit);
    };
    visit(api.root);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((t) => !/^dev-service-[a-z]+:live$/.test(t))).toEqual([]);
  });

  test("an alias pinned to another version cannot be served: the local run has only the current build", () => {
    const pinned = edited("compute-stack", (resources) => {
      const alias = Object.values(resources.aws_lambda_alias).find((a) => String(a.function_name).includes("health"))!;
      alias.function_version = "3";
    });
    expect(() => lambdaTargetOf(pinned, healthInvokeArn(pinned))).toThrow(
      /^Alias live of dev-service-health serves version "3"; the local run serves only the current build/,
    );
  });

  test("an invoke ARN naming an alias the app does not declare is refused", () => {
    const arn = healthInvokeArn(app).replace(":live/", ":beta/");
    expect(() => lambdaTargetOf(app, arn)).toThrow(`${arn} names dev-service-health:beta, which is not an aws_lambda_alias of the app`);
  });
});

describe("invoke permissions belong to the alias", () => {
  const sourceArn = () => {
    const api = restApiModel(app);
    return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.id}/${api.stageName}/GET/health`;
  };

  test("API Gateway may invoke the alias live from the stage, and not the unqualified function", () => {
    const iam = new LocalIam(app, { log: () => undefined });
    expect(iam.mayInvoke("dev-service-health", sourceArn(), "live")).toBe(true);
    expect(iam.mayInvoke("dev-service-health", sourceArn())).toBe(false);
  });

  test("a permission without the qualifier (on the function, not the alias) does not let API Gateway invoke the alias", () => {
    const unqualified = edited("api-stack", (resources) => {
      for (const permission of Object.values(resources.aws_lambda_permission)) delete permission.qualifier;
    });
    const iam = new LocalIam(unqualified, { log: () => undefined });
    expect(iam.mayInvoke("dev-service-health", sourceArn(), "live")).toBe(false);
    expect(iam.denials()).toEqual([
      expect.objectContaining({ function: "dev-service-health", resource: expect.stringMatching(/:function:dev-service-health:live$/) }),
    ]);
  });
});
