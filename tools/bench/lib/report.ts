/** What each bench section returns, and how it is printed (terminal) and written (markdown for docs/testing.md). */

export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
  /** Lines under the table: how it was measured, what the baseline is. */
  readonly notes?: readonly string[];
}

/** One target of the issue, with the figure it is judged on. */
export interface TargetResult {
  readonly target: string;
  readonly figure: string;
  /** undefined: could not be judged in this run (section skipped or failed). */
  readonly met: boolean | undefined;
  /** Why it was missed (or could not be judged). */
  readonly why?: string;
}

export interface SectionResult {
  readonly name: string;
  readonly tables: readonly Table[];
  readonly targets: readonly TargetResult[];
  /** Everything measured, raw and summarized, for latest.json. */
  readonly data: unknown;
}

export function verdict(t: TargetResult): string {
  if (t.met === undefined) return `not judged${t.why ? ` (${t.why})` : ""}`;
  return t.met ? "met" : `MISSED${t.why ? ` (${t.why})` : ""}`;
}

export function renderText(table: Table): string {
  const all = [table.headers, ...table.rows];
  const widths = table.headers.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (cell ?? "").padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [
    `== ${table.title}`,
    line(table.headers),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...table.rows.map(line),
    ...(table.notes ?? []).map((n) => `   ${n}`),
    "",
  ].join("\n");
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

export function renderMarkdown(table: Table): string {
  return [
    `**${table.title}**`,
    "",
    `| ${table.headers.map(cell).join(" | ")} |`,
    `|${table.headers.map(() => "---").join("|")}|`,
    ...table.rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
    ...(table.notes && table.notes.length > 0 ? ["", ...table.notes.map((n) => `${n}  `)] : []),
    "",
  ].join("\n");
}

export function targetsTable(targets: readonly TargetResult[]): Table {
  return {
    title: "Targets",
    headers: ["target", "figure", "verdict"],
    rows: targets.map((t) => [t.target, t.figure, verdict(t)]),
  };
}
