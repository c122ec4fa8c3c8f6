/**
 * Structured logging through plain `console`. With the function's log format set to JSON, the Lambda runtime
 * turns `console.info(object)` into `{"timestamp","level","requestId","message": object}` and drops levels below
 * AWS_LAMBDA_LOG_LEVEL, at no cost in bundle size or init time. Every entry goes through redact(): secrets and
 * hashes are replaced, e-mail addresses masked, errors reduced to name, code, message and stack.
 *
 * The request being served (withLogContext, which route() sets) adds its ids and the client's source IP to every
 * line, so a security event (a refused log-in, a lock-out, a password change) says where it came from.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** Fields of a log entry; values are redacted before they are written. */
export type LogFields = Record<string, unknown>;

/** Keys whose values are never logged: passwords, tokens and their hashes, secrets, credentials, cookies. */
const SECRET_KEY = /password|passphrase|secret|token|hash|authorization|cookie|credential|api-?key|signature/i;
const EMAIL_KEY = /e-?mail/i;
const EMAIL_IN_TEXT = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[A-Za-z]{2,}/g;
const MAX_DEPTH = 6;
export const REDACTED = "[redacted]";

/** "alice@example.com" -> "a***@example.com": enough to tell users apart in logs, not to identify them. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0) return "***";
  return `${email[0]}***${email.slice(at)}`;
}

/**
 * The loggable part of an error: name, code, HTTP status, message, stack. Other own properties are left out on
 * purpose: an aws-lite error carries the whole DynamoDB error payload (for a failed condition with
 * ReturnValuesOnConditionCheckFailure, the stored item, password hash included).
 */
export function serializeError(error: unknown): LogFields {
  if (!(error instanceof Error)) return { name: "NonError", message: redactText(String(error)) };
  const e = error as Error & { code?: unknown; statusCode?: unknown };
  const out: LogFields = { name: e.name, message: redactText(e.message) };
  if (typeof e.code === "string") out.code = e.code;
  if (typeof e.statusCode === "number") out.statusCode = e.statusCode;
  if (e.stack) out.stack = redactText(e.stack);
  return out;
}

/** A copy of value with secrets replaced, e-mail addresses masked and errors serialized. */
export function redact(value: unknown, key = "", depth = 0): unknown {
  if (key && SECRET_KEY.test(key)) return REDACTED;
  if (value instanceof Error) return serializeError(value);
  if (typeof value === "string") return key && EMAIL_KEY.test(key) ? maskEmail(value) : redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[too deep]";
  if (Array.isArray(value)) return value.map((item) => redact(item, "", depth + 1));
  const out: LogFields = {};
  for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, depth + 1);
  return out;
}

function redactText(text: string): string {
  return text.replace(EMAIL_IN_TEXT, maskEmail);
}

/** The fields of the request being served, per async context (a test may run several handlers at once). */
const requestContext = new AsyncLocalStorage<LogFields>();

/** Runs `fn` with `fields` on every log line it writes. */
export function withLogContext<T>(fields: LogFields, fn: () => T): T {
  return requestContext.run(fields, fn);
}

function entry(msg: string, fields?: LogFields): unknown {
  return redact({ msg, ...requestContext.getStore(), ...fields });
}

/** One line per call; `msg` says what happened, fields carry the details (never request bodies). */
export const log = {
  debug: (msg: string, fields?: LogFields): void => console.debug(entry(msg, fields)),
  info: (msg: string, fields?: LogFields): void => console.info(entry(msg, fields)),
  warn: (msg: string, fields?: LogFields): void => console.warn(entry(msg, fields)),
  error: (msg: string, fields?: LogFields): void => console.error(entry(msg, fields)),
};
