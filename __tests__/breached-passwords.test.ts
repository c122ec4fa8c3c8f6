/**
 * The breached-password rule of the users function: the shipped filter finds every kept entry of the list (no false
 * negatives), refuses their case and NFKC variants, and takes few random passwords for listed ones; the generator
 * keeps exactly the entries a new password could be and writes the same module every time. The handlers' use of the
 * rule (400 naming it, nothing stored) is tested in bad-input.test.ts and users-handler.test.ts.
 */
import { createHash } from "node:crypto";
import { BREACHED_PASSWORDS } from "../app/lambda-packages/shared/breached-passwords-filter";
import { BREACHED_PASSWORD_MESSAGE, breachedPasswordError, isBreachedPassword } from "../app/lambda-packages/shared/breached-passwords";
import { decodeXorFilter, xorFilterContains } from "../app/lambda-packages/shared/xor-filter";
import { breachedPasswordList, keepEntries, renderBreachedPasswordsModule } from "../tools/breached-passwords";
import { blockLengthFor, buildXorFilter, missingKeys } from "../tools/lib/xor-filter";

/** n distinct 16-character strings, the same in every run: base64url of SHA-256 of a counter. */
const pseudoRandomPasswords = (n: number, salt: string): string[] =>
  Array.from({ length: n }, (_, i) => createHash("sha256").update(`${salt}${i}`).digest("base64url").slice(0, 16));

describe("the shipped breached-password filter", () => {
  const list = breachedPasswordList();

  test("holds the kept entries of the installed list, and finds every one of them (no false negatives)", () => {
    expect(BREACHED_PASSWORDS.source).toBe(list.source);
    expect(BREACHED_PASSWORDS.keys).toBe(list.keys.length);
    expect(list.keys.length).toBeGreaterThan(10_000);
    expect(list.keys.filter((key) => !isBreachedPassword(key))).toEqual([]);
  });

  test.each([
    ["a listed password", "password1234"],
    ["the same in another case", "PassWord1234"],
    ["the same in full-width letters (NFKC makes them ASCII)", "\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44\uff11\uff12\uff13\uff14"],
    ["twelve of one letter", "aaaaaaaaaaaa"],
    ["twelve digits in a row", "123456789012"],
  ])("refuses %s: %s", (_, password) => {
    expect(isBreachedPassword(password)).toBe(true);
  });

  test("takes at most 3 of 20,000 random 16-character passwords for listed ones (2^-16 each: 0.3 expected)", () => {
    const falsePositives = pseudoRandomPasswords(20_000, "not on any list ").filter((password) => isBreachedPassword(password));
    expect(falsePositives.length).toBeLessThanOrEqual(3);
  });

  test("accepts passphrases that are on no list", () => {
    expect(isBreachedPassword("correct horse battery staple")).toBe(false);
    expect(isBreachedPassword("an even longer new passphrase")).toBe(false);
  });

  test("names the rule in its error, as a 400 about the password field", () => {
    const error = breachedPasswordError("Password1234");
    expect(error?.message).toBe(`Invalid request body: password ${BREACHED_PASSWORD_MESSAGE}`);
    expect(error?.details).toEqual([{ field: "password", message: `password ${BREACHED_PASSWORD_MESSAGE}` }]);
    expect(BREACHED_PASSWORD_MESSAGE).toBe("is too common (it appears in lists of breached passwords); choose another");
    expect(breachedPasswordError("correct horse battery staple")).toBeUndefined();
  });
});

describe("the generator (tools/breached-passwords.ts)", () => {
  test.each([
    ["shorter than 12 characters", "password123", []],
    ["12 characters", "password1234", ["password1234"]],
    ["upper case, folded", "PASSWORD1234", ["password1234"]],
    ["full-width, NFKC-normalized", "\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44\uff11\uff12\uff13\uff14", ["password1234"]],
    ["12 code points that NFKC composes into 6", "e\u0301".repeat(6), []],
    [
      "one code point that NFKC expands to 18",
      "\ufdfa",
      ["\u0635\u0644\u0649 \u0627\u0644\u0644\u0647 \u0639\u0644\u064a\u0647 \u0648\u0633\u0644\u0645"],
    ],
    ["with a control character", "password1234\u0007", []],
    ["over 256 characters", "a".repeat(257), []],
  ])("keeps only what a new password could be: an entry %s gives %j", (_, entry, kept) => {
    expect(keepEntries([entry])).toEqual(kept);
  });

  test("keeps each folded entry once, sorted", () => {
    expect(keepEntries(["zzzzzzzzzzzzz", "Password1234", "password1234", "PASSWORD1234"])).toEqual(["password1234", "zzzzzzzzzzzzz"]);
  });

  test("writes the same module on every run", () => {
    const list = breachedPasswordList();
    expect(renderBreachedPasswordsModule(list)).toBe(renderBreachedPasswordsModule(list));
  });

  test("writes a module for no entries too (the bench's baseline)", () => {
    const text = renderBreachedPasswordsModule({ source: "an empty list", entries: 0, keys: [] });
    expect(text).toContain('source: "an empty list",\n  keys: 0,');
    expect(text).toContain(`blockLength: ${blockLengthFor(0)},`);
  });
});

describe("buildXorFilter", () => {
  const keys = pseudoRandomPasswords(5000, "member ");

  test("finds every key it was built from, and few others", () => {
    const filter = buildXorFilter(keys);
    expect(missingKeys(filter, keys)).toEqual([]);
    const others = pseudoRandomPasswords(20_000, "non-member ").filter((key) => xorFilterContains(filter, key));
    expect(others.length).toBeLessThanOrEqual(3);
  });

  test("builds the same bytes from the same keys, 3 blocks of 2-byte fingerprints", () => {
    const first = buildXorFilter(keys);
    const second = buildXorFilter(keys);
    expect(Buffer.from(second.fingerprints).equals(Buffer.from(first.fingerprints))).toBe(true);
    expect(second.seed).toBe(first.seed);
    expect(first.fingerprints.length).toBe(3 * blockLengthFor(keys.length) * 2);
  });

  test("refuses duplicate keys, which no filter can peel", () => {
    expect(() => buildXorFilter(["same key here", "same key here"])).toThrow("buildXorFilter: the keys must be distinct");
  });

  test("refuses an encoded filter whose fingerprints do not fill its blocks", () => {
    expect(() => decodeXorFilter({ ...BREACHED_PASSWORDS, fingerprints: BREACHED_PASSWORDS.fingerprints.slice(0, 400) })).toThrow(
      `The xor filter of ${BREACHED_PASSWORDS.source} has 300 bytes of fingerprints, expected ${3 * BREACHED_PASSWORDS.blockLength * 2}`,
    );
  });
});
