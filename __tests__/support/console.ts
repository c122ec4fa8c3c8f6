/**
 * Silences the handlers' console output in a test file and keeps it for assertions (e.g. "never logs the
 * token"): call once inside a describe (or at file level); the returned array holds the current test's lines,
 * each the JSON of one console call's arguments. Restores every jest mock after each test.
 */
export function captureConsole(): string[] {
  const lines: string[] = [];
  beforeEach(() => {
    lines.length = 0;
    for (const level of ["debug", "info", "warn", "error", "log"] as const) {
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(JSON.stringify(args));
      });
    }
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
  return lines;
}
