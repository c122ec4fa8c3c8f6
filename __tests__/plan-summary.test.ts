/** tools/plan-summary.ts: the pull request's job summary from `cdktf diff --no-color` logs. */
import { parsePlanLog, planSummaryMarkdown } from "../tools/plan-summary";

const CHANGED = [
  "compute-stack  Terraform used the selected providers to generate the following execution plan.",
  "compute-stack    # aws_lambda_function.users_function_1A2B3C will be updated in-place",
  "compute-stack    # aws_s3_object.users_package-object_9F8E7D must be replaced",
  "compute-stack  Plan: 1 to add, 1 to change, 1 to destroy.",
].join("\n");

describe("plan summary", () => {
  test("reads the plan line and the changed addresses of a diff", () => {
    expect(parsePlanLog("compute-stack", CHANGED)).toEqual({
      stack: "compute-stack",
      result: "1 to add, 1 to change, 1 to destroy",
      planned: true,
      changes: ["aws_lambda_function.users_function_1A2B3C will be updated in-place", "aws_s3_object.users_package-object_9F8E7D must be replaced"],
    });
  });

  test("reads a diff with no changes, with or without colours", () => {
    expect(parsePlanLog("data-stack", "data-stack  \u001b[1mNo changes.\u001b[0m Your infrastructure matches the configuration.")).toMatchObject({
      result: "no changes",
      planned: true,
      changes: [],
    });
  });

  test.each([
    ["a log without a plan (the diff failed)", "api-stack  Error: AccessDenied", "the diff failed: see the full log in the plans artifact"],
    ["no log at all (an earlier step failed)", undefined, "no diff log (an earlier step failed)"],
  ])("reports %s as not planned", (_what, log, result) => {
    expect(parsePlanLog("api-stack", log)).toEqual({ stack: "api-stack", result, planned: false, changes: [] });
  });

  test("writes one table row per stack and the changes of each changed stack", () => {
    const markdown = planSummaryMarkdown("dev", [parsePlanLog("data-stack", "No changes."), parsePlanLog("compute-stack", CHANGED)]);
    expect(markdown.split("\n")).toEqual([
      "### cdktf diff: dev",
      "",
      "| stack | plan |",
      "|---|---|",
      "| `data-stack` | no changes |",
      "| `compute-stack` | 1 to add, 1 to change, 1 to destroy |",
      "",
      "<details><summary>compute-stack: 2 change(s)</summary>",
      "",
      "- `aws_lambda_function.users_function_1A2B3C will be updated in-place`",
      "- `aws_s3_object.users_package-object_9F8E7D must be replaced`",
      "",
      "</details>",
      "",
    ]);
  });
});
