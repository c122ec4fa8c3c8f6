/**
 * The architecture diagram (tools/diagram.ts; `npm run generate` writes it, __tests__/generated.test.ts holds
 * the committed copies up to date): the drawing shows the three stacks, the cross-stack references and the request path, with nothing in it that
 * changes when only handler code changes. Needs `npm run package` (the synth reads the Lambda ZIPs).
 */
import { join } from "node:path";
import { FUNCTION_NAMES } from "../app/config/schema";
import { TABLE_NAMES } from "../app/lambda-packages/shared/tables";
import { FUNCTION_ACCESS, tablesOf } from "../app/stacks/function-access";
import { loadLambdaArtifact } from "../app/lambda-packages/artifacts";
import { renderDiagram, replaceReadmeBlock, README_END_MARKER, README_START_MARKER } from "../tools/diagram";
import { resources, synthStacks, SynthResult, TerraformJson } from "./support/synth";
import { remoteStateReads } from "../tools/terraform/harness";

/** The diagram's node of a table of TABLES. */
const nodeOf = (table: string) => `data_stack_${table.replace(/-/g, "_")}`;

let prod: SynthResult;
let diagram: string;

beforeAll(() => {
  prod = synthStacks({ environment: "prod" });
  diagram = renderDiagram(prod.json, prod.stackIds);
});
afterAll(() => prod?.cleanup());

const edgeLines = () =>
  diagram
    .split("\n")
    .filter((l) => /-->|-\.->/.test(l))
    .map((l) => l.trim());
const edge = (from: string, to: string) => edgeLines().filter((l) => l.startsWith(`${from} `) && l.endsWith(` ${to}`));

