/**
 * A jest setup file (after the framework): every AsyncLocalStorage a test ran code in is disabled after each test.
 * Each load of a handler (a fresh module registry, support/dynalite.ts) creates the request log's own storage
 * (app/lambda-packages/shared/log.ts), and on Node 20 an enabled storage stays enabled for the life of the process:
 * every promise created afterwards, in this suite and in the later suites of the same jest worker, is propagated
 * to each of them. A storage is enabled again by its next run(), so a handler invoked in a later test works as
 * before; only the cost of the ones no longer used goes.
 */
const { AsyncLocalStorage } = require("node:async_hooks");

// One registry for the worker: node:async_hooks is shared by every suite a jest worker runs.
const TRACKED = Symbol.for("prod-service-serverless.tests.async-local-storages");
const proto = AsyncLocalStorage.prototype;
if (!proto[TRACKED]) {
  const storages = new Set();
  Object.defineProperty(proto, TRACKED, { value: storages });
  for (const method of ["run", "enterWith"]) {
    const original = proto[method];
    Object.defineProperty(proto, method, {
      value: function tracked(...args) {
        storages.add(this);
        return original.apply(this, args);
      },
      writable: true,
      configurable: true,
    });
  }
}

afterEach(() => {
  const storages = proto[TRACKED];
  for (const storage of storages) storage.disable();
  storages.clear();
});
