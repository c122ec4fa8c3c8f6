/**
 * Least privilege, the other way round: every grant is needed. For each (function, action, resource) that a
 * synthesized role policy grants, and each `aws_lambda_permission`, the local run with that one action (or
 * permission) taken out of the synthesized JSON
 * (in memory, support/iam-mutation.ts) must deny the request that needs it, and only that. One local stack
 * serves every case: the policies are swapped in place, and each case drives the journey (the steps declared
 * beside each route in tools/contract/routes/<function>.ts) only until the first step that is denied the grant
 * (the steps before its first use in a baseline run cannot need it). A grant that another covers entirely is
 * listed, with the reason, in support/iam-grants.ts.
 *
 * Also here, on the same stack (each test starts from its synthesized policies and no denials): what a denied
 * request looks like from outside (DynamoDB's AccessDeniedException and its KMS variant, an unknown credential,
 * API Gateway without invoke permission).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dynamoDbCall } from "../tools/local/dynamodb";
import { arnLike, wildcardMatch } from "../tools/local/iam/evaluate";
import { grantKey, type Denial, type Grant } from "../tools/local/iam/local-iam";
import { startLocalStack, type LocalStack } from "../tools/local/stack";
import { FAKE_ACCOUNT_ID } from "../tools/lib/fake-arns";
import type { TerraformJson } from "../tools/lib/terraform-json";
import { FUNCTION_NAMES } from "../app/config/schema";
import { ROUTES, routeKey, routesOf } from "../app/stacks/routes";
import { newJourneyState, type JourneyContext, type JourneyState } from "../tools/contract/journey";
import { contractFileOf, journeySteps } from "../tools/contract/route-contracts";
import { apiClient } from "../tools/target/api-client";
import { GRANTS_COVERED_BY_ANOTHER, namesGrant } from "./support/iam-grants";
import { withoutGrant } from "./support/iam-mutation";
import { cheapScryptEnvironment } from "./support/test-scrypt";

/**
 * The journey: every route's steps as declared beside its operation (tools/contract/routes/<function>.ts), each
 * with the statuses it answers when every grant is in place. A case re-runs the steps before the first one that
 * needs its grant.
 */
const STEPS = journeySteps();
const BASELINE_STATUSES = STEPS.map((step) => step.statuses);

/** Where to declare a step that would use a grant of the function named `deployed` (e.g. dev-service-users). */
function stepFileFor(deployed: string): string {
  const fn = FUNCTION_NAMES.find((name) => deployed.endsWith(`-${name}`));
  return fn && routesOf(fn).length > 0 ? contractFileOf(fn) : `the contract of a route it guards or serves (tools/contract/routes/<function>.ts)`;
}

/** Runs the steps `from`..`to` (inclusive) of a journey, stopping after a step once `stop()` holds. */
async function runSteps(
  context: (state: JourneyState) => JourneyContext,
  state: JourneyState,
  from: number,
  to: number,
  stop: () => boolean = () => false,
): Promise<void> {
  for (const step of STEPS.slice(from, to + 1)) {
    await step.run(context(state));
    if (stop()) return;
  }
}

const newJourney = (): JourneyState => newJourneyState(`mutant-${randomBytes(6).toString("hex")}@example.com`);
const names = (grant: Grant) => (d: Denial) =>
  d.function === grant.function &&
  wildcardMatch(grant.action, d.action, true) &&
  (grant.kind === "invoke permission" ? d.sourceArn !== undefined && arnLike(grant.resource, d.sourceArn) : arnLike(grant.resource, d.resource));

describe("the journey of the mutation test", () => {
  test("is the declared steps, each with its declared statuses, and covers every route", () => {
    expect(STEPS.length).toBeGreaterThan(0);
    expect(BASELINE_STATUSES).toEqual(STEPS.map((step) => step.statuses));
    expect(ROUTES.filter((route) => !STEPS.some((step) => step.route === route)).map(routeKey)).toEqual([]);
  });

  test("a grant no step uses names the file to add a step to: its function's, or any route's for the authorizer", () => {
    expect(stepFileFor("dev-service-users")).toBe("tools/contract/routes/users.ts");
    expect(stepFileFor("prod-service-health")).toBe("tools/contract/routes/health.ts");
    expect(stepFileFor("dev-service-authorizer")).toBe("the contract of a route it guards or serves (tools/contract/routes/<function>.ts)");
  });
});

