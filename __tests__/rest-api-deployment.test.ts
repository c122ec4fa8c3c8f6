/**
 * The API deployment's triggers (app/constructs/rest-api/deployment.ts): `references` is a Terraform expression,
 * `sha1(jsonencode([...]))` over attributes of the methods, integrations, preflights, gateway responses and the
 * authorizer. Terraform evaluates it against state, so it must give the same hash right after create and after the
 * provider's first read; otherwise the first plan after a deploy replaces the deployment with nothing changed.
 *
 * The hash is computed here the way Terraform does, from a simulated state: each referenced attribute is the
 * argument as written, an id made up per resource (the same in both states), and for an optional argument that
 * was not written, what the provider stores: null right after create, and what it reads back later. AWS provider
 * 5.100 reads a method's missing `authorizerId` back as "" (as it does for the other optional strings), so the
 * read-back state has "" for every argument that was not written.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { LambdaRestApi, type ApiRoute, type LambdaRestApiProps } from "../app/constructs/lambda-rest-api";
import { FakeArns } from "../tools/lib/fake-arns";
import { TerraformApp, type Block, type TerraformJson } from "../tools/lib/terraform-json";

const target = { name: "fn", functionName: "fn", invokeArn: "arn:aws:apigateway:eu-west-1:lambda:path/fn/invocations" };
const route = (method: ApiRoute["method"], path: string, auth: ApiRoute["auth"] = "none"): ApiRoute => ({ method, path, auth, target });

const PROPS: LambdaRestApiProps = {
  name: "app-api",
  stageName: "v1",
  routes: [route("GET", "/health"), route("POST", "/users"), route("GET", "/users/{id}", "bearer")],
  authorizer: { target, cacheTtlSeconds: 0 },
  corsOrigins: ["https://app.example.com"],
  throttling: { rateLimit: 10, burstLimit: 20 },
  executionLogLevel: "ERROR",
  logRetentionDays: 14,
  kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000",
};

const outdir = mkdtempSync(join(tmpdir(), "rest-api-deployment-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const STACK = "api-stack";

/** The API's stack JSON, as `cdktf synth` writes it. */
function synth(props: LambdaRestApiProps): TerraformJson {
  const stack = new TerraformStack(Testing.app({ outdir }), STACK);
  new LambdaRestApi(stack, "rest-api", props);
  return JSON.parse(Testing.synth(stack)) as TerraformJson;
}

/** What the provider stores for an optional argument that was not written: after create, or after its first read. */
type UnwrittenArgument = (block: Block, attribute: string) => { readonly stored: unknown };
const AFTER_CREATE: UnwrittenArgument = () => ({ stored: null });
const AFTER_READ: UnwrittenArgument = () => ({ stored: "" });

/** The deployment's `triggers.references`, as Terraform computes it from a state where unwritten arguments are `unwritten`. */
function referencesHash(json: TerraformJson, unwritten: UnwrittenArgument): string {
  const [deployment] = Object.values(json.resource?.aws_api_gateway_deployment ?? {});
  const expression = (deployment?.triggers as Record<string, string> | undefined)?.references ?? "";
  const tuple = /^\$\{sha1\(jsonencode\((.*)\)\)\}$/s.exec(expression)?.[1];
  if (tuple === undefined) throw new Error(`triggers.references is not sha1(jsonencode(...)): ${expression}`);
  const app = new TerraformApp({ [STACK]: json }, [STACK]);
  const options = {
    arns: new FakeArns("deterministic"),
    // `id` and the ARNs are made up per resource, the same in both states; any other attribute that was not written is `unwritten`.
    computed: (block: Block, attribute: string) => (attribute === "id" || attribute.endsWith("arn") ? undefined : unwritten(block, attribute)),
  };
  // The tuple holds brackets, commas and references only; each reference becomes its value as JSON. (An
  // unwritten argument's value comes wrapped, since the evaluator takes a null from `computed` for "not emulated".)
  const evaluated = tuple.replace(/[^\s[\],]+/g, (reference) => {
    const value = app.evaluate(STACK, `\${${reference}}`, options);
    return JSON.stringify(value !== null && typeof value === "object" && "stored" in value ? value.stored : value);
  });
  return createHash("sha1")
    .update(JSON.stringify(JSON.parse(evaluated)))
    .digest("hex");
}

describe("API deployment triggers", () => {
  test("the references hash the same right after create and after the provider's first read, so the first plan after a deploy changes nothing", () => {
    const json = synth(PROPS);
    expect(referencesHash(json, AFTER_READ)).toBe(referencesHash(json, AFTER_CREATE));
  });

  test("a method without an authorizer contributes no authorizer_id; a CUSTOM method does", () => {
    const json = synth(PROPS);
    const references = String((Object.values(json.resource!.aws_api_gateway_deployment)[0].triggers as Record<string, string>).references);
    const methods = Object.entries(json.resource!.aws_api_gateway_method).filter(([, m]) => m.http_method !== "OPTIONS");
    const custom = methods.filter(([, m]) => m.authorization === "CUSTOM").map(([name]) => name);
    const open = methods.filter(([, m]) => m.authorization === "NONE").map(([name]) => name);
    expect(custom).toHaveLength(1);
    expect(open).toHaveLength(2);
    for (const name of custom) expect(references).toContain(`aws_api_gateway_method.${name}.authorizer_id`);
    for (const name of open) {
      expect(references).toContain(`aws_api_gateway_method.${name}.authorization`);
      expect(references).not.toContain(`aws_api_gateway_method.${name}.authorizer_id`);
    }
  });

  test.each<[string, Partial<LambdaRestApiProps>]>([
    [
      "a route's function changes (integration uri)",
      { routes: [{ ...route("GET", "/health"), target: { ...target, invokeArn: "arn:other" } }, ...PROPS.routes.slice(1)] },
    ],
    ["a public route goes behind the authorizer", { routes: [route("GET", "/health", "bearer"), ...PROPS.routes.slice(1)] }],
    ["a route is added", { routes: [...PROPS.routes, route("DELETE", "/users/{id}", "bearer")] }],
    ["the authorizer's function changes", { authorizer: { target: { ...target, invokeArn: "arn:other-authorizer" }, cacheTtlSeconds: 0 } }],
    ["the authorizer's cache TTL changes", { authorizer: { target, cacheTtlSeconds: 300 } }],
    ["the CORS origins change (preflight templates)", { corsOrigins: ["https://other.example.com"] }],
  ])("the references change when %s", (_change, override) => {
    const before = referencesHash(synth(PROPS), AFTER_READ);
    expect(referencesHash(synth({ ...PROPS, ...override }), AFTER_READ)).not.toBe(before);
  });
});
