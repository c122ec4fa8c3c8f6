/** Label text: friendly type names, counts, line wrapping and deployed names without hashes or logical ids. */
import { Block, sortedEntries, TerraformApp } from "../terraform-json";
import { FRIENDLY } from "./vocabulary";

/** "role", "2 log groups": one entry per type, in type order. */
export function countTypes(blocks: readonly Block[]): string[] {
  const counts = new Map<string, number>();
  for (const b of blocks) counts.set(b.type, (counts.get(b.type) ?? 0) + 1);
  return sortedEntries(Object.fromEntries(counts)).map(([type, n]) => (n === 1 ? friendly(type) : `${n} ${plural(friendly(type))}`));
}

export function friendly(type: string): string {
  return FRIENDLY[type] ?? type.replace(/^aws_/, "").replace(/_/g, " ");
}

function plural(word: string): string {
  if (/(s|settings)$/.test(word)) return word;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

/** "1 route", "3 routes". */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** Joins items into lines of about `width` characters. */
export function wrap(items: readonly string[], width = 44): string[] {
  const lines: string[] = [];
  for (const item of items) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 2 + item.length <= width) lines[last] += `, ${item}`;
    else lines.push(item);
  }
  return lines;
}

/**
 * A name as it will be deployed, with each interpolation shown as `{attribute}` (`{account_id}`), so labels
 * never hold a hash, a path or a cdktf logical id. Empty for a non-string.
 */
export function literal(app: TerraformApp, stack: string, value: unknown): string {
  if (typeof value !== "string") return "";
  return value.replace(/\$\{([^}]*)\}/g, (whole) => {
    const [ref] = app.references(stack, whole);
    const resolved = ref ? app.resolve(stack, ref) : undefined;
    return `{${resolved?.attribute ?? ref?.attribute ?? "…"}}`;
  });
}