/** The one local stack of the file: each test sets the policies it needs and restores them (see beforeEach below). */
let stack: LocalStack;
let dataDir: string;
/** The stack's log lines (cleared before each test of the denials). */
const lines: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "iam-mutation-"));
  stack = await startLocalStack({
    environment: "dev",
    dataDir,
    fresh: true,
    buildPackages: false,
    functionEnvironment: cheapScryptEnvironment(),
    log: (line) => lines.push(line),
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("every granted action is needed: the local run with it removed denies the request that needs it", () => {
  let context: (state: JourneyState) => JourneyContext;

  beforeAll(() => {
    const api = apiClient(stack.baseUrl);
    context = (state) => ({ api, state, tables: stack.tables, dynamoDb: (operation, body) => dynamoDbCall(stack.dynamoDbEndpoint, operation, body) });
  });

  test("removing any one (function, action, resource) makes exactly the requests that need it fail with a denial naming it", async () => {
    // Baseline: the journey works, denies nothing, and says at which step each grant is first used.
    stack.iam.reset();
    const journey = newJourney();
    const firstUse = new Map<string, number>();
    const statuses: number[][] = [];
    for (const [index, step] of STEPS.entries()) {
      statuses.push(await step.run(context(journey)));
      for (const key of stack.iam.exercised()) if (!firstUse.has(key)) firstUse.set(key, index);
    }
    expect(STEPS.map((step, i) => `${step.name}: ${statuses[i].join(", ")}`)).toEqual(
      STEPS.map((step, i) => `${step.name}: ${BASELINE_STATUSES[i].join(", ")}`),
    );
    expect(stack.iam.denials()).toEqual([]);
    const grants = stack.iam.grants();
    expect(
      grants
        .filter((g) => !firstUse.has(grantKey(g)))
        .map((g) => `${grantKey(g)}: no step of the journey uses it: add a step that needs it to ${stepFileFor(g.function)}`),
    ).toEqual([]);

    // Journeys prepared up to a read-only step, shared by the cases that first need a grant there.
    const prepared = new Map<number, JourneyState>();
    const preparedFor = async (index: number): Promise<JourneyState> => {
      if (!prepared.has(index)) {
        const shared = newJourney();
        await runSteps(context, shared, 0, index - 1);
        prepared.set(index, shared);
      }
      return prepared.get(index)!;
    };

    const failures: string[] = [];
    for (const grant of grants) {
      const first = firstUse.get(grantKey(grant))!;
      const covered = GRANTS_COVERED_BY_ANOTHER.find((entry) => namesGrant(entry, grant));
      const denied = () => stack.iam.denials().some(names(grant));
      const shared = STEPS[first].readOnly && !covered ? await preparedFor(first) : undefined;
      stack.iam.usePolicies(withoutGrant(stack.app, grant));
      stack.iam.reset();
      try {
        if (shared) await runSteps(context, shared, first, first);
        // Otherwise (or when that step was not denied it): a fresh journey until the first step that is denied it.
        if (!denied()) {
          stack.iam.reset();
          await runSteps(context, newJourney(), 0, STEPS.length - 1, () => denied());
        }
      } finally {
        stack.iam.usePolicies(stack.app);
      }
      const denials = stack.iam.denials();
      if (covered) {
        if (denials.length > 0)
          failures.push(
            `${grantKey(grant)} is listed as covered by another grant, yet removing it denied ${denials.map((d) => `${d.function} ${d.action}`).join(", ")}`,
          );
        continue;
      }
      if (!denials.some(names(grant)))
        failures.push(`${grantKey(grant)}: removed, yet no step of the journey from "${STEPS[first].name}" (${STEPS[first].file}) on was denied it`);
      for (const other of denials.filter((d) => !names(grant)(d)))
        failures.push(`${grantKey(grant)}: removing it also denied ${other.function} ${other.action} on ${other.resource}`);
    }
    expect(failures).toEqual([]);
    expect(GRANTS_COVERED_BY_ANOTHER.map((entry) => grants.filter((g) => namesGrant(entry, g)).length)).toEqual(
      GRANTS_COVERED_BY_ANOTHER.map(() => 1),
    );
  }, 120_000);
});

describe("what a denial looks like from outside", () => {
  beforeEach(() => {
    stack.iam.usePolicies(stack.app);
    stack.iam.reset();
    lines.splice(0);
  });

  /** A DynamoDB call signed with a function's own role session credentials, as the function would send it. */
  async function callAs(functionName: string, operation: string, body: Record<string, unknown>) {
    const credentials = stack.iam.credentialsOf(functionName);
    const response = await fetch(stack.dynamoDbEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": `DynamoDB_20120810.${operation}`,
        "X-Amz-Security-Token": credentials.AWS_SESSION_TOKEN,
        Authorization: `AWS4-HMAC-SHA256 Credential=${credentials.AWS_ACCESS_KEY_ID}/20261201/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }

  const usersArn = () => stack.iam.table(stack.tables.users)!.arn;

  test("a key the health function may not read is AccessDeniedException in AWS's words, and the local log names function, action, resource and why", async () => {
    const response = await callAs("dev-service-health", "GetItem", { TableName: stack.tables.users, Key: { pk: { S: "user#someone" } } });

    expect(response).toEqual({
      status: 400,
      body: {
        __type: "com.amazon.coral.service#AccessDeniedException",
        Message: `User: arn:aws:sts::${FAKE_ACCOUNT_ID}:assumed-role/dev-service-health-role/dev-service-health is not authorized to perform: dynamodb:GetItem on resource: ${usersArn()} because no identity-based policy allows the dynamodb:GetItem action`,
      },
    });
    expect(lines).toContain(
      `IAM denied dev-service-health dynamodb:GetItem on ${usersArn()}: condition ForAllValues:StringEquals dynamodb:LeadingKeys failed (request: ["user#someone"], policy: ["health#probe"]) in dev-service-health-access/UsersTable`,
    );
  });

  test("an explicit Deny is the explicit-deny variant of the message", async () => {
    const app = stack.app;
    const compute = structuredClone(app.stacks.get("compute-stack")!.json) as TerraformJson & {
      data: Record<string, Record<string, { statement: unknown[] }>>;
    };
    const health = Object.entries(compute.data.aws_iam_policy_document).find(([name]) => name.startsWith("health_access"))![1];
    health.statement.push({ sid: "NoProbes", effect: "Deny", actions: ["dynamodb:GetItem"], resources: [usersArn()] });
    stack.iam.usePolicies(app.withStackJson("compute-stack", compute));

    const response = await callAs("dev-service-health", "GetItem", { TableName: stack.tables.users, Key: { pk: { S: "health#probe" } } });

    expect(response.body.Message).toBe(
      `User: arn:aws:sts::${FAKE_ACCOUNT_ID}:assumed-role/dev-service-health-role/dev-service-health is not authorized to perform: dynamodb:GetItem on resource: ${usersArn()} with an explicit deny in an identity-based policy`,
    );
    expect(lines).toContain(`IAM denied dev-service-health dynamodb:GetItem on ${usersArn()}: explicit Deny in dev-service-health-access/NoProbes`);
  });

  test("without kms:Decrypt on the table's key, DynamoDB's KMS access denied error; GET /health then answers 503 naming it", async () => {
    const grant = stack.iam.grants().find((g) => g.function === "dev-service-health" && g.action === "kms:Decrypt")!;
    stack.iam.usePolicies(withoutGrant(stack.app, grant));

    const direct = await callAs("dev-service-health", "GetItem", { TableName: stack.tables.users, Key: { pk: { S: "health#probe" } } });
    const health = await fetch(`${stack.baseUrl}/health`);

    expect(direct.status).toBe(400);
    expect(direct.body.__type).toBe("com.amazon.coral.service#AccessDeniedException");
    expect(direct.body.Message).toMatch(
      /^KMS key access denied error: com\.amazonaws\.services\.kms\.model\.AWSKMSException: The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access\. \(Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: [0-9a-f-]{36}; Proxy: null\)$/,
    );
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ checks: { usersTable: { status: "error", error: "AccessDeniedException" } } });
    expect(stack.iam.denials().map((d) => `${d.action} ${d.resource}`)).toContain(`kms:Decrypt ${grant.resource}`);
  });

  test("credentials that are no function's are UnrecognizedClientException; the local admin key id passes", async () => {
    const forged = await fetch(stack.dynamoDbEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.GetItem",
        Authorization: "AWS4-HMAC-SHA256 Credential=ASIAFORGEDFORGED0000/20261201/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
      },
      body: JSON.stringify({ TableName: stack.tables.users, Key: { pk: { S: "x" } } }),
    });
    const wrongToken = stack.iam.principalOf(stack.iam.credentialsOf("dev-service-users").AWS_ACCESS_KEY_ID, "not-the-token");

    expect(forged.status).toBe(400);
    expect(await forged.json()).toEqual({
      __type: "com.amazon.coral.service#UnrecognizedClientException",
      message: "The security token included in the request is invalid.",
    });
    expect(wrongToken).toBeUndefined();
    await expect(dynamoDbCall(stack.dynamoDbEndpoint, "GetItem", { TableName: stack.tables.users, Key: { pk: { S: "x" } } })).resolves.toEqual({});
  });

  test("an operation the check does not model is refused, naming it", async () => {
    const response = await callAs("dev-service-users", "Scan", { TableName: stack.tables.users });
    const unknown = await callAs("dev-service-users", "ExecuteStatement", { Statement: "SELECT * FROM users" });

    expect(response.status).toBe(400);
    expect(response.body.Message).toContain("is not authorized to perform: dynamodb:Scan");
    expect(unknown.status).toBe(400);
    expect(stack.iam.denials().map((d) => d.reason)).toContain(
      "operation ExecuteStatement is not modelled by the local IAM check (denied: fail closed)",
    );
  });

  test("without its aws_lambda_permission, a route answers 500 Internal server error and the function is not invoked", async () => {
    const api = structuredClone(stack.app.stacks.get("api-stack")!.json) as TerraformJson & { resource: Record<string, Record<string, unknown>> };
    const permissions = api.resource.aws_lambda_permission;
    const health = Object.keys(permissions).find((name) => name.includes("permission-health-get"))!;
    delete permissions[health];
    stack.iam.usePolicies(stack.app.withStackJson("api-stack", api));
    const before = stack.invocations()["dev-service-health"] ?? 0;

    const response = await fetch(`${stack.baseUrl}/health`);

    expect(response.status).toBe(500);
    // API_CONFIGURATION_ERROR has no gateway response of its own: DEFAULT_5XX answers it.
    expect(await response.json()).toEqual({ error: { code: "INTERNAL_ERROR", message: "Internal server error" } });
    expect(stack.invocations()["dev-service-health"] ?? 0).toBe(before);
    expect(
      lines.some((l) => l.includes("Execution failed due to configuration error: Invalid permissions on Lambda function dev-service-health")),
    ).toBe(true);
    expect(stack.iam.denials()).toEqual([
      expect.objectContaining({
        function: "dev-service-health",
        action: "lambda:InvokeFunction",
        reason: expect.stringMatching(/\/dev\/GET\/health: no aws_lambda_permission allows it$/),
      }),
    ]);
  });

  test("without the authorizer's permission, a bearer route answers 503 and neither function runs", async () => {
    const api = structuredClone(stack.app.stacks.get("api-stack")!.json) as TerraformJson & { resource: Record<string, Record<string, unknown>> };
    const permissions = api.resource.aws_lambda_permission;
    delete permissions[Object.keys(permissions).find((name) => name.includes("authorizer-permission"))!];
    stack.iam.usePolicies(stack.app.withStackJson("api-stack", api));
    const before = stack.invocations();

    const response = await fetch(`${stack.baseUrl}/users/me`, { headers: { Authorization: `Bearer ${randomBytes(32).toString("base64url")}` } });

    // API Gateway reports a missing authorizer permission as AUTHORIZER_CONFIGURATION_ERROR, the same type as an
    // authorizer that cannot reach its table, so the API's gateway response answers both 503 SERVICE_UNAVAILABLE.
    expect(response.status).toBe(503);
    expect(stack.invocations()).toEqual(before);
    expect(lines).toContain("execution log: Execution failed due to configuration error: Authorizer error");
  });
});
