/**
 * The Terraform harness's own parts that the Terraform suites rely on without checking them: reading
 * `terraform plan -json` (Terraform's machine-readable UI) and the shared provider process the plans attach to.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planFromJsonUi, startSharedProvider, summarizePlan, type TerraformContext } from "../tools/terraform/harness";

const line = (message: object) => JSON.stringify({ "@level": "info", "@module": "terraform.ui", ...message });
/** A planned_change message as Terraform writes it; `resource` is the address within its module. */
const change = (addr: string, type: string, action: string) =>
  line({
    type: "planned_change",
    "@message": `${addr}: Plan to ${action}`,
    change: { resource: { addr, resource: addr.replace(/^(module\.[^.]+\.)+/, ""), resource_type: type }, action },
  });

describe("planFromJsonUi", () => {
  const stdout = [
    line({ type: "version", terraform: "1.11.4", ui: "1.2" }),
    change("aws_s3_bucket.packages", "aws_s3_bucket", "create"),
    change("aws_iam_role.api", "aws_iam_role", "update"),
    change("aws_api_gateway_stage.main", "aws_api_gateway_stage", "replace"),
    change("data.aws_iam_policy_document.trust", "aws_iam_policy_document", "read"),
    change("module.app.data.aws_region.current", "aws_region", "read"),
    change("module.data.aws_s3_bucket.logs", "aws_s3_bucket", "create"),
    line({
      type: "diagnostic",
      "@level": "warn",
      diagnostic: {
        severity: "warning",
        summary: "Attribute Deprecated",
        detail: "reset_on_delete is deprecated",
        address: "aws_api_gateway_account.a",
      },
    }),
    line({ type: "change_summary", changes: { add: 1, change: 1, remove: 1, operation: "plan" } }),
    "",
  ].join("\n");

  test("turns planned changes into resource changes, a replacement into a delete and a create, data sources by their address in their module", () => {
    expect(planFromJsonUi(stdout).resource_changes).toEqual([
      { address: "aws_s3_bucket.packages", mode: "managed", type: "aws_s3_bucket", change: { actions: ["create"] } },
      { address: "aws_iam_role.api", mode: "managed", type: "aws_iam_role", change: { actions: ["update"] } },
      { address: "aws_api_gateway_stage.main", mode: "managed", type: "aws_api_gateway_stage", change: { actions: ["delete", "create"] } },
      { address: "data.aws_iam_policy_document.trust", mode: "data", type: "aws_iam_policy_document", change: { actions: ["read"] } },
      { address: "module.app.data.aws_region.current", mode: "data", type: "aws_region", change: { actions: ["read"] } },
      { address: "module.data.aws_s3_bucket.logs", mode: "managed", type: "aws_s3_bucket", change: { actions: ["create"] } },
    ]);
  });

  test("a summary of it counts the creates and names the replaced resource among the deletes", () => {
    expect(summarizePlan(planFromJsonUi(stdout))).toEqual({
      creates: { aws_s3_bucket: 2 },
      createdAddresses: ["aws_s3_bucket.packages", "module.data.aws_s3_bucket.logs"],
      deletes: ["aws_api_gateway_stage.main"],
      updates: ["aws_iam_role.api"],
    });
  });

  test("keeps every diagnostic with its severity, summary, detail and address", () => {
    expect(planFromJsonUi(stdout).diagnostics).toEqual([
      { severity: "warning", summary: "Attribute Deprecated", detail: "reset_on_delete is deprecated", address: "aws_api_gateway_account.a" },
    ]);
  });

  test("refuses an action it does not know, naming it, instead of miscounting the plan", () => {
    expect(() => planFromJsonUi(change("aws_s3_bucket.b", "aws_s3_bucket", "transmogrify"))).toThrow(
      'terraform plan -json: unknown action "transmogrify" for aws_s3_bucket.b',
    );
  });
});

describe("startSharedProvider", () => {
  let dir: string;
  const ctx: TerraformContext = { version: "1.11.4", env: { PATH: process.env.PATH }, cleanup: () => undefined };
  const script = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "shared-provider-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("returns the TF_REATTACH_PROVIDERS value the provider prints in its debug mode, and stops the provider on close", async () => {
    const reattach = '{"registry.terraform.io/hashicorp/aws":{"Protocol":"grpc","ProtocolVersion":5,"Pid":1,"Test":true}}';
    // What the AWS provider prints (tf5server's managed debug mode), with its tab and single quotes.
    writeFileSync(
      join(dir, "started.txt"),
      `Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='${reattach}'\n`,
    );
    const provider = await startSharedProvider(
      ctx,
      script("provider", `[ "$1" = "-debug" ] || exit 9\ncat "${join(dir, "started.txt")}"\nexec sleep 60`),
    );
    expect(provider.reattach).toBe(reattach);
    await provider.close();
  });

  test("fails, naming the binary and what it printed, when the provider exits instead", async () => {
    await expect(startSharedProvider(ctx, script("broken", "echo 'no such flag: -debug' >&2\nexit 2"))).rejects.toThrow(
      /the AWS provider \(.*broken -debug\) did not start: it exited \(2\)\nno such flag: -debug/,
    );
  });

  test("exclusive() runs one command at a time, in order, and goes on after one fails", async () => {
    const provider = await startSharedProvider(ctx, script("quiet", "echo \"TF_REATTACH_PROVIDERS='{}'\"\nexec sleep 60"));
    const events: string[] = [];
    const step =
      (name: string, ms: number, fail = false) =>
      async () => {
        events.push(`${name} start`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`${name} end`);
        if (fail) throw new Error(`${name} failed`);
        return name;
      };
    const results = await Promise.allSettled([
      provider.exclusive(step("a", 30)),
      provider.exclusive(step("b", 5, true)),
      provider.exclusive(step("c", 5)),
    ]);
    await provider.close();
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual(["a", "b failed", "c"]);
    expect(events).toEqual(["a start", "a end", "b start", "b end", "c start", "c end"]);
  });
});
