/**
 * What each route of app/stacks/routes.ts answers: summary, request body (the handlers' own zod schemas), the
 * headers that matter, and every status with its body. `npm run openapi` turns this into docs/openapi.json and
 * the README's API table; __tests__/openapi.test.ts holds it to the route table (one operation per route,
 * nothing else) and the e2e suite holds every response it receives to the generated document.
 *
 * Response bodies are strict objects, so a field the document does not list fails the contract test.
 * Development-only: no handler imports this module.
 */
import { z } from "zod";
import type { ErrorCode } from "../../app/lambda-packages/shared/error-codes";
import { LogInSchema, ProfileChangeSchema, SignUpSchema } from "../../app/lambda-packages/shared/request-schemas";
import type { RouteKey } from "../../app/stacks/routes";

const isoTime = z.iso.datetime().describe("ISO 8601 time in UTC, e.g. 2026-12-01T19:53:09.123Z");

export const ProfileSchema = z.strictObject({
  id: z.uuid(),
  email: z.email(),
  name: z.string().min(1),
  createdAt: isoTime,
  updatedAt: isoTime,
  version: z.int().min(1).describe("Incremented by every change; send it back in If-Match"),
});

export const SignedUpSchema = z.strictObject({ id: z.uuid(), email: z.email(), name: z.string().min(1), createdAt: isoTime });

export const SessionStartedSchema = z.strictObject({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .describe("Bearer token (32 random bytes, base64url); only in this response"),
  expiresAt: isoTime,
  user: ProfileSchema,
});

export const CurrentSessionSchema = z.strictObject({ userId: z.uuid(), createdAt: isoTime, expiresAt: isoTime });

const CheckSchema = z.discriminatedUnion("status", [
  z.strictObject({ status: z.literal("ok"), latencyMs: z.int().min(0) }),
  z.strictObject({ status: z.literal("error"), latencyMs: z.int().min(0), error: z.string().describe("The DynamoDB error code, or TimeoutError") }),
]);

