/**
 * Request validation with zod/mini (about 5 KB in a bundle, where full zod adds about 100 KB and noticeable init
 * time) and the one place that turns zod issues into a 400 ValidationError naming each field.
 *
 * zod/mini ships no message locale (loading one would add the weight back), so the messages come from here:
 * every detail says which field and what was wrong, e.g. `{ field: "name", message: "name must be at most 100
 * characters" }`. Field schemas below hold the rules shared by several routes.
 */
import * as z from "zod/mini";
import { ValidationError } from "./http";

/** One problem with one field of the input; `field` is the dotted path, "" for the body itself. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

type Issue = z.core.$ZodIssue;

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function toFieldIssues(issue: Issue, input: unknown): FieldIssue[] {
  const field = issue.path.map(String).join(".");
  const subject = field === "" ? "request body" : field;
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        field: field === "" ? key : `${field}.${key}`,
        message: `${field === "" ? key : `${field}.${key}`} is not a known field`,
      }));
    case "invalid_type": {
      const value = valueAt(input, issue.path);
      return [
        {
          field,
          message:
            value === undefined
              ? `${subject} is required`
              : `${subject} must be ${issue.expected === "object" ? "an" : "a"} ${issue.expected}, received ${describeValue(value)}`,
        },
      ];
    }
    case "invalid_format":
      return [{ field, message: `${subject} ${issue.format === "email" ? "must be a valid email address" : `must be a valid ${issue.format}`}` }];
    default:
      // Custom checks below carry their own message, written without the field name.
      return [{ field, message: issue.message && issue.message !== "Invalid input" ? `${subject} ${issue.message}` : `${subject} is invalid` }];
  }
}

/**
 * The output of schema for input, or a ValidationError: message "Invalid request body: <problems>" and
 * details `[{ field, message }]`, one per problem, in the order of the schema's fields.
 */
export function parseWith<S extends z.ZodMiniType>(schema: S, input: unknown, what = "request body"): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details = result.error.issues.flatMap((issue) => toFieldIssues(issue, input));
  throw new ValidationError(`Invalid ${what}: ${details.map((d) => d.message).join("; ")}`, details);
}

/** A ValidationError about one field, in the same format as parseWith's. */
export function fieldError(field: string, message: string, what = "request body"): ValidationError {
  return new ValidationError(`Invalid ${what}: ${field} ${message}`, [{ field, message: `${field} ${message}` }]);
}

// ---- Text rules ----------------------------------------------------------------------------------------

/** A UTF-16 surrogate without its partner: JSON can carry one ("\ud800"), UTF-8 cannot store it. */
const LONE_SURROGATE = /\p{Cs}/u;
/** C0 and C1 control characters, NUL included. */
const CONTROL = /\p{Cc}/u;
/** Bidirectional overrides and isolates: they make a name display as something else (U+202A..E, U+2066..9). */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

/** Number of Unicode code points ("👍" is 1, where String.length says 2). */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

let graphemes: Intl.Segmenter | undefined;

/** Number of user-perceived characters: "é" as e + U+0301 is 1, a family emoji joined by ZWJs is 1. */
export function graphemeLength(text: string): number {
  // Created on first use: nothing at module scope costs init time.
  graphemes ??= new Intl.Segmenter("en", { granularity: "grapheme" });
  let count = 0;
  for (const _ of graphemes.segment(text)) count++;
  return count;
}

export const EMAIL_MAX_LENGTH = 254;
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;
export const NAME_MAX_LENGTH = 100;

/**
 * An e-mail address, trimmed; at most 254 characters (RFC 5321's path limit) and in the usual
 * local@domain.tld shape (ASCII only, so lower-casing for the uniqueness claim is well defined).
 */
export const emailField = z.string().check(
  z.trim(),
  z.refine((s) => s.length <= EMAIL_MAX_LENGTH, { error: `must be at most ${EMAIL_MAX_LENGTH} characters`, abort: true }),
  z.refine((s) => s.length > 0, { error: "must not be empty", abort: true }),
  z.email(),
);

