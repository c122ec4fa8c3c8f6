/**
 * Environment variables of the handlers, read once at module scope (cold start) so a missing setting fails
 * the init with a message naming it, instead of surfacing later as `undefined` in a query.
 */

/** The value of a required environment variable; throws when it is unset or blank. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === "") {
    throw new Error(`Missing required environment variable ${name}`);
  }
  return value;
}

/** The value of an optional environment variable, or `fallback` when it is unset or blank. */
export function optionalEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value.trim() === "" ? fallback : value;
}

/**
 * An optional integer setting within [min, max]; throws when it is set to anything else, naming the variable,
 * the range and the value received.
 */
export function integerEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`Environment variable ${name} must be an integer in ${min}..${max}, received "${raw}"`);
  }
  return value;
}
