/** What `fn` throws; the test fails when it throws nothing. */
export function thrownBy(fn: () => unknown): Error {
  let threw = false;
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    threw = true;
    thrown = error;
  }
  expect(threw).toBe(true);
  return thrown as Error;
}