/**
 * A new password, NFKC-normalized first (as it is hashed: passwords.ts), then 12 to 256 characters (code points,
 * so emoji count as one, and "e" + a combining accent, which NFKC composes, counts as one), no control
 * characters, no lone surrogates (UTF-8 would turn each into U+FFFD, making different passwords equal). Spaces
 * and any other Unicode are allowed; nothing is trimmed. What it must not contain depends on the account:
 * passwordContextError.
 */
export const newPasswordField = z.string().check(
  z.refine((s) => !LONE_SURROGATE.test(s), { error: "must not contain unpaired UTF-16 surrogates", abort: true }),
  z.overwrite((s) => s.normalize("NFKC")),
  z.refine((s) => !CONTROL.test(s), { error: "must not contain control characters", abort: true }),
  z.refine((s) => codePointLength(s) >= PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`),
  z.refine((s) => codePointLength(s) <= PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`),
);

/**
 * A password to check against a stored hash (log-in, currentPassword): only the upper bound, so a password that
 * met an older, weaker policy can still be used to log in and change it. A wrong one is a 401, not a 400.
 */
export const currentPasswordField = z.string().check(
  z.refine((s) => !LONE_SURROGATE.test(s), { error: "must not contain unpaired UTF-16 surrogates", abort: true }),
  z.refine((s) => s.length > 0, { error: "must not be empty", abort: true }),
  z.refine((s) => codePointLength(s) <= PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`),
);

/**
 * A display name: NFC-normalized and trimmed, then 1 to 100 user-perceived characters (grapheme clusters), no
 * control characters, no bidirectional overrides, no lone surrogates.
 */
export const nameField = z.string().check(
  z.refine((s) => !LONE_SURROGATE.test(s), { error: "must not contain unpaired UTF-16 surrogates", abort: true }),
  z.overwrite((s) => s.normalize("NFC").trim()),
  z.refine((s) => !CONTROL.test(s), { error: "must not contain control characters", abort: true }),
  z.refine((s) => !BIDI_CONTROL.test(s), { error: "must not contain bidirectional control characters", abort: true }),
  z.refine((s) => s.length > 0, { error: "must not be empty", abort: true }),
  z.refine((s) => graphemeLength(s) <= NAME_MAX_LENGTH, `must be at most ${NAME_MAX_LENGTH} characters`),
);

/** Shorter parts of a name or an e-mail address are too common inside passphrases to refuse them. */
export const CONTEXT_WORD_MIN_LENGTH = 4;

/**
 * Text folded for comparison: NFKC (full-width letters become ASCII), lower case (locale-independent). Passwords
 * are compared with the account's words and with the breached-password list (breached-passwords.ts) this way.
 */
export function fold(text: string): string {
  return text.normalize("NFKC").toLowerCase();
}

/** The text itself and each of its words (runs of letters and digits), of CONTEXT_WORD_MIN_LENGTH or more. */
function contextWords(text: string): string[] {
  const folded = fold(text);
  return [folded, ...folded.split(/[^\p{L}\p{N}]+/u)].filter((word) => codePointLength(word) >= CONTEXT_WORD_MIN_LENGTH);
}

/**
 * A new password must not contain what an attacker knows of the account (ASVS 5.0 6.2.11): the part of the
 * e-mail address before the @ or the name, whole or any word of them of CONTEXT_WORD_MIN_LENGTH characters or
 * more, compared case-insensitively after NFKC. A ValidationError naming the rule, or undefined.
 */
export function passwordContextError(password: string, account: { readonly email: string; readonly name: string }): ValidationError | undefined {
  const folded = fold(password);
  const email = account.email.trim();
  const localPart = email.slice(0, Math.max(0, email.lastIndexOf("@")));
  if (contextWords(localPart).some((word) => folded.includes(word))) {
    return fieldError("password", "must not contain the part of the email address before the @");
  }
  if (contextWords(account.name).some((word) => folded.includes(word))) return fieldError("password", "must not contain the name");
  return undefined;
}

/** The key of an e-mail address in the uniqueness claim: trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
