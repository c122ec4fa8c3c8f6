import { existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import {
  API_STACK,
  FIXTURE_DIR,
  fixtureEnvironments,
  fixtureName,
  fixturePath,
  STATE_DIR_PLACEHOLDER,
  synthesizedApiStackJson,
  UPDATE_COMMAND,
} from "./support/api-stack-fixture";

/** Line number (1-based) and both versions of the first line where two texts differ; undefined when equal. */
function firstDifference(expected: string, actual: string): { line: number; expected: string; actual: string } | undefined {
  if (expected === actual) return undefined;
  const want = expected.split("\n");
  const got = actual.split("\n");
  let i = 0;
  while (i < want.length && i < got.length && want[i] === got[i]) i++;
  return { line: i + 1, expected: want[i] ?? "<end of file>", actual: got[i] ?? "<end of file>" };
}

const ENVIRONMENTS = fixtureEnvironments();

describe("api-stack's synthesized JSON", () => {
  test.each(ENVIRONMENTS)("is byte for byte the fixture for the %s config (no resource renamed or changed)", (environment) => {
    const path = fixturePath(environment);
    if (!existsSync(path)) throw new Error(`No fixture ${path} for config "${environment}": create it with ${UPDATE_COMMAND}`);
    const expected = readFileSync(path, "utf8");
    const actual = synthesizedApiStackJson(environment);

    const difference = firstDifference(expected, actual);
    if (difference) {
      throw new Error(
        [
          `${API_STACK}'s cdk.tf.json for "${environment}" differs from ${path} at line ${difference.line}:`,
          `  fixture:     ${difference.expected.trim()}`,
          `  synthesized: ${difference.actual.trim()}`,
          "A refactor must not change it (a changed key is a resource Terraform replaces). If the change is intended,",
          `rewrite the fixtures with \`${UPDATE_COMMAND}\` and review their diff before committing.`,
        ].join("\n"),
      );
    }
    expect(actual).toBe(expected);
  });

  test("has a fixture for every config and none for a config that no longer exists", () => {
    const fixtures = readdirSync(FIXTURE_DIR).filter((f) => f.startsWith(`${API_STACK}.`));
    expect(fixtures.sort()).toEqual(ENVIRONMENTS.map(fixtureName).sort());
  });

  test.each(ENVIRONMENTS)("the %s fixture normalizes only the state folder, and holds no machine's path", (environment) => {
    const fixture = readFileSync(fixturePath(environment), "utf8");
    const json = JSON.parse(fixture) as {
      terraform: { backend?: { local?: { path: string } } };
      data: { terraform_remote_state: Record<string, { config: { path: string } }> };
    };
    const statePaths = [json.terraform.backend?.local?.path, ...Object.values(json.data.terraform_remote_state).map((s) => s.config.path)];
    expect(statePaths.every((p) => p?.startsWith(`${STATE_DIR_PLACEHOLDER}/state/${environment}/`))).toBe(true);
    expect(fixture.split(STATE_DIR_PLACEHOLDER)).toHaveLength(statePaths.length + 1);
    expect(fixture).not.toContain(tmpdir());
    expect(fixture).not.toContain(process.cwd());
  });
});
