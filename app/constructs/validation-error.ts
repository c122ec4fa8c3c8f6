import type { IConstruct } from "constructs";

/**
 * A construct refused its props: the message names the prop, what it must be and what it received, prefixed
 * with the construct's path (`api-stack/rest-api: stageName must not be empty`), as aws-cdk's ValidationError
 * does. `app/main.ts` prints these as one line; any other error is a bug and is printed with its stack.
 */
export class ValidationError extends Error {
  constructor(
    message: string,
    readonly scope: IConstruct,
  ) {
    super(`${scope.node.path}: ${message}`);
    this.name = "ValidationError";
  }
}