describe("architecture diagram", () => {
  test("is a Mermaid flowchart with one subgraph per stack, in deploy order", () => {
    expect(diagram.startsWith("flowchart LR\n")).toBe(true);
    const subgraphs = diagram
      .split("\n")
      .filter((l) => l.trim().startsWith("subgraph "))
      .map((l) => l.trim());
    expect(subgraphs).toEqual(['subgraph data_stack["data-stack"]', 'subgraph compute_stack["compute-stack"]', 'subgraph api_stack["api-stack"]']);
  });

  test("draws each cross-stack reference the stacks read as a dotted edge from producer to consumer", () => {
    const expected = [...new Set(remoteStateReads(prod.json).map((r) => `${r.producer} -> ${r.consumer}`))].sort();
    expect(expected).toEqual(["compute-stack -> api-stack", "data-stack -> api-stack", "data-stack -> compute-stack"]);
    const drawn = edgeLines()
      .filter((l) => l.includes("-.->"))
      .map((l) => /^(\w+) -\.->/.exec(l)![1].replace(/_/g, "-") + " -> " + /(\w+)$/.exec(l)![1].replace(/_/g, "-"))
      .sort();
    expect(drawn).toEqual(expected);
  });

  test("labels the cross-stack edges with what crosses", () => {
    expect(edge("data_stack", "compute_stack")).toEqual([expect.stringContaining(`table ${[...TABLE_NAMES].sort().join(", ")}: arn, name`)]);
    expect(edge("data_stack", "compute_stack")[0]).toContain("bucket packages: bucket");
    expect(edge("data_stack", "compute_stack")[0]).toContain("KMS key app-key: arn");
    const functions = [...FUNCTION_NAMES].sort().join(", ");
    expect(edge("compute_stack", "api_stack")).toEqual([expect.stringContaining(`lambda alias ${functions}: invoke_arn`)]);
    expect(edge("compute_stack", "api_stack")[0]).toContain(`λ ${functions}: function_name`);
    expect(edge("data_stack", "api_stack")).toEqual([expect.stringContaining("KMS key app-key: arn")]);
  });

  test("draws the request path: client → WAF → REST API → authorizer → its function", () => {
    expect(edge("client", "api_stack_waf")).toEqual(['client -->|"HTTPS"| api_stack_waf']);
    expect(edge("api_stack_waf", "api_stack_rest_api")).toEqual(["api_stack_waf --> api_stack_rest_api"]);
    expect(edge("api_stack_rest_api", "api_stack_rest_api_authorizer")).toEqual([expect.stringMatching(/^api_stack_rest_api -->\|"\d+ routes"\|/)]);
    expect(edge("api_stack_rest_api_authorizer", "compute_stack_authorizer")).toEqual([
      'api_stack_rest_api_authorizer -->|"invokes"| compute_stack_authorizer',
    ]);
  });

  test("draws an edge from the REST API to every function behind a route, labelled with its routes", () => {
    expect(edge("api_stack_rest_api", "compute_stack_health")).toEqual(['api_stack_rest_api -->|"GET /health"| compute_stack_health']);
    expect(edge("api_stack_rest_api", "compute_stack_users")[0]).toContain("GET, PATCH, DELETE /users/me");
    expect(edge("api_stack_rest_api", "compute_stack_sessions")[0]).toContain("GET, POST, DELETE /sessions<br/>");
    expect(edgeLines().filter((l) => l.startsWith("api_stack_rest_api --> compute_stack_authorizer"))).toEqual([]);
  });

  test("draws an edge from every function to each table its IAM policy grants, labelled with the actions", () => {
    expect(edge("compute_stack_authorizer", "data_stack_sessions")).toEqual(['compute_stack_authorizer -->|"GetItem"| data_stack_sessions']);
    expect(edge("compute_stack_authorizer", "data_stack_users")).toEqual([]);
    expect(edge("compute_stack_users", "data_stack_sessions")[0]).toContain("Query (index byUserId)");
    expect(edge("compute_stack_health", "data_stack_users")).toEqual(['compute_stack_health -->|"GetItem (keys health#35;probe)"| data_stack_users']);
    expect(edge("compute_stack_users", "data_stack_users")[0]).toContain("PutItem");
    for (const name of FUNCTION_NAMES) {
      const drawn = TABLE_NAMES.filter((table) => edge(`compute_stack_${name}`, nodeOf(table)).length > 0);
      expect({ name, tables: drawn }).toEqual({ name, tables: tablesOf(FUNCTION_ACCESS[name]) });
    }
  });

  test("draws one node per function, table, bucket and key, the functions' releases, and monitoring as one node per stack", () => {
    const nodes = diagram
      .split("\n")
      .filter((l) => /^ {4}\w+[[({]/.test(l))
      .map((l) => /^ {4}(\w+)/.exec(l)![1]);
    for (const name of FUNCTION_NAMES) expect(nodes).toContain(`compute_stack_${name}`);
    expect(nodes).toEqual(
      expect.arrayContaining([...TABLE_NAMES.map(nodeOf), "data_stack_packages", "data_stack_app_key", "api_stack_rest_api", "api_stack_waf"]),
    );
    expect(nodes).toHaveLength(new Set(nodes).size);
    const functionCount = resources(prod.json["compute-stack"], "aws_lambda_function").length;
    // CodeDeploy's application, groups and role are one node: what releases the functions.
    expect(nodes).toContain("compute_stack_releases");
    const computeNodes = nodes.filter((n) => n.startsWith("compute_stack_") && !["compute_stack_monitoring", "compute_stack_releases"].includes(n));
    expect(computeNodes).toHaveLength(functionCount);
    for (const stackId of prod.stackIds) {
      const monitoring = Object.keys(prod.json[stackId].resource ?? {}).some((t) => /^aws_(cloudwatch_(metric_alarm|dashboard)|sns_topic)/.test(t));
      expect({ stackId, monitoringNode: nodes.includes(`${stackId.replace(/-/g, "_")}_monitoring`) }).toEqual({
        stackId,
        monitoringNode: monitoring,
      });
    }
  });

  test("holds no ZIP hash, absolute path or cdktf logical id", () => {
    const hashes = FUNCTION_NAMES.flatMap((name) => {
      const artifact = loadLambdaArtifact(name);
      return [artifact.sha256Hex, artifact.sha256Base64, artifact.sha256Hex.slice(0, 12)];
    });
    for (const hash of hashes) expect(diagram).not.toContain(hash);
    expect(diagram).not.toContain(prod.stateDir);
    expect(diagram).not.toContain(join(__dirname, ".."));
    expect(diagram).not.toMatch(/_[0-9A-F]{8}\b/);
    expect(diagram).not.toMatch(/[0-9a-f]{32}/);
  });

  test("does not change when only handler code changes", () => {
    const otherCode = synthStacks({
      environment: "prod",
      artifacts: (name) => ({
        ...loadLambdaArtifact(name),
        sha256Hex: "f".repeat(64),
        sha256Base64: "A".repeat(43) + "=",
        s3Key: `${name}/${"f".repeat(64)}.zip`,
      }),
    });
    try {
      expect(renderDiagram(otherCode.json, otherCode.stackIds)).toBe(diagram);
    } finally {
      otherCode.cleanup();
    }
  });
});

describe("renderDiagram on other stacks", () => {
  /** A tiny two-stack app, with a resource type the diagram has never seen and an alarm. */
  const json: Record<string, TerraformJson> = {
    "one-stack": {
      resource: {
        aws_dynamodb_table: { things_table_1: { "//": { metadata: { path: "one-stack/things/table" } }, name: "things" } },
        aws_cloudwatch_metric_alarm: { things_alarm_1: { "//": { metadata: { path: "one-stack/things/alarm" } }, alarm_name: "a" } },
        aws_frobnicator_widget: {
          widget_1: { "//": { metadata: { path: "one-stack/widget" } }, name: "w" },
          widget_2: { "//": { metadata: { path: "one-stack/gadgets/widget" } }, name: "g" },
          widget_3: { "//": { metadata: { path: "one-stack/gadgets/other-widget" } }, name: "h" },
        },
      },
      output: { "cross-stack-output-aws_dynamodb_tablethings_table_1arn": { value: "${aws_dynamodb_table.things_table_1.arn}", sensitive: true } },
    },
    "two-stack": {
      data: {
        terraform_remote_state: {
          "cross-stack-reference-input-one-stack": { backend: "local", config: { path: "/abs/terraform.one-stack.tfstate" } },
        },
      },
      resource: {
        aws_sqs_queue: {
          q_1: {
            "//": { metadata: { path: "two-stack/q/queue" } },
            name: "${data.terraform_remote_state.cross-stack-reference-input-one-stack.outputs.cross-stack-output-aws_dynamodb_tablethings_table_1arn}-q",
          },
        },
      },
    },
  };

  test("draws unknown resource types as a generic node per construct, or in the stack's other node, and alarms as monitoring", () => {
    const text = renderDiagram(json, ["one-stack", "two-stack"]);
    expect(text).toContain('one_stack_gadgets("gadgets<br/>2 frobnicator widgets")');
    expect(text).toContain('one_stack_other("other<br/>frobnicator widget")');
    expect(text).toContain('one_stack_monitoring[["monitoring<br/>alarm"]]');
    expect(text).toContain('one_stack_things[("DynamoDB things")]');
  });

  test("draws the cross-stack edge it finds in a remote-state read, without its path", () => {
    const text = renderDiagram(json, ["one-stack", "two-stack"]);
    expect(text).toContain('one_stack -.->|"table things: arn"| two_stack');
    expect(text).not.toContain("/abs/");
  });

  test("gives the same text for the same input, whatever the key order", () => {
    const reversed = Object.fromEntries(Object.entries(json).reverse());
    expect(renderDiagram(reversed, ["one-stack", "two-stack"])).toBe(renderDiagram(json, ["one-stack", "two-stack"]));
  });

  test("rejects a stack id that is not in the JSON", () => {
    expect(() => renderDiagram(json, ["one-stack", "three-stack"])).toThrow(
      "stackIds names stacks that are not in json: three-stack (json has one-stack, two-stack)",
    );
  });
});

describe("replaceReadmeBlock", () => {
  test("replaces what is between the markers and keeps the rest", () => {
    const text = `intro\n${README_START_MARKER}\nold\n${README_END_MARKER}\noutro\n`;
    expect(replaceReadmeBlock(text, "new\n")).toBe(`intro\n${README_START_MARKER}\nnew\n${README_END_MARKER}\noutro\n`);
  });

  test("returns undefined without markers", () => {
    expect(replaceReadmeBlock("no markers here\n", "new\n")).toBeUndefined();
  });
});
