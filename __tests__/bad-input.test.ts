/**
 * Bad input for every route that takes a body (POST /users, POST /sessions, PATCH /users/me) and bad bearer
 * headers at the authorizer: each case must answer a 4xx (never a 5xx) whose JSON error body says what was wrong,
 * and leave both tables exactly as they were. Unusual but valid input (base64 bodies, emoji, combining marks)
 * must work.
 */
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  apiEvent,
  authorizerEvent,
  gateway,
  lambdaContext,
  parseResponse,
  type ApiRequest,
  type ApiResponse,
  type AuthorizerHandler,
  type Gateway,
  type ProxyHandler,
} from "./support/api-events";
import { handlerEnv, loadHandler, scanTables, scanTablesExceptFailureCounts, startDynalite, type LocalDynamo } from "./support/dynalite";
import { captureConsole } from "./support/console";
import { cheapScrypt } from "./support/test-scrypt";

const SOURCES = join(__dirname, "..", "app", "lambda-packages");
const PASSWORD = "correct horse battery staple";
const JSON_TYPE = { "Content-Type": "application/json" };
const b64 = (text: string | Buffer): string => Buffer.from(text).toString("base64");
const sha256 = (token: string): string => createHash("sha256").update(token).digest("base64url");

/** An e-mail address of exactly `length` characters. */
const emailOfLength = (length: number): string => `${"a".repeat(length - "@example.com".length)}@example.com`;

const THUMBS_UP = "\u{1F44D}"; // 1 code point, 2 UTF-16 units
const FAMILY = "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}"; // 1 grapheme, 5 code points, 8 UTF-16 units
const E_ACUTE_COMBINING = "e\u0301"; // 1 grapheme, 2 code points; NFC makes it U+00E9

type Route = "POST /users" | "POST /sessions" | "PATCH /users/me";

interface BadCase {
  readonly route: Route;
  readonly case: string;
  /** The request's body-related parts; the route's method, resource and bearer token are added. */
  readonly request: Partial<ApiRequest>;
  readonly status: number;
  readonly code: string;
  /** The error message, exactly (string) or in part (RegExp). */
  readonly message: string | RegExp;
  /** Fields the details must name, when the error is about fields. */
  readonly fields?: readonly string[];
  /** A wrong password is counted as a failed log-in of the account (login-throttle.ts): that item may change, nothing else. */
  readonly countsFailure?: true;
}

