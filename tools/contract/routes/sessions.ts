/** The sessions function's routes: their operations and journey steps (see tools/contract/route-contracts.ts). */
import { hashPassword } from "../../../app/lambda-packages/shared/passwords";
import { LogInSchema } from "../../../app/lambda-packages/shared/request-schemas";
import { component, CurrentSessionSchema, SessionStartedSchema, WHEN } from "../operations";
import type { FunctionContract } from "../route-contracts";

export const ROUTE_CONTRACTS: FunctionContract = {
  "POST /sessions": {
    operation: {
      operationId: "logIn",
      summary: "Log in",
      description: "Starts a session. A wrong password and an unknown email get the same 401.",
      requestBody: component(LogInSchema, { id: "LogInRequest" }),
      success: { 201: { description: "The session started", body: SessionStartedSchema } },
      errors: {
        VALIDATION_ERROR: WHEN.badBody,
        UNAUTHORIZED: "the email or the password is wrong",
        PAYLOAD_TOO_LARGE: WHEN.bodyTooLarge,
        UNSUPPORTED_MEDIA_TYPE: WHEN.notJson,
        SERVICE_UNAVAILABLE: WHEN.dynamoDbUnavailable,
      },
    },
    journey: [
      {
        phase: "logs in",
        statuses: [201],
        run: async ({ api, state }) => {
          const response = await api("POST", "/sessions", { json: { email: state.email, password: state.password } });
          state.token = response.body?.token;
          return [response.status];
        },
      },
      {
        phase: "signed in",
        label: "with a hash of outdated scrypt parameters, re-hashed",
        writesTables: true,
        statuses: [201],
        run: async ({ api, state, tables, dynamoDb }) => {
          await dynamoDb("UpdateItem", {
            TableName: tables.users,
            Key: { pk: { S: `user#${state.userId}` } },
            UpdateExpression: "SET passwordHash = :h",
            ExpressionAttributeValues: { ":h": { S: await hashPassword(state.password, { N: 16384, r: 8, p: 1 }) } },
          });
          return [(await api("POST", "/sessions", { json: { email: state.email, password: state.password } })).status];
        },
      },
    ],
  },
  "GET /sessions/current": {
    operation: {
      operationId: "getCurrentSession",
      summary: "The caller's session",
      success: { 200: { description: "The session", body: CurrentSessionSchema } },
      errors: {
        UNAUTHORIZED: "the session has ended, its password changed after the log-in or its account no longer exists",
        SERVICE_UNAVAILABLE: WHEN.dynamoDbUnavailable,
      },
    },
    journey: [
      {
        phase: "signed in",
        readOnly: true,
        statuses: [200],
        run: async ({ api, state }) => [(await api("GET", "/sessions/current", { token: state.token })).status],
      },
    ],
  },
  "DELETE /sessions/current": {
    operation: {
      operationId: "logOut",
      summary: "Log out",
      success: { 204: { description: "The session ended; the token stops working" } },
      errors: { UNAUTHORIZED: "the session has already ended", SERVICE_UNAVAILABLE: WHEN.dynamoDbUnavailable },
    },
    journey: [
      {
        phase: "signed in",
        label: "a second session",
        statuses: [201, 204],
        run: async ({ api, state }) => {
          const second = await api("POST", "/sessions", { json: { email: state.email, password: state.password } });
          return [second.status, (await api("DELETE", "/sessions/current", { token: second.body?.token })).status];
        },
      },
    ],
  },
};
