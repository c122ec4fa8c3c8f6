/**
 * docs/openapi.json (OpenAPI 3.1) from the route table (app/stacks/routes.ts), each route's operation
 * (tools/contract/routes/<function>.ts), the handlers' request schemas and the error vocabulary
 * (app/lambda-packages/shared/error-codes.ts); and docs/api.md's API table from the same data. The tags are the
 * functions, the schema components every body an operation names, under the id declared beside its schema.
 * Pure functions: tools/openapi.ts writes the files, __tests__/openapi.test.ts checks that the committed ones are
 * what these functions produce.
 */
import { z } from "zod";
import { ERROR_CODES, GATEWAY_RESPONSES, RETRY_AFTER_SECONDS, type ErrorCode } from "../../app/lambda-packages/shared/error-codes";
import {
  currentPasswordField,
  emailField,
  EMAIL_MAX_LENGTH,
  nameField,
  NAME_MAX_LENGTH,
  newPasswordField,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  CONTEXT_WORD_MIN_LENGTH,
} from "../../app/lambda-packages/shared/validation";
import { ROUTES, type RouteDefinition } from "../../app/stacks/routes";
import type { OperationSpec } from "./operations";
import { routeContracts, type ContractedRoute } from "./route-contracts";

type Json = Record<string, unknown>;

const SCHEMAS = "#/components/schemas/";

/** Errors API Gateway itself can answer on any route (the gateway responses of GATEWAY_RESPONSES). */
export const GATEWAY_ERRORS_ANY_ROUTE: Readonly<Partial<Record<ErrorCode, string>>> = {
  BAD_REQUEST: "API Gateway refused the request before it reached the function",
  FORBIDDEN: "the firewall (WAF) blocked the request",
  PAYLOAD_TOO_LARGE: "the request is larger than API Gateway accepts (10 MB)",
  TOO_MANY_REQUESTS: "throttled by the stage, the route or the account's limit",
  INTERNAL_ERROR: "a bug in the function (details.requestId) or a gateway fault",
  BAD_GATEWAY: "the function failed or answered malformed",
  GATEWAY_TIMEOUT: "the function did not answer in time",
};

/** Errors the authorizer's gateway responses add on bearer routes. */
export const GATEWAY_ERRORS_BEARER_ROUTE: Readonly<Partial<Record<ErrorCode, string>>> = {
  UNAUTHORIZED: "no, malformed, unknown, expired or revoked bearer token (the authorizer)",
  FORBIDDEN: "the authorizer's policy does not cover this route",
  SERVICE_UNAVAILABLE: "the authorizer could not check the token: retry after Retry-After",
};

