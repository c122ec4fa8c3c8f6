/**
 * The app's Lambda functions, declared once. Each has its handler in app/lambda-packages/<name>/index.ts and
 * its DynamoDB access in app/stacks/function-access.ts (checked by tsc against this list); from them follow the
 * config's per-function settings (`lambda.functions.<name>`), compute-stack's functions with their roles, alarms,
 * environments and outputs, the dashboard, and what `npm run verify` looks for in each function's logs.
 *
 * To add a function: an entry here, its access, its handler folder and its routes (app/stacks/routes.ts).
 */
import type { AppConfig } from "../config/schema";
import { TABLE_NAMES } from "../lambda-packages/shared/tables";

/** A value `npm run verify` knows after its API path (its RequestEvidence, tools/target/operations.ts). */
export type VerifyRunValue = "userId" | "refusedRequestId" | "healthRequestId";

/**
 * What `npm run verify` finds in a function's log group after its API path: a line with one of the run's values
 * (and why the function logs it), or why the function logs nothing a successful run could be found by.
 */
export type VerifyLogEvidence = { readonly lineWith: VerifyRunValue; readonly loggedFor: string } | { readonly noLinesBecause: string };

export interface FunctionDeclaration {
  /** What the function does; compute-stack appends the routes it serves (from ROUTES). */
  readonly description: string;
  /** Variables beyond the common ones and the names of its tables, from the config. @default none */
  readonly environment?: (config: AppConfig) => Readonly<Record<string, string>>;
  /** What `npm run verify` looks for in the function's logs; required, so a new function says what it logs. */
  readonly verifyLogs: VerifyLogEvidence;
}

/** Every function serving a bearer route checks the session's idle timeout (shared/sessions.ts), the authorizer too. */
function idleTimeout(config: AppConfig): Readonly<Record<string, string>> {
  return { SESSION_IDLE_TIMEOUT_SECONDS: String(config.sessions.idleTimeoutSeconds) };
}

const tableCount = TABLE_NAMES.length === 2 ? "both" : `all ${TABLE_NAMES.length}`;

/** The declaration, in the order compute-stack creates the functions (and the dashboard draws them). */
export const FUNCTIONS = {
  health: {
    description: `Health check of ${tableCount} tables`,
    verifyLogs: { noLinesBecause: "logs only failures" },
  },
  authorizer: {
    description: "REQUEST authorizer of the bearer routes: looks up the session of the token's hash",
    environment: (config: AppConfig) => idleTimeout(config),
    verifyLogs: { lineWith: "refusedRequestId", loggedFor: "the refused unknown token" },
  },
  sessions: {
    description: "Log-in, the caller's sessions, log-out, log-out everywhere",
    environment: (config: AppConfig) => ({
      SESSION_TTL_SECONDS: String(config.sessions.lifetimeSeconds),
      MAX_SESSIONS_PER_USER: String(config.sessions.maxPerUser),
      ...idleTimeout(config),
    }),
    verifyLogs: { lineWith: "userId", loggedFor: "log-in" },
  },
  users: {
    description: "Sign-up, profile, password change, account deletion",
    environment: (config: AppConfig) => idleTimeout(config),
    verifyLogs: { lineWith: "userId", loggedFor: "sign-up, deletion" },
  },
} as const satisfies Record<string, FunctionDeclaration>;

export type FunctionName = keyof typeof FUNCTIONS;
/** The functions' names, in declaration order. */
export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];
