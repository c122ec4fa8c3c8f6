/**
 * The journey: one user's way through every route, declared step by step beside each route's operation in
 * tools/contract/routes/<function>.ts. The local IAM mutation test runs it once per grant, with that grant taken
 * out, to show that every grant is needed; the e2e suite runs its black-box steps once on its target (local or
 * deployed), holding each step to its declared statuses and every response to docs/openapi.json.
 */
import type { ApiClient } from "../target/api-client";

/**
 * When a step runs: the phases run in this order, and within a phase the steps run in the order of their routes
 * in app/stacks/routes.ts (a route's own steps in the order declared). A "signed in" step starts with
 * `state.token` a live session of the account and must leave one (log in again after ending it).
 */
export const JOURNEY_PHASES = ["anonymous", "signs up", "logs in", "signed in", "deletes the account"] as const;
export type JourneyPhase = (typeof JOURNEY_PHASES)[number];

/** What one run of the journey carries from step to step. */
export interface JourneyState {
  readonly email: string;
  /** The account's password (a step that changes it updates this). */
  password: string;
  userId?: string;
  token?: string;
}

/** What a step may use. */
export interface JourneyContext {
  readonly api: ApiClient;
  readonly state: JourneyState;
  /** The target's table names, by the table's key in the data stack's outputs (e.g. `users`). */
  readonly tables: Readonly<Record<string, string>>;
  /** A DynamoDB call with admin credentials, for a step that sets up what the API cannot (see `writesTables`). */
  readonly dynamoDb: (operation: string, body: Record<string, unknown>) => Promise<unknown>;
}

export interface JourneyStep {
  readonly phase: JourneyPhase;
  /** Tells this step from the route's others, e.g. "password" in `PATCH /users/me (password)`. @default none */
  readonly label?: string;
  /** The status of each request the step sends, in order, when every grant is in place. */
  readonly statuses: readonly number[];
  /** Changes nothing stored, so mutation cases that first need a grant here can share one prepared journey. @default false */
  readonly readOnly?: boolean;
  /**
   * Writes a table itself (with `dynamoDb`), to set up what no request can: only the local mutation test runs it,
   * the black-box e2e suite leaves it out. @default false
   */
  readonly writesTables?: boolean;
  /** Sends the step's requests and returns their statuses (not asserted here: under a mutation they differ). */
  run(context: JourneyContext): Promise<number[]>;
}

/** The state a journey starts with: the account it will sign up, under `email` (make it unique). */
export function newJourneyState(email: string): JourneyState {
  return { email, password: "correct horse battery staple" };
}
