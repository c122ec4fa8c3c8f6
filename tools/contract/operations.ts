/**
 * The shape of an operation (what a route answers: summary, request body and query string as zod schemas, the
 * headers that matter, every status with its body) and the response bodies more than one function's routes
 * share. Each function's operations are declared beside its journey steps in tools/contract/routes/<function>.ts
 * (route-contracts.ts finds them); `npm run generate` turns them into docs/openapi.json and docs/api.md's API table.
 *
 * A body is a component of the document under the id declared beside its schema (`.meta({ id, description })`).
 * Response bodies are strict objects, so a field the document does not list fails the contract test.
 * Development-only: no handler imports this module.
 */
import { z } from "zod";
import type { ErrorCode } from "../../app/lambda-packages/shared/error-codes";
import { healthCheckName, TABLE_NAMES, type HealthCheckName } from "../../app/lambda-packages/shared/tables";

const isoTime = z.iso.datetime().describe("ISO 8601 time in UTC, e.g. 2026-12-01T19:53:09.123Z");

export const ProfileSchema = z
  .strictObject({
    id: z.uuid(),
    email: z.email(),
    name: z.string().min(1),
    createdAt: isoTime,
    updatedAt: isoTime,
    version: z.int().min(1).describe("Incremented by every change; send it back in If-Match"),
  })
  .meta({ id: "Profile", description: "A user's profile. Never contains the password, its hash or a token." });

export const SignedUpSchema = z
  .strictObject({ id: z.uuid(), email: z.email(), name: z.string().min(1), createdAt: isoTime })
  .meta({ id: "SignedUp", description: "The account just created." });

export const SessionStartedSchema = z
  .strictObject({
    token: z
      .string()
      .regex(/^[A-Za-z0-9_-]{43}$/)
      .describe("Bearer token (32 random bytes, base64url); only in this response"),
    expiresAt: isoTime,
    user: ProfileSchema,
  })
  .meta({ id: "SessionStarted", description: "A new session: send the token as `Authorization: Bearer <token>`." });

export const CurrentSessionSchema = z
  .strictObject({
    userId: z.uuid(),
    createdAt: isoTime,
    expiresAt: isoTime.describe("When the session ends whatever its use (its lifetime)"),
    idleExpiresAt: isoTime.describe("When the session ends if it is not used before (the idle timeout, from its last recorded use)"),
  })
  .meta({ id: "CurrentSession", description: "The caller's session." });

export const SessionListSchema = z
  .strictObject({
    sessions: z
      .array(
        z.strictObject({
          current: z.boolean().describe("true for the session of this request's token"),
          createdAt: isoTime,
          lastUsedAt: isoTime.describe("The last recorded use (recorded at most every 5 minutes)"),
          expiresAt: isoTime,
          idleExpiresAt: isoTime,
          userAgent: z.nullable(z.string().max(256)).describe("The User-Agent of the log-in request, cut to 256 characters; null when none was sent"),
        }),
      )
      .describe("Newest first; no token or token hash"),
  })
  .meta({ id: "SessionList", description: "The caller's live sessions." });

const CheckSchema = z.discriminatedUnion("status", [
  z.strictObject({ status: z.literal("ok"), latencyMs: z.int().min(0) }),
  z.strictObject({ status: z.literal("error"), latencyMs: z.int().min(0), error: z.string().describe("The DynamoDB error code, or TimeoutError") }),
]);

export const HealthSchema = z.strictObject({
  status: z.enum(["ok", "error"]),
  version: z.string(),
  /** One check per table of app/lambda-packages/shared/tables.ts. */
  checks: z.strictObject(
    Object.fromEntries(TABLE_NAMES.map((table) => [healthCheckName(table), CheckSchema])) as Record<HealthCheckName, typeof CheckSchema>,
  ),
});

/** A response header the client may rely on. */
export interface HeaderSpec {
  readonly description: string;
  readonly schema?: Record<string, unknown>;
}

export interface SuccessSpec {
  readonly description: string;
  /** @default no body (204) */
  readonly body?: z.ZodType;
  readonly headers?: Readonly<Record<string, HeaderSpec>>;
}

/**
 * `schema` as a component of the document under `meta.id`: a copy carries the id, so the schema a handler parses
 * with (zod/mini has no `.meta()`) stays as the handler made it.
 */
export function component<T extends z.core.$ZodType>(schema: T, meta: { readonly id: string; readonly description?: string }): T {
  const copy = z.core.clone(schema);
  z.globalRegistry.add(copy, meta);
  return copy;
}

/** HealthSchema as a component of the document. */
export const HealthBody = component(HealthSchema, {
  id: "Health",
  description: "The result of reading every table: one check per table, named <table>Table.",
});

/** What one route answers. Its tag is the function that serves it. */
export interface OperationSpec {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** The request body the function parses (application/json), with an id: `.meta({ id })`; @default none */
  readonly requestBody?: z.core.$ZodType;
  /**
   * The query string the function reads, as a zod object of its parameters (each a string, or coerced from one:
   * `z.coerce.number()`); a parameter is required unless `.optional()`, and its `.describe()` documents it.
   * @default none
   */
  readonly query?: z.ZodObject;
  /** Request headers the operation reads, beyond Authorization (which the security scheme covers). */
  readonly requestHeaders?: Readonly<Record<string, { readonly description: string; readonly example?: string }>>;
  readonly success: Readonly<Record<number, SuccessSpec>>;
  /** The errors this operation's function answers, each with when; the gateway's own are added by status. */
  readonly errors: Readonly<Partial<Record<ErrorCode, string>>>;
}

/** How the operations of more than one function say when they answer an error. */
export const WHEN = {
  badBody: "the body is missing, not JSON, not an object, gives a key twice, or a field is invalid (details lists them)",
  bodyTooLarge: "the body is over 16 KB",
  notJson: "the body is not application/json in UTF-8",
  dynamoDbUnavailable: "DynamoDB is throttled or unavailable",
  passwordGuessesDelayed:
    "the account's log-ins or current passwords failed repeatedly: retry after Retry-After seconds (the password was not checked)",
} as const;
