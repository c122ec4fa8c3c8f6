/**
 * No resource is replaced by accident: for every config, each stack's resource addresses and the values of
 * the arguments that force a replacement (tools/replacement-guard.ts) are those committed in
 * `__tests__/fixtures/replacement-guard.<env>.json`. A deliberate change regenerates the file; its diff is
 * the list of what Terraform would replace.
 */
import { readFileSync } from "node:fs";
import { listEnvironments } from "../app/config/load";
import { GENERATE_COMMAND } from "../tools/generate";
import { FORCE_NEW_ATTRIBUTES } from "../tools/lib/force-new-attributes";
import {
  guardDiff,
  guardFileEnvironments,
  guardOf,
  guardPath,
  missingTypeMessage,
  renderGuard,
  replacementGuard,
  type ReplacementGuard,
} from "../tools/replacement-guard";

const ENVIRONMENTS = listEnvironments();
const guards = new Map<string, ReplacementGuard>();
const guardFor = (environment: string) => {
  if (!guards.has(environment)) guards.set(environment, replacementGuard(environment));
  return guards.get(environment)!;
};

describe("the replacement guard", () => {
  test.each(ENVIRONMENTS)("%s: every resource address and replacement-forcing value is the committed one", (environment) => {
    const path = guardPath(environment);
    const committed = JSON.parse(readFileSync(path, "utf8")) as ReplacementGuard;
    const changes = guardDiff(committed, guardFor(environment));
    if (changes.length > 0) {
      throw new Error(
        [
          `${changes.length} change(s) against ${path} (+ added, - removed: Terraform creates or destroys it; ~ changed: Terraform replaces it):`,
          ...changes.map((line) => `  ${line}`),
          `If intended, run \`${GENERATE_COMMAND}\` and commit the diff.`,
        ].join("\n"),
      );
    }
    expect(readFileSync(path, "utf8")).toBe(renderGuard(guardFor(environment)));
  });

  test("there is a guard file for every config and none for a config that no longer exists", () => {
    expect(guardFileEnvironments().sort()).toEqual([...ENVIRONMENTS].sort());
  });

  test("names what changed: an address added or removed, a value old -> new", () => {
    const before: ReplacementGuard = { "api-stack": { "aws_x.a": { name: "a" }, "aws_x.b": { name: "b" } } };
    const after: ReplacementGuard = { "api-stack": { "aws_x.a": { name: "A" }, "aws_x.c": {} } };
    expect(guardDiff(before, after)).toEqual(['~ api-stack aws_x.a name: "a" -> "A"', "- api-stack aws_x.b", "+ api-stack aws_x.c"]);
  });

  test("normalizes the deployment's triggers, and keeps a package object's key as written: a key that changes per build replaces the object", () => {
    const guard = guardOf({
      "compute-stack": { resource: { aws_s3_object: { pkg: { bucket: "b", key: `users/${"a".repeat(64)}.zip`, etag: "x" } } } },
      "api-stack": {
        resource: { aws_api_gateway_deployment: { d: { rest_api_id: "r", triggers: { routes: "0123abcd", references: "${sha1(x)}" } } } },
      },
    });
    expect(guard).toEqual({
      "api-stack": { "aws_api_gateway_deployment.d": { rest_api_id: "r", triggers: { routes: "<hash>", references: "<hash>" } } },
      "compute-stack": { "aws_s3_object.pkg": { bucket: "b", key: `users/${"a".repeat(64)}.zip` } },
    });
  });

  test("fails naming the table's file for a resource type it does not list", () => {
    expect(() => guardOf({ "data-stack": { resource: { aws_sqs_queue: { q: { name: "q" } } } } })).toThrow(missingTypeMessage(["aws_sqs_queue"]));
    expect(missingTypeMessage(["aws_sqs_queue"])).toContain("tools/lib/force-new-attributes.ts");
  });

  test("the ForceNew table lists no resource type that no stack uses (a missing one fails the guard above, naming the table)", () => {
    const used = new Set(
      ENVIRONMENTS.flatMap((env) => Object.values(guardFor(env)).flatMap((addresses) => Object.keys(addresses).map((a) => a.split(".")[0]))),
    );
    const unused = Object.keys(FORCE_NEW_ATTRIBUTES).filter((type) => !used.has(type));
    expect(unused.map((type) => `tools/lib/force-new-attributes.ts lists ${type}, which no stack uses: remove it`)).toEqual([]);
  });
});