describe("bad input", () => {
  cheapScrypt();
  let db: LocalDynamo;
  let authorizer: AuthorizerHandler;
  let users: ProxyHandler;
  let sessions: ProxyHandler;
  let api: Gateway;
  let member: { id: string; email: string; token: string };

  const load = <T>(fn: string): T => loadHandler<{ handler: T }>(join(SOURCES, fn, "index.ts"), handlerEnv(db)).handler;
  const uniqueEmail = (): string => `new-${randomBytes(4).toString("hex")}@example.com`;
  /** The account that logs in and changes its profile; known before the tables below are built. */
  const MEMBER_EMAIL = `member-${randomBytes(4).toString("hex")}@example.com`;

  /** A valid body for each route. */
  const valid: Record<Route, () => Record<string, unknown>> = {
    "POST /users": () => ({ email: uniqueEmail(), password: PASSWORD, name: "Valid Name" }),
    "POST /sessions": () => ({ email: MEMBER_EMAIL, password: PASSWORD }),
    "PATCH /users/me": () => ({ name: "Changed Name" }),
  };

  function send(route: Route, request: Partial<ApiRequest>): Promise<ApiResponse> {
    const [method, resource] = route.split(" ");
    return api({ method, resource, ...(route === "PATCH /users/me" ? { token: member.token } : {}), ...request });
  }

  beforeAll(async () => {
    db = await startDynalite();
    authorizer = load("authorizer");
    users = load("users");
    sessions = load("sessions");
    api = gateway({ authorizer, users, sessions });
    const email = MEMBER_EMAIL;
    const info = jest.spyOn(console, "info").mockImplementation(() => undefined);
    const signUp = await api({ method: "POST", resource: "/users", json: { email, password: PASSWORD, name: "Member" } });
    const logIn = await api({ method: "POST", resource: "/sessions", json: { email, password: PASSWORD } });
    info.mockRestore();
    member = { id: signUp.body.id, email, token: logIn.body.token };
  });
  afterAll(async () => {
    await db.close();
  });
  captureConsole();

  const ROUTES: readonly Route[] = ["POST /users", "POST /sessions", "PATCH /users/me"];

  /** Wrong in the same way for every route: the body as a whole, its encoding, its media type, its size. */
  const bodyCases: BadCase[] = ROUTES.flatMap((route): BadCase[] => {
    const body = (): string => JSON.stringify(valid[route]());
    const firstKey = (): string => Object.keys(valid[route]())[0];
    return [
      {
        route,
        case: "malformed JSON",
        request: { body: '{"email": ', headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body is not valid JSON",
      },
      {
        route,
        case: "a key given twice (a parser that keeps the first one would read another request)",
        request: { body: body().replace(/^\{/, `{"${firstKey()}":"first",`), headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: `Request body has the key "${firstKey()}" more than once: send each key once`,
        fields: [firstKey()],
      },
      {
        route,
        case: "JSON with a trailing comma",
        request: { body: '{"name": "x",}', headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body is not valid JSON",
      },
      {
        route,
        case: "a missing body",
        request: { body: null, headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body is missing: send a JSON object",
      },
      {
        route,
        case: "an empty body",
        request: { body: "", headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body is missing: send a JSON object",
      },
      {
        route,
        case: "a body of whitespace",
        request: { body: " \n ", headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body is not valid JSON",
      },
      {
        route,
        case: "an array",
        request: { body: "[]", headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body must be a JSON object, received an array",
      },
      {
        route,
        case: "an array of the valid object",
        request: { body: `[${body()}]`, headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body must be a JSON object, received an array",
      },
      {
        route,
        case: "a string",
        request: { body: '"hello"', headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body must be a JSON object, received a string",
      },
      {
        route,
        case: "a number",
        request: { body: "42", headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body must be a JSON object, received a number",
      },
      {
        route,
        case: "null",
        request: { body: "null", headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body must be a JSON object, received null",
      },
      {
        route,
        case: "a boolean",
        request: { body: "true", headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body must be a JSON object, received a boolean",
      },
      {
        route,
        case: "no Content-Type",
        request: { body: body(), headers: {} },
        status: 415,
        code: "UNSUPPORTED_MEDIA_TYPE",
        message: "Content-Type header is missing: send application/json",
      },
      {
        route,
        case: "Content-Type text/plain",
        request: { body: body(), headers: { "Content-Type": "text/plain" } },
        status: 415,
        code: "UNSUPPORTED_MEDIA_TYPE",
        message: "Content-Type must be application/json, received text/plain",
      },
      {
        route,
        case: "a form body",
        request: { body: "email=a%40example.com&password=x", headers: { "Content-Type": "application/x-www-form-urlencoded" } },
        status: 415,
        code: "UNSUPPORTED_MEDIA_TYPE",
        message: "Content-Type must be application/json, received application/x-www-form-urlencoded",
      },
      {
        route,
        case: "an empty Content-Type",
        request: { body: body(), headers: { "Content-Type": "" } },
        status: 415,
        code: "UNSUPPORTED_MEDIA_TYPE",
        message: "Content-Type must be application/json, received an empty value",
      },
      {
        route,
        case: "a latin-1 charset",
        request: { body: body(), headers: { "Content-Type": "application/json; charset=iso-8859-1" } },
        status: 415,
        code: "UNSUPPORTED_MEDIA_TYPE",
        message: "Content-Type charset must be utf-8, received iso-8859-1",
      },
      {
        route,
        case: "an unknown field",
        request: { json: { ...valid[route](), role: "admin" } },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Invalid request body: role is not a known field",
        fields: ["role"],
      },
      {
        route,
        case: "a __proto__ field",
        request: { body: body().replace(/^\{/, '{"__proto__":{"admin":true},'), headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Invalid request body: __proto__ is not a known field",
        fields: ["__proto__"],
      },
      {
        route,
        case: "a body over 16 KB",
        request: { json: { ...valid[route](), padding: "x".repeat(17 * 1024) } },
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
        message: /^Request body is \d+ bytes; the limit is 16384 bytes$/,
      },
      {
        route,
        case: "a base64 body over 16 KB once decoded",
        request: { body: b64(JSON.stringify({ ...valid[route](), padding: "é".repeat(9000) })), isBase64Encoded: true, headers: JSON_TYPE },
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
        message: /the limit is 16384 bytes$/,
      },
      {
        route,
        case: "invalid base64",
        request: { body: "{not base64!}", isBase64Encoded: true, headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body is marked base64-encoded but is not valid base64",
      },
      {
        route,
        case: "base64 of malformed JSON",
        request: { body: b64('{"email":'), isBase64Encoded: true, headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body is not valid JSON",
      },
      {
        route,
        case: "base64 of an array",
        request: { body: b64("[1]"), isBase64Encoded: true, headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body must be a JSON object, received an array",
      },
      {
        route,
        case: "base64 of bytes that are not UTF-8",
        request: { body: b64(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), isBase64Encoded: true, headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body is not valid UTF-8",
      },
      {
        route,
        case: "a raw NUL byte between JSON tokens",
        request: { body: body().replace(/^\{/, "{\u0000"), headers: JSON_TYPE },
        status: 400,
        code: "VALIDATION_ERROR",
        message: "Request body is not valid JSON",
      },
    ];
  });

  const longEmail = emailOfLength(255);
  /** Wrong fields, per route. */
  const fieldCases: BadCase[] = [
    ...(
      [
        ["email missing", { password: PASSWORD, name: "N" }, "email is required", ["email"]],
        ["email a number", { email: 42, password: PASSWORD, name: "N" }, "email must be a string, received a number", ["email"]],
        ["email null", { email: null, password: PASSWORD, name: "N" }, "email must be a string, received null", ["email"]],
        ["email an array", { email: ["a@example.com"], password: PASSWORD, name: "N" }, "email must be a string, received an array", ["email"]],
        ["email not an address", { email: "not-an-email", password: PASSWORD, name: "N" }, "email must be a valid email address", ["email"]],
        ["email empty", { email: "", password: PASSWORD, name: "N" }, "email must not be empty", ["email"]],
        ["email only spaces", { email: "   ", password: PASSWORD, name: "N" }, "email must not be empty", ["email"]],
        ["email of 255 characters", { email: longEmail, password: PASSWORD, name: "N" }, "email must be at most 254 characters", ["email"]],
        ["email with a NUL byte", { email: "a\u0000b@example.com", password: PASSWORD, name: "N" }, "email must be a valid email address", ["email"]],
        [
          "email with a non-ASCII letter",
          { email: "jos\u00e9@example.com", password: PASSWORD, name: "N" },
          "email must be a valid email address",
          ["email"],
        ],
        [
          "email with a lone surrogate",
          { email: "a\ud800@example.com", password: PASSWORD, name: "N" },
          "email must be a valid email address",
          ["email"],
        ],
        ["password missing", { email: "p@example.com", name: "N" }, "password is required", ["password"]],
        [
          "password a number",
          { email: "p@example.com", password: 123456789012, name: "N" },
          "password must be a string, received a number",
          ["password"],
        ],
        [
          "password of 11 characters",
          { email: "p@example.com", password: "a".repeat(11), name: "N" },
          "password must be at least 12 characters",
          ["password"],
        ],
        [
          "password of 11 emoji (22 UTF-16 units)",
          { email: "p@example.com", password: THUMBS_UP.repeat(11), name: "N" },
          "password must be at least 12 characters",
          ["password"],
        ],
        [
          "password of 257 characters",
          { email: "p@example.com", password: "a".repeat(257), name: "N" },
          "password must be at most 256 characters",
          ["password"],
        ],
        [
          "password with a NUL byte",
          { email: "p@example.com", password: `${PASSWORD}\u0000`, name: "N" },
          "password must not contain control characters",
          ["password"],
        ],
        [
          "password with a lone surrogate",
          { email: "p@example.com", password: `${PASSWORD}\ud800`, name: "N" },
          "password must not contain unpaired UTF-16 surrogates",
          ["password"],
        ],
        [
          "password of 6 letters with combining accents (12 code points, 6 once NFKC-normalized)",
          { email: "p@example.com", password: "e\u0301".repeat(6), name: "N" },
          "password must be at least 12 characters",
          ["password"],
        ],
        [
          "password containing the email's local part, in another case",
          { email: "margaret.h@example.com", password: "MARGARET.H is my password", name: "N" },
          "password must not contain the part of the email address before the @",
          ["password"],
        ],
        [
          "password equal to the email",
          { email: "someone.else@example.com", password: "someone.else@example.com", name: "N" },
          "password must not contain the part of the email address before the @",
          ["password"],
        ],
        [
          "password containing a word of the name",
          { email: "p@example.com", password: "hopper 1906-1992 navy", name: "Grace Hopper" },
          "password must not contain the name",
          ["password"],
        ],
        [
          "password containing the name in full-width letters",
          { email: "p@example.com", password: "\uff47\uff52\uff41\uff43\uff45 forever and ever", name: "Grace Hopper" },
          "password must not contain the name",
          ["password"],
        ],
        [
          "password on lists of breached passwords, in another case",
          { email: "p@example.com", password: "Password1234", name: "N" },
          "password is too common (it appears in lists of breached passwords); choose another",
          ["password"],
        ],
        [
          "password on lists of breached passwords, in full-width digits",
          { email: "p@example.com", password: "iloveyou\uff11\uff12\uff13\uff14", name: "N" },
          "password is too common (it appears in lists of breached passwords); choose another",
          ["password"],
        ],
        ["name missing", { email: "p@example.com", password: PASSWORD }, "name is required", ["name"]],
        ["name empty", { email: "p@example.com", password: PASSWORD, name: "" }, "name must not be empty", ["name"]],
        ["name only whitespace", { email: "p@example.com", password: PASSWORD, name: " \u00a0\u3000 " }, "name must not be empty", ["name"]],
        [
          "name an object",
          { email: "p@example.com", password: PASSWORD, name: { first: "A" } },
          "name must be a string, received an object",
          ["name"],
        ],
        ["name a boolean", { email: "p@example.com", password: PASSWORD, name: true }, "name must be a string, received a boolean", ["name"]],
        [
          "name of 101 characters",
          { email: "p@example.com", password: PASSWORD, name: "n".repeat(101) },
          "name must be at most 100 characters",
          ["name"],
        ],
        [
          "name of 101 emoji",
          { email: "p@example.com", password: PASSWORD, name: THUMBS_UP.repeat(101) },
          "name must be at most 100 characters",
          ["name"],
        ],
        [
          "name of 101 family emoji",
          { email: "p@example.com", password: PASSWORD, name: FAMILY.repeat(101) },
          "name must be at most 100 characters",
          ["name"],
        ],
        [
          "name of 101 combining-accent letters",
          { email: "p@example.com", password: PASSWORD, name: E_ACUTE_COMBINING.repeat(101) },
          "name must be at most 100 characters",
          ["name"],
        ],
        [
          "name with a NUL byte",
          { email: "p@example.com", password: PASSWORD, name: "Ann\u0000" },
          "name must not contain control characters",
          ["name"],
        ],
        [
          "name with a newline",
          { email: "p@example.com", password: PASSWORD, name: "Ann\nSmith" },
          "name must not contain control characters",
          ["name"],
        ],
        ["name with DEL", { email: "p@example.com", password: PASSWORD, name: "Ann\u007f" }, "name must not contain control characters", ["name"]],
        [
          "name with a C1 control",
          { email: "p@example.com", password: PASSWORD, name: "Ann\u0085" },
          "name must not contain control characters",
          ["name"],
        ],
        [
          "name with a lone high surrogate",
          { email: "p@example.com", password: PASSWORD, name: "Ann\ud83d" },
          "name must not contain unpaired UTF-16 surrogates",
          ["name"],
        ],
        [
          "name with a lone low surrogate",
          { email: "p@example.com", password: PASSWORD, name: "\udc4dAnn" },
          "name must not contain unpaired UTF-16 surrogates",
          ["name"],
        ],
        [
          "name with a right-to-left override",
          { email: "p@example.com", password: PASSWORD, name: "Ann\u202Egpj.exe" },
          "name must not contain bidirectional control characters",
          ["name"],
        ],
      ] as const
    ).map(([name, json, message, fields]): BadCase => ({
      route: "POST /users",
      case: name,
      request: { json },
      status: 400,
      code: "VALIDATION_ERROR",
      message: `Invalid request body: ${message}`,
      fields,
    })),
    {
      route: "POST /users",
      case: "every field wrong at once",
      request: { json: { email: "nope", password: "short", name: "" } },
      status: 400,
      code: "VALIDATION_ERROR",
      message: "Invalid request body: email must be a valid email address; password must be at least 12 characters; name must not be empty",
      fields: ["email", "password", "name"],
    },
    ...(
      [
        ["email missing", { password: PASSWORD }, "email is required", ["email"]],
        ["email a number", { email: 1, password: PASSWORD }, "email must be a string, received a number", ["email"]],
        ["email not an address", { email: "member", password: PASSWORD }, "email must be a valid email address", ["email"]],
        ["email of 255 characters", { email: longEmail, password: PASSWORD }, "email must be at most 254 characters", ["email"]],
        ["password missing", { email: "m@example.com" }, "password is required", ["password"]],
        ["password empty", { email: "m@example.com", password: "" }, "password must not be empty", ["password"]],
        ["password null", { email: "m@example.com", password: null }, "password must be a string, received null", ["password"]],
        [
          "password of 257 characters",
          { email: "m@example.com", password: "a".repeat(257) },
          "password must be at most 256 characters",
          ["password"],
        ],
        [
          "password with a lone surrogate",
          { email: "m@example.com", password: `${PASSWORD}\udfff` },
          "password must not contain unpaired UTF-16 surrogates",
          ["password"],
        ],
        ["a name, which log-in does not take", { email: "m@example.com", password: PASSWORD, name: "x" }, "name is not a known field", ["name"]],
      ] as const
    ).map(([name, json, message, fields]): BadCase => ({
      route: "POST /sessions",
      case: name,
      request: { json },
      status: 400,
      code: "VALIDATION_ERROR",
      message: `Invalid request body: ${message}`,
      fields,
    })),
    ...(
      [
        ["an empty change {}", {}, "request body must contain name or password: an empty change does nothing", [""]],
        ["name empty", { name: "" }, "name must not be empty", ["name"]],
        ["name null", { name: null }, "name must be a string, received null", ["name"]],
        ["name of 101 characters", { name: "n".repeat(101) }, "name must be at most 100 characters", ["name"]],
        ["name of 101 emoji", { name: THUMBS_UP.repeat(101) }, "name must be at most 100 characters", ["name"]],
        ["name with a NUL byte", { name: "\u0000" }, "name must not contain control characters", ["name"]],
        [
          "password without currentPassword",
          { password: "a brand new password" },
          "currentPassword is required to change the password",
          ["currentPassword"],
        ],
        [
          "currentPassword without password",
          { currentPassword: PASSWORD, name: "X" },
          "currentPassword is only accepted together with password",
          ["currentPassword"],
        ],
        [
          "a new password of 11 characters",
          { password: "a".repeat(11), currentPassword: PASSWORD },
          "password must be at least 12 characters",
          ["password"],
        ],
        [
          "a new password of 257 characters",
          { password: "a".repeat(257), currentPassword: PASSWORD },
          "password must be at most 256 characters",
          ["password"],
        ],
        [
          "a new password containing a word of the stored email address (member-<hex>@)",
          { password: "once a member, always", currentPassword: PASSWORD },
          "password must not contain the part of the email address before the @",
          ["password"],
        ],
        [
          "a new password containing the new name",
          { name: "Rosalind Franklin", password: "franklin and the helix", currentPassword: PASSWORD },
          "password must not contain the name",
          ["password"],
        ],
        [
          "a new password on lists of breached passwords",
          { password: "qwerty123456", currentPassword: PASSWORD },
          "password is too common (it appears in lists of breached passwords); choose another",
          ["password"],
        ],
        [
          "currentPassword a number",
          { password: "a brand new password", currentPassword: 7 },
          "currentPassword must be a string, received a number",
          ["currentPassword"],
        ],
        ["email, which cannot be changed here", { email: "other@example.com" }, "email is not a known field", ["email"]],
        ["version, which the server sets", { name: "X", version: 99 }, "version is not a known field", ["version"]],
        ["id, which never changes", { name: "X", id: "someone-else" }, "id is not a known field", ["id"]],
      ] as const
    ).map(([name, json, message, fields]): BadCase => ({
      route: "PATCH /users/me",
      case: name,
      request: { json },
      status: 400,
      code: "VALIDATION_ERROR",
      message: `Invalid request body: ${message}`,
      fields,
    })),
    ...["abc", '"1", "2"', '"-1"', "1.5", '"1'].map((ifMatch): BadCase => ({
      route: "PATCH /users/me",
      case: `If-Match ${ifMatch}`,
      request: { json: { name: "X" }, headers: { "If-Match": ifMatch } },
      status: 400,
      code: "VALIDATION_ERROR",
      message: 'Invalid request header: If-Match must be a profile version such as "3"',
      fields: ["If-Match"],
    })),
    {
      route: "PATCH /users/me",
      case: "a wrong currentPassword",
      request: { json: { password: "a brand new password", currentPassword: "not the current one" } },
      status: 401,
      code: "UNAUTHORIZED",
      message: "currentPassword is incorrect",
      countsFailure: true,
    },
    {
      route: "PATCH /users/me",
      case: "a stale If-Match",
      request: { json: { name: "X" }, headers: { "If-Match": '"7"' } },
      status: 409,
      code: "CONFLICT",
      message: "The profile is at version 1, not 7: reload it and retry",
    },
  ];

  it.each([...bodyCases, ...fieldCases])(
    "$route with $case: $status $code, nothing stored",
    async ({ route, request, status, code, message, fields, countsFailure }) => {
      const scan = () => (countsFailure ? scanTablesExceptFailureCounts(db) : scanTables(db));
      const before = await scan();

      const response = await send(route, request);

      expect(response.status).toBe(status);
      expect(response.status).toBeLessThan(500);
      expect(response.headers["Content-Type"]).toBe("application/json");
      expect(response.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
      if (typeof message === "string") expect(response.body.error.message).toBe(message);
      else expect(response.body.error.message).toMatch(message);
      if (fields) expect(response.body.error.details.map((d: { field: string }) => d.field)).toEqual(fields);
      expect(await scan()).toEqual(before);
    },
  );

  describe("bearer headers the authorizer refuses (API Gateway answers 401 before any function runs)", () => {
    let expiredToken: string;

    beforeAll(async () => {
      expiredToken = randomBytes(32).toString("base64url");
      await db.request("PutItem", {
        TableName: db.tables.sessions,
        Item: {
          tokenHash: { S: sha256(expiredToken) },
          userId: { S: member.id },
          createdAt: { N: String(Date.now() - 2 * 86400 * 1000) },
          expiresAt: { N: String(Math.floor(Date.now() / 1000) - 86400) },
        },
      });
    });

    it.each<[string, () => Record<string, string>]>([
      ["no Authorization header", () => ({})],
      ["a malformed token", () => ({ Authorization: "Bearer not-a-token" })],
      ["a token with a space inside", () => ({ Authorization: `Bearer ${member.token.slice(0, 20)} ${member.token.slice(21)}` })],
      ["another scheme", () => ({ Authorization: `Basic ${b64("member:password")}` })],
      ["a token of an unknown session", () => ({ Authorization: `Bearer ${randomBytes(32).toString("base64url")}` })],
      ["an expired token still in the table", () => ({ Authorization: `Bearer ${expiredToken}` })],
    ])("%s on PATCH /users/me and GET /sessions/current", async (_case, headers) => {
      const before = await scanTables(db);

      for (const [method, resource] of [
        ["PATCH", "/users/me"],
        ["GET", "/sessions/current"],
      ]) {
        await expect(authorizer(authorizerEvent({ method, resource, headers: headers() }))).rejects.toThrow(new Error("Unauthorized"));
        const response = await api({ method, resource, headers: headers(), json: method === "PATCH" ? { name: "Intruder" } : undefined });
        expect(response).toMatchObject({ status: 401, body: { message: "Unauthorized" } });
      }
      expect(await scanTables(db)).toEqual(before);
    });
  });

  describe("unusual input that is valid", () => {
    it.each<[string, () => Record<string, unknown>, (body: Record<string, unknown>) => void]>([
      ["a name of 100 emoji", () => ({ name: THUMBS_UP.repeat(100) }), (b) => expect(b.name).toBe(THUMBS_UP.repeat(100))],
      ["a name of 100 family emoji", () => ({ name: FAMILY.repeat(100) }), (b) => expect(b.name).toBe(FAMILY.repeat(100))],
      [
        "a name of 100 combining-accent letters, stored composed (NFC)",
        () => ({ name: E_ACUTE_COMBINING.repeat(100) }),
        (b) => expect(b.name).toBe("\u00e9".repeat(100)),
      ],
      ["a name with surrounding spaces, stored trimmed", () => ({ name: "  Zoë  " }), (b) => expect(b.name).toBe("Zoë")],
      ["a name in another script", () => ({ name: "山田 太郎" }), (b) => expect(b.name).toBe("山田 太郎")],
      [
        "an email of 254 characters",
        () => ({ email: emailOfLength(254).replace(/^a{8}/, randomBytes(4).toString("hex")) }),
        (b) => expect(String(b.email)).toHaveLength(254),
      ],
      ["a password of 12 emoji", () => ({ password: THUMBS_UP.repeat(12) }), (b) => expect(b.id).toBeDefined()],
      ["a password of 256 characters", () => ({ password: "p".repeat(256) }), (b) => expect(b.id).toBeDefined()],
    ])("POST /users accepts %s", async (_case, override, check) => {
      const body = { email: uniqueEmail(), password: PASSWORD, name: "Someone", ...override() };

      const response = await send("POST /users", { json: body });

      expect(response.status).toBe(201);
      check(response.body);
      const logIn = await send("POST /sessions", { json: { email: body.email, password: body.password } });
      expect(logIn.status).toBe(201);
    });

    it.each<[Route, number]>([
      ["POST /users", 201],
      ["POST /sessions", 201],
      ["PATCH /users/me", 200],
    ])("%s accepts a base64-encoded body, as API Gateway sends binary media types", async (route, status) => {
      const response = await send(route, { body: b64(JSON.stringify(valid[route]())), isBase64Encoded: true, headers: JSON_TYPE });

      expect(response.status).toBe(status);
    });

    it.each<[Route, number]>([
      ["POST /users", 201],
      ["POST /sessions", 201],
      ["PATCH /users/me", 200],
    ])("%s accepts a lower-case content-type header with a utf-8 charset", async (route, status) => {
      const response = await send(route, { body: JSON.stringify(valid[route]()), headers: { "content-type": "application/json; charset=UTF-8" } });

      expect(response.status).toBe(status);
    });
  });

  it("answers 401, not 5xx, when a bearer route's function is reached without the authorizer, whatever the body", async () => {
    for (const [handler, method, resource] of [
      [users, "PATCH", "/users/me"],
      [users, "GET", "/users/{id}"],
      [sessions, "GET", "/sessions/current"],
      [sessions, "DELETE", "/sessions/current"],
    ] as const) {
      const response = parseResponse(await handler(apiEvent({ method, resource, body: "{", headers: JSON_TYPE }), lambdaContext()));
      expect(response.status).toBe(401);
    }
  });
});