export const HealthSchema = z.strictObject({
  status: z.enum(["ok", "error"]),
  version: z.string(),
  checks: z.strictObject({ usersTable: CheckSchema, sessionsTable: CheckSchema }),
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

export interface OperationSpec {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: "health" | "users" | "sessions";
  /** The request body the function parses (application/json); @default none */
  readonly requestBody?: z.core.$ZodType;
  /** Request headers the operation reads, beyond Authorization (which the security scheme covers). */
  readonly requestHeaders?: Readonly<Record<string, { readonly description: string; readonly example?: string }>>;
  readonly success: Readonly<Record<number, SuccessSpec>>;
  /** The errors this operation's function answers, each with when; the gateway's own are added by status. */
  readonly errors: Readonly<Partial<Record<ErrorCode, string>>>;
}

const ETAG: HeaderSpec = { description: 'The profile version as an entity tag, e.g. "3": send it back in If-Match', schema: { type: "string" } };
const BAD_BODY = "the body is missing, not JSON, not an object, or a field is invalid (details lists them)";
const CAN_RETRY_DB = "DynamoDB is throttled or unavailable";

/** Every route's operation, keyed as in app/stacks/routes.ts. */
export const OPERATIONS: Readonly<Record<RouteKey, OperationSpec>> = {
  "GET /health": {
    operationId: "getHealth",
    summary: "Health of the service",
    description: "Reads both tables; 503 with the failing check otherwise.",
    tag: "health",
    success: {
      200: { description: "Both tables answered", body: HealthSchema },
      503: { description: "A table did not answer in time or failed: the body names the check", body: HealthSchema },
    },
    errors: {},
  },
  "POST /users": {
    operationId: "signUp",
    summary: "Sign up",
    description: "Creates an account. The email is trimmed and unique regardless of case.",
    tag: "users",
    requestBody: SignUpSchema,
    success: {
      201: {
        description: "The account was created",
        body: SignedUpSchema,
        headers: { Location: { description: "/users/{id} of the new account", schema: { type: "string" } } },
      },
    },
    errors: {
      VALIDATION_ERROR: BAD_BODY,
      CONFLICT: "an account with this email exists",
      PAYLOAD_TOO_LARGE: "the body is over 16 KB",
      UNSUPPORTED_MEDIA_TYPE: "the body is not application/json in UTF-8",
      SERVICE_UNAVAILABLE: CAN_RETRY_DB,
    },
  },
  "GET /users/me": {
    operationId: "getMyProfile",
    summary: "The caller's profile",
    tag: "users",
    success: { 200: { description: "The profile", body: ProfileSchema, headers: { ETag: ETAG } } },
    errors: { UNAUTHORIZED: "the account no longer exists", SERVICE_UNAVAILABLE: CAN_RETRY_DB },
  },
  "PATCH /users/me": {
    operationId: "updateMyProfile",
    summary: "Change the name or the password",
    description:
      "A new password needs currentPassword and ends the user's other sessions. With If-Match, a change based on another version is refused.",
    tag: "users",
    requestBody: ProfileChangeSchema,
    requestHeaders: {
      "If-Match": { description: 'The profile version the change is based on, e.g. "3" (as in ETag); "*" or none: any', example: '"1"' },
    },
    success: { 200: { description: "The changed profile, version + 1", body: ProfileSchema, headers: { ETag: ETAG } } },
    errors: {
      VALIDATION_ERROR: `${BAD_BODY}; or If-Match is not a version`,
      UNAUTHORIZED: "currentPassword is wrong, the session has ended or the account no longer exists",
      CONFLICT: "If-Match differs from the current version, or another change came first",
      PAYLOAD_TOO_LARGE: "the body is over 16 KB",
      UNSUPPORTED_MEDIA_TYPE: "the body is not application/json in UTF-8",
      SERVICE_UNAVAILABLE: CAN_RETRY_DB,
    },
  },
  "DELETE /users/me": {
    operationId: "deleteMyAccount",
    summary: "Delete the account",
    description: "Deletes the user, its email claim and all its sessions.",
    tag: "users",
    success: { 204: { description: "The account is gone; the token stops working" } },
    errors: { UNAUTHORIZED: "the session has ended or the account no longer exists", SERVICE_UNAVAILABLE: CAN_RETRY_DB },
  },
  "GET /users/{id}": {
    operationId: "getProfileById",
    summary: "A profile by id (only the caller's own)",
    tag: "users",
    success: { 200: { description: "The caller's profile", body: ProfileSchema, headers: { ETag: ETAG } } },
    errors: {
      UNAUTHORIZED: "the account no longer exists",
      FORBIDDEN: "{id} is not the caller (whether or not it exists)",
      SERVICE_UNAVAILABLE: CAN_RETRY_DB,
    },
  },
  "POST /sessions": {
    operationId: "logIn",
    summary: "Log in",
    description: "Starts a session. A wrong password and an unknown email get the same 401.",
    tag: "sessions",
    requestBody: LogInSchema,
    success: { 201: { description: "The session started", body: SessionStartedSchema } },
    errors: {
      VALIDATION_ERROR: BAD_BODY,
      UNAUTHORIZED: "the email or the password is wrong",
      PAYLOAD_TOO_LARGE: "the body is over 16 KB",
      UNSUPPORTED_MEDIA_TYPE: "the body is not application/json in UTF-8",
      SERVICE_UNAVAILABLE: CAN_RETRY_DB,
    },
  },
  "GET /sessions/current": {
    operationId: "getCurrentSession",
    summary: "The caller's session",
    tag: "sessions",
    success: { 200: { description: "The session", body: CurrentSessionSchema } },
    errors: { UNAUTHORIZED: "the session has ended or its account no longer exists", SERVICE_UNAVAILABLE: CAN_RETRY_DB },
  },
  "DELETE /sessions/current": {
    operationId: "logOut",
    summary: "Log out",
    tag: "sessions",
    success: { 204: { description: "The session ended; the token stops working" } },
    errors: { UNAUTHORIZED: "the session has already ended", SERVICE_UNAVAILABLE: CAN_RETRY_DB },
  },
};
