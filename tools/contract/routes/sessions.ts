/** The sessions function's routes: their operations and journey steps (see tools/contract/route-contracts.ts). */
import { createHash } from "node:crypto";
import { hashPassword } from "../../../app/lambda-packages/shared/passwords";
import { LogInSchema } from "../../../app/lambda-packages/shared/request-schemas";
import { component, CurrentSessionSchema, SessionListSchema, SessionStartedSchema, WHEN } from "../operations";
import type { FunctionContract } from "../route-contracts";

export const ROUTE_CONTRACTS: FunctionContract = {
  "POST /sessions": {
    operation: {
      operationId: "logIn",
      summary: "Log in",
      description:
        "Starts a session. A wrong password and an unknown email get the same 401. After 5 failed log-ins for one email address (with or without an account), each further failure delays the next attempt on that address by 1 s, 2 s, 4 s, ... up to 15 minutes; a success resets the count. A user holds at most `sessions.maxPerUser` sessions (config, 10 by default): a log-in beyond that ends the user's oldest session.",
      requestBody: component(LogInSchema, { id: "LogInRequest" }),
      success: { 201: { description: "The session started", body: SessionStartedSchema } },
      errors: {
        VALIDATION_ERROR: WHEN.badBody,
        UNAUTHORIZED: "the email or the password is wrong",
        TOO_MANY_REQUESTS: "log-ins for this email address failed repeatedly: retry after Retry-After seconds (the password was not checked)",
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
        phase: "logs in",
        label: "repeated failures for an address without an account, delayed",
        statuses: [401, 401, 401, 401, 401, 429],
        run: async ({ api, state }) => {
          const email = state.email.replace("@", "+nobody@");
          const attempt = async () => (await api("POST", "/sessions", { json: { email, password: "not the password, but long" } })).status;
          const statuses: number[] = [];
          for (let i = 0; i < 5; i++) statuses.push(await attempt());
          // The fifth failure delays the next attempt by 1 s; a slow machine may take longer than that to send
          // it, and then the attempt is checked (401) and doubles the delay: a few tries reach the delay.
          let next = await attempt();
          for (let tries = 1; next === 401 && tries < 4; tries++) next = await attempt();
          return [...statuses, next];
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
  "GET /sessions": {
    operation: {
      operationId: "listSessions",
      summary: "The caller's sessions",
      description: "Every live session of the caller's account (not ended, expired, idle for too long or revoked), newest first, without tokens.",
      success: { 200: { description: "The sessions", body: SessionListSchema } },
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
        run: async ({ api, state }) => [(await api("GET", "/sessions", { token: state.token })).status],
      },
    ],
  },
  "DELETE /sessions": {
    operation: {
      operationId: "logOutEverywhere",
      summary: "Log out everywhere",
      description:
        "Ends every session of the caller's account at once, the caller's own included: their tokens are refused from the next request on, whatever the authorizer cache holds.",
      success: { 204: { description: "Every session ended; log in again" } },
      errors: {
        UNAUTHORIZED: "the session has ended, its password changed after the log-in or its account no longer exists",
        SERVICE_UNAVAILABLE: WHEN.dynamoDbUnavailable,
      },
    },
    journey: [
      {
        phase: "signed in",
        label: "a second session ends too; the journey logs in again",
        statuses: [201, 204, 401, 401, 201],
        run: async ({ api, state }) => {
          const second = await api("POST", "/sessions", { json: { email: state.email, password: state.password } });
          const everywhere = await api("DELETE", "/sessions", { token: state.token });
          const mine = await api("GET", "/users/me", { token: state.token });
          const other = await api("GET", "/users/me", { token: second.body?.token });
          const again = await api("POST", "/sessions", { json: { email: state.email, password: state.password } });
          state.token = again.body?.token;
          return [second.status, everywhere.status, mine.status, other.status, again.status];
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
        UNAUTHORIZED:
          "the session has ended (logged out, expired or idle for too long), its password changed after the log-in or its account no longer exists",
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
      {
        phase: "signed in",
        label: "unused for 10 minutes, its use is recorded",
        writesTables: true,
        statuses: [200],
        run: async ({ api, state, tables, dynamoDb }) => {
          const tokenHash = createHash("sha256")
            .update(state.token ?? "")
            .digest("base64url");
          await dynamoDb("UpdateItem", {
            TableName: tables.sessions,
            Key: { tokenHash: { S: tokenHash } },
            UpdateExpression: "SET lastUsedAt = :t",
            ExpressionAttributeValues: { ":t": { N: String(Date.now() - 10 * 60 * 1000) } },
          });
          return [(await api("GET", "/sessions/current", { token: state.token })).status];
        },
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