/** What the JSON Schema of a request field cannot say by itself (the rules are zod refinements). */
const FIELD_DOCS = new Map<unknown, Json>([
  [
    emailField,
    {
      maxLength: EMAIL_MAX_LENGTH,
      description: `An email address, at most ${EMAIL_MAX_LENGTH} characters; leading and trailing spaces are trimmed, and its uniqueness ignores case`,
    },
  ],
  [
    newPasswordField,
    {
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
      description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters (code points, counted after NFKC normalization), no control characters; never trimmed; must not contain the part of the email address before the @ or the name (whole, or any word of ${CONTEXT_WORD_MIN_LENGTH} or more characters, in any case); must not be on lists of breached passwords (in any case, after NFKC normalization)`,
    },
  ],
  [currentPasswordField, { minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: "The password as it was set" }],
  [
    nameField,
    {
      minLength: 1,
      description: `1 to ${NAME_MAX_LENGTH} user-perceived characters after NFC normalization and trimming; no control or bidirectional control characters`,
    },
  ],
]);

/** The error envelope, with `code` one of ERROR_CODES. */
function errorEnvelopeSchema(): Json {
  return {
    type: "object",
    description: "Every error, from a function or from API Gateway: clients switch on error.code.",
    properties: {
      error: {
        type: "object",
        properties: {
          code: { $ref: `${SCHEMAS}ErrorCode` },
          message: { type: "string", minLength: 1, description: "For people; may change" },
          details: { description: "VALIDATION_ERROR: [{field, message}]; CONFLICT: e.g. {currentVersion}; INTERNAL_ERROR: {requestId}" },
        },
        required: ["code", "message"],
        additionalProperties: false,
      },
    },
    required: ["error"],
    additionalProperties: false,
  };
}

function errorCodeSchema(): Json {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];
  return {
    type: "string",
    enum: codes,
    description: [
      "The error codes; stable, never renamed.",
      "",
      ...codes.map((c) => `- ${c} (${ERROR_CODES[c].status}${ERROR_CODES[c].retryable ? ", retryable" : ""}): ${ERROR_CODES[c].description}`),
    ].join("\n"),
  };
}

/** The id a body schema declares beside it (`.meta({ id })`); throws naming the operation's file without one. */
function componentId(schema: z.core.$ZodType, what: string, where: ContractedRoute): string {
  const id = z.globalRegistry.get(schema)?.id;
  if (typeof id !== "string" || id === "")
    throw new Error(`${what} of ${where.key} (${where.file}) has no component id: declare one beside its schema with .meta({ id: "Name" })`);
  return id;
}

/** The bodies of every operation as components, with their ids: request bodies (io "input", before zod's transforms) and response bodies. */
function bodySchemas(contracts: readonly ContractedRoute[]): Json {
  const registries = { input: z.registry<{ id: string }>(), output: z.registry<{ id: string }>() };
  const ids = new Map<string, { schema: z.core.$ZodType; io: "input" | "output"; where: string }>();
  const register = (io: "input" | "output", schema: z.core.$ZodType, what: string, where: ContractedRoute) => {
    const id = componentId(schema, what, where);
    const seen = ids.get(id);
    if (seen && (seen.schema !== schema || seen.io !== io))
      throw new Error(`Two different schemas have the component id ${id}: ${seen.where} and ${what} of ${where.key} (${where.file})`);
    if (seen) return;
    ids.set(id, { schema, io, where: `${what} of ${where.key} (${where.file})` });
    registries[io].add(schema as never, { ...z.globalRegistry.get(schema), id });
  };
  for (const c of contracts) if (c.operation.requestBody) register("input", c.operation.requestBody, "the request body", c);
  for (const c of contracts)
    for (const [status, success] of Object.entries(c.operation.success)) if (success.body) register("output", success.body, `the ${status} body`, c);
  return { ...convert(registries.input, "input"), ...convert(registries.output, "output") };
}

function convert(registry: z.core.$ZodRegistry<{ id: string }>, io: "input" | "output"): Json {
  const result = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    io,
    unrepresentable: "throw",
    uri: (id) => `${SCHEMAS}${id}`,
    override: (ctx) => {
      const docs = FIELD_DOCS.get(ctx.zodSchema);
      if (!docs) return;
      // The email pattern applies after trimming, so the raw input may not match it.
      if (io === "input" && ctx.zodSchema === emailField) delete ctx.jsonSchema.pattern;
      Object.assign(ctx.jsonSchema, docs);
    },
  }) as { schemas: Record<string, Json> };
  const out: Json = {};
  for (const [id, schema] of Object.entries(result.schemas)) {
    // The component's place in the document is its identity; an `$id` of "#/..." is not a valid 2020-12 $id.
    const { $schema: _schema, $id: _id, ...rest } = schema;
    out[id] = rest;
  }
  return out;
}

/** Every error code an operation can answer, with when: its function's, the gateway's, the authorizer's. */
export function errorsOf(route: RouteDefinition, op: OperationSpec): Map<ErrorCode, string[]> {
  const errors = new Map<ErrorCode, string[]>();
  const add = (source: Readonly<Partial<Record<ErrorCode, string>>>) => {
    for (const [code, when] of Object.entries(source) as [ErrorCode, string][]) errors.set(code, [...(errors.get(code) ?? []), when]);
  };
  add(op.errors);
  if (route.auth === "bearer") add(GATEWAY_ERRORS_BEARER_ROUTE);
  add(GATEWAY_ERRORS_ANY_ROUTE);
  return errors;
}

const RETRY_AFTER = {
  description: `Seconds to wait before retrying: ${RETRY_AFTER_SECONDS} after a throttle or an outage, up to 900 for a log-in delayed after failures`,
  schema: { type: "string", pattern: "^\\d+$" },
};

function errorResponse(status: number, codes: Map<ErrorCode, string[]>): Json {
  const list = [...codes.keys()];
  const headers: Json = {};
  if (list.some((c) => ERROR_CODES[c].retryable)) headers["Retry-After"] = RETRY_AFTER;
  if (status === 401) headers["WWW-Authenticate"] = { description: "Bearer", schema: { type: "string" } };
  return {
    description: list.map((c) => `${c}: ${codes.get(c)!.join("; ")}`).join(". "),
    ...(Object.keys(headers).length ? { headers } : {}),
    content: { "application/json": { schema: errorSchemaFor(list) } },
  };
}

function errorSchemaFor(codes: readonly ErrorCode[]): Json {
  return { allOf: [{ $ref: `${SCHEMAS}Error` }, { properties: { error: { properties: { code: { enum: [...codes] } } } } }] };
}

const ref = (schema: z.core.$ZodType): Json => ({ $ref: `${SCHEMAS}${z.globalRegistry.get(schema)!.id}` });

/** The query string's parameters, from the operation's zod object (as the function accepts them: io "input"). */
function queryParameters(query: z.ZodObject): Json[] {
  const json = z.toJSONSchema(query, { target: "draft-2020-12", io: "input", unrepresentable: "throw" }) as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return { name, in: "query", required: json.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest };
  });
}

function operation({ route, operation: op }: ContractedRoute): Json {
  const byStatus = new Map<number, Map<ErrorCode, string[]>>();
  for (const [code, when] of errorsOf(route, op)) {
    const status = ERROR_CODES[code].status;
    const codes = byStatus.get(status) ?? new Map<ErrorCode, string[]>();
    codes.set(code, when);
    byStatus.set(status, codes);
  }
  const statuses = [...new Set([...Object.keys(op.success).map(Number), ...byStatus.keys()])].sort((a, b) => a - b);
  const responses: Json = {};
  for (const status of statuses) {
    const success = op.success[status];
    const errors = byStatus.get(status);
    if (success && errors) {
      const error = errorResponse(status, errors) as { description: string; content: { "application/json": { schema: Json } } };
      responses[status] = {
        description: `${success.description}. ${error.description}`,
        content: {
          "application/json": { schema: { oneOf: [ref(success.body!), error.content["application/json"].schema] } },
        },
      };
    } else if (success) {
      responses[status] = {
        description: success.description,
        ...(success.headers ? { headers: success.headers } : {}),
        ...(success.body ? { content: { "application/json": { schema: ref(success.body) } } } : {}),
      };
    } else {
      responses[status] = errorResponse(status, errors!);
    }
  }
  const parameters: Json[] = [];
  for (const match of route.path.matchAll(/\{([^}]+)\}/g)) {
    parameters.push({ name: match[1], in: "path", required: true, schema: { type: "string" } });
  }
  if (op.query) parameters.push(...queryParameters(op.query));
  for (const [name, header] of Object.entries(op.requestHeaders ?? {})) {
    parameters.push({
      name,
      in: "header",
      required: false,
      description: header.description,
      schema: { type: "string" },
      ...(header.example ? { example: header.example } : {}),
    });
  }
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [route.function],
    security: route.auth === "bearer" ? [{ bearer: [] }] : [],
    ...(parameters.length ? { parameters } : {}),
    ...(op.requestBody ? { requestBody: { required: true, content: { "application/json": { schema: ref(op.requestBody) } } } } : {}),
    responses,
  };
}

/** The whole OpenAPI 3.1 document; the same input always gives the same text. */
export function buildOpenApiDocument(version: string, contracts: readonly ContractedRoute[] = routeContracts(ROUTES)): Json {
  // First: it fails on a body without a component id, naming the operation's file.
  const bodies = bodySchemas(contracts);
  const paths: Record<string, Json> = {};
  for (const contract of contracts) (paths[contract.route.path] ??= {})[contract.route.method.toLowerCase()] = operation(contract);
  const routeNotFound = GATEWAY_RESPONSES.MISSING_AUTHENTICATION_TOKEN;
  return {
    openapi: "3.1.0",
    info: {
      title: "prod-service API",
      version,
      description:
        'User management and sessions. JSON in and out; every error is {"error": {"code", "message", "details"?}} with a code of ErrorCode. Generated by `npm run generate` from app/stacks/routes.ts, tools/contract/routes/*.ts and the handlers\' zod schemas: do not edit.',
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [
      {
        url: "{apiUrl}",
        description: "The stage's invoke URL (the api_invoke_url output), e.g. https://<id>.execute-api.us-east-1.amazonaws.com/prod",
        variables: { apiUrl: { default: "http://127.0.0.1:4000/dev" } },
      },
    ],
    tags: [...new Set(contracts.map((c) => c.route.function))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description:
            "The token of POST /sessions as `Authorization: Bearer <token>`, checked by the API's Lambda authorizer before the request reaches a function.",
        },
      },
      schemas: { ...bodies, Error: errorEnvelopeSchema(), ErrorCode: errorCodeSchema() },
      responses: {
        RouteNotFound: {
          description: `Any method and path that is not an operation here: ${ERROR_CODES[routeNotFound.code].status} ${routeNotFound.code}`,
          content: { "application/json": { schema: errorSchemaFor([routeNotFound.code]) } },
        },
      },
    },
    "x-error-codes": ERROR_CODES,
  };
}

/** docs/api.md's API table: one row per route, from the same operations. */
export function renderRoutesTable(contracts: readonly ContractedRoute[] = routeContracts(ROUTES)): string {
  const rows = contracts.map(({ route, operation: op }) => {
    const body = op.requestBody ? ` \`{${requestFields(op.requestBody).join(", ")}}\`` : "";
    const success = Object.entries(op.success)
      .map(([status, s]) => `${status} ${s.description}`)
      .join("; ");
    const errors = Object.entries(op.errors)
      .map(([code, when]) => `${ERROR_CODES[code as ErrorCode].status} ${code} ${when}`)
      .join("; ");
    const query = op.query ? `?${requestFields(op.query).join("&")}` : "";
    return `| \`${route.method} ${route.path}${query}\`${body} | ${route.auth} | ${success} | ${errors || "-"} |`;
  });
  return ["| route | auth | success | errors of the function (plus the gateway's: see docs/openapi.json) |", "|---|---|---|---|", ...rows, ""].join(
    "\n",
  );
}

function requestFields(schema: unknown): string[] {
  // No metadata: with its component id the schema would come out as a $ref to itself.
  const json = z.toJSONSchema(schema as z.ZodType, { io: "input", unrepresentable: "any", metadata: z.registry() }) as {
    properties?: Json;
    required?: string[];
  };
  return Object.keys(json.properties ?? {}).map((f) => (json.required?.includes(f) ? f : `${f}?`));
}

export const ROUTES_TABLE_START = "<!-- api-routes:start (generated by npm run generate) -->";
export const ROUTES_TABLE_END = "<!-- api-routes:end -->";

/** `page` (docs/api.md) with its API table block replaced; throws when the markers are missing. */
export function replaceRoutesBlock(readme: string, table: string): string {
  const start = readme.indexOf(ROUTES_TABLE_START);
  const end = readme.indexOf(ROUTES_TABLE_END);
  if (start < 0 || end < start) throw new Error(`docs/api.md needs the markers ${ROUTES_TABLE_START} and ${ROUTES_TABLE_END}`);
  return `${readme.slice(0, start + ROUTES_TABLE_START.length)}\n${table}${readme.slice(end)}`;
}
