/**
 * How a command of tools/ ends: with the exit code its `main` returns, or, when it throws, with its message on
 * stderr and exit code 1 (its errors say what to fix; a stack would bury that).
 */
export function runCli(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
