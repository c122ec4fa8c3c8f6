/**
 * `npm run terraform:providers`: `terraform init` once for the providers the stacks pin (read from a synthesized
 * provider block, so it follows @cdktf/provider-aws), which fills Terraform's plugin cache (TF_PLUGIN_CACHE_DIR)
 * before `npm test` starts several inits at once: Terraform does not make the cache safe for concurrent writes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";

/** The `required_providers` block cdktf writes for the AWS provider, e.g. `{ aws: { source: "aws", version: "5.100.0" } }`. */
export function requiredProviders(): Record<string, { source: string; version: string }> {
  const outdir = mkdtempSync(join(tmpdir(), "tf-providers-"));
  try {
    const app = new App({ outdir });
    new AwsProvider(new TerraformStack(app, "providers"), "aws", { region: "us-east-1" });
    app.synth();
    const json = JSON.parse(readFileSync(join(outdir, "stacks", "providers", "cdk.tf.json"), "utf8")) as {
      terraform: { required_providers: Record<string, { source: string; version: string }> };
    };
    return json.terraform.required_providers;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (!process.env.TF_PLUGIN_CACHE_DIR) {
    console.error("TF_PLUGIN_CACHE_DIR is not set: there is no plugin cache to fill.");
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), "tf-providers-init-"));
  try {
    const providers = requiredProviders();
    const config = { terraform: { required_providers: providers } };
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config, null, 2));
    console.log(
      `terraform init for ${Object.entries(providers)
        .map(([name, p]) => `${name} ${p.source} ${p.version}`)
        .join(", ")}`,
    );
    const init = spawnSync("terraform", ["init", "-backend=false", "-input=false"], { cwd: dir, stdio: "inherit" });
    process.exitCode = init.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
