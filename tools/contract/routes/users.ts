/** The users function's routes: their operations and journey steps (see tools/contract/route-contracts.ts). */
import { AccountDeletionSchema, ProfileChangeSchema, SignUpSchema } from "../../../app/lambda-packages/shared/request-schemas";
import { component, ProfileSchema, SignedUpSchema, WHEN, type HeaderSpec } from "../operations";
import type { FunctionContract } from "../route-contracts";

const ETAG: HeaderSpec = { description: 'The profile version as an entity tag, e.g. "3": send it back in If-Match', schema: { type: "string" } };
const NEW_PASSWORD = "a new password, longer still";

export const ROUTE_CONTRACTS: FunctionContract = {
  "POST /users": {
    operation: {
      operationId: "signUp",
      summary: "Sign up",
      description:
        "Creates an account. The email is trimmed and unique regardless of case. A password on lists of breached passwords is refused (400 naming the rule).",
      requestBody: component(SignUpSchema, { id: "SignUpRequest" }),
      success: {
        201: {
          description: "The account was created",
          body: SignedUpSchema,
          headers: { Location: { description: "/users/{id} of the new account", schema: { type: "string" } } },
        },
      },
      errors: {
        VALIDATION_ERROR: WHEN.badBody,
        CONFLICT: "an account with this email exists",
        PAYLOAD_TOO_LARGE: WHEN.bodyTooLarge,
        UNSUPPORTED_MEDIA_TYPE: WHEN.notJson,
        SERVICE_UNAVAILABLE: WHEN.dynamoDbUnavailable,
      },
    },
    journey: [
      {
        phase: "signs up",
        statuses: [201],
        run: async ({ api, state }) => {
          const response = await api("POST", "/users", { json: { email: state.email, password: state.password, name: "Journey" } });
          state.userId = response.body?.id;
          return [response.status];
        },
      },
      {
        phase: "signs up",
        label: "the same address again, in other case",
        statuses: [409],
        run: async ({ api, state }) => [
          (await api("POST", "/users", { json: { email: state.email.toUpperCase(), password: state.password, name: "Again" } })).status,
        ],
      },
    ],
  },
  "GET /users/me": {
    operation: {
      operationId: "getMyProfile",
      summary: "The caller's profile",
      success: { 200: { description: "The profile", body: ProfileSchema, headers: { ETag: ETAG } } },
      errors: {
        UNAUTHORIZED: "the account no longer exists or its password changed after the log-in",
        SERVICE_UNAVAILABLE: WHEN.dynamoDbUnavailable,
      },
    },
    journey: [
      {
        phase: "signed in",
        readOnly: true,
        statuses: [200],
        run: async ({ api, state }) => [(await api("GET", "/users/me", { token: state.token })).status],
      },
    ],
  },
  "PATCH /users/me": {
    operation: {
      operationId: "updateMyProfile",
      summary: "Change the name or the password",
      description:
        "A new password needs currentPassword and ends the user's other sessions at once; one on lists of breached passwords is refused (400 naming the rule). With If-Match, a change based on another version is refused.",
      requestBody: component(ProfileChangeSchema, { id: "ProfileChangeRequest" }),
      requestHeaders: {
        "If-Match": { description: 'The profile version the change is based on, e.g. "3" (as in ETag); "*" or none: any', example: '"1"' },
      },
      success: { 200: { description: "The changed profile, version + 1", body: ProfileSchema, headers: { ETag: ETAG } } },
      errors: {
        VALIDATION_ERROR: `${WHEN.badBody}; or If-Match is not a version`,
        UNAUTHORIZED: "currentPassword is wrong, the session has ended, the password changed after the log-in or the account no longer exists",
        TOO_MANY_REQUESTS: WHEN.passwordGuessesDelayed,
        CONFLICT: "If-Match differs from the current version, or another change came first",
        PAYLOAD_TOO_LARGE: WHEN.bodyTooLarge,
        UNSUPPORTED_MEDIA_TYPE: WHEN.notJson,
        SERVICE_UNAVAILABLE: WHEN.dynamoDbUnavailable,
      },
    },
    journey: [
      {
        phase: "signed in",
        label: "name",
        statuses: [200],
        run: async ({ api, state }) => [
          (await api("PATCH", "/users/me", { token: state.token, json: { name: "Renamed" }, headers: { "If-Match": '"1"' } })).status,
        ],
      },
      {
        phase: "signed in",
        label: "password, ends the other session",
        statuses: [201, 201, 200],
        run: async ({ api, state }) => {
          const mine = await api("POST", "/sessions", { json: { email: state.email, password: state.password } });
          const other = await api("POST", "/sessions", { json: { email: state.email, password: state.password } });
          const changed = await api("PATCH", "/users/me", {
            token: mine.body?.token,
            json: { password: NEW_PASSWORD, currentPassword: state.password },
          });
          // The change ended every other session, the journey's own included: it goes on with this one.
          state.token = mine.body?.token;
          if (changed.status === 200) state.password = NEW_PASSWORD;
          return [mine.status, other.status, changed.status];
        },
      },
    ],
  },
  "DELETE /users/me": {
    operation: {
      operationId: "deleteMyAccount",
      summary: "Delete the account",
      description:
        "Deletes the user, its email claim and all its sessions. The current password confirms it: a token alone cannot delete the account.",
      requestBody: component(AccountDeletionSchema, { id: "AccountDeletionRequest" }),
      success: { 204: { description: "The account is gone; the token stops working" } },
      errors: {
        VALIDATION_ERROR: WHEN.badBody,
        UNAUTHORIZED: "currentPassword is wrong, the session has ended, the password changed after the log-in or the account no longer exists",
        TOO_MANY_REQUESTS: WHEN.passwordGuessesDelayed,
        PAYLOAD_TOO_LARGE: WHEN.bodyTooLarge,
        UNSUPPORTED_MEDIA_TYPE: WHEN.notJson,
        SERVICE_UNAVAILABLE: WHEN.dynamoDbUnavailable,
      },
    },
    journey: [
      {
        phase: "deletes the account",
        label: "refused without the current password, then confirmed with it",
        statuses: [400, 401, 204],
        run: async ({ api, state }) => {
          const without = await api("DELETE", "/users/me", { token: state.token, json: {} });
          const wrong = await api("DELETE", "/users/me", { token: state.token, json: { currentPassword: "not the password, but long" } });
          const confirmed = await api("DELETE", "/users/me", { token: state.token, json: { currentPassword: state.password } });
          return [without.status, wrong.status, confirmed.status];
        },
      },
    ],
  },
  "GET /users/{id}": {
    operation: {
      operationId: "getProfileById",
      summary: "A profile by id (only the caller's own)",
      success: { 200: { description: "The caller's profile", body: ProfileSchema, headers: { ETag: ETAG } } },
      errors: {
        UNAUTHORIZED: "the account no longer exists or its password changed after the log-in",
        FORBIDDEN: "{id} is not the caller (whether or not it exists)",
        SERVICE_UNAVAILABLE: WHEN.dynamoDbUnavailable,
      },
    },
    journey: [
      {
        phase: "signed in",
        readOnly: true,
        statuses: [200],
        run: async ({ api, state }) => [(await api("GET", `/users/${state.userId}`, { token: state.token })).status],
      },
    ],
  },
};
