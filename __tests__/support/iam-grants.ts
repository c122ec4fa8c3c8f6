/**
 * The one list of role-policy grants the end-to-end suite may leave unused, each with the reason. Everything
 * else a synthesized policy grants must be used by the suite (the e2e least-privilege test), and every grant,
 * listed here or not, must be needed by a request (the mutation test, local-iam-mutation.test.ts, drives these
 * paths itself).
 */
import type { Grant } from "../../tools/local/iam/local-iam";

export interface UnexercisedGrant {
  /** The function, without the name prefix: "sessions". */
  readonly function: string;
  readonly action: string;
  /** The end of the resource ARN: "-users" for the users table. */
  readonly resourceEnd: string;
  readonly reason: string;
}

export const GRANTS_NOT_EXERCISED_BY_E2E: readonly UnexercisedGrant[] = [
  {
    function: "sessions",
    action: "dynamodb:UpdateItem",
    resourceEnd: "-sessions",
    reason:
      "records a session's last use, which happens only once the recorded one is 5 minutes old: the suite is over sooner, and the " +
      "journey step that backdates it writes the table itself, so only the local mutation test runs it",
  },
];

/**
 * Grants the mutation test may find unneeded on their own, because another grant covers every request they
 * allow, each with the reason. The mutation test checks that removing one indeed denies nothing (so an entry
 * that becomes needed, or stale, fails) and that everything else is needed.
 */
export const GRANTS_COVERED_BY_ANOTHER: readonly UnexercisedGrant[] = [];

/** Whether `entry` names `grant`. */
export function namesGrant(entry: UnexercisedGrant, grant: Grant): boolean {
  return grant.function.endsWith(`-${entry.function}`) && grant.action === entry.action && grant.resource.endsWith(entry.resourceEnd);
}
