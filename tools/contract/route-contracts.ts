/**
 * Finds each route's contract: the operation and the journey steps declared for it in
 * tools/contract/routes/<function>.ts, the file of the function that serves it (app/stacks/routes.ts). A route
 * without an operation or a step, a function without its file, and an entry for a route the function does not
 * serve fail here, naming the file to change. Nothing lists the files: a function's routes are found by its name.
 */
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import type { FunctionName } from "../../app/config/schema";
import { ROUTES, routeKey, type RouteDefinition, type RouteKey } from "../../app/stacks/routes";
import { JOURNEY_PHASES, type JourneyStep } from "./journey";
import type { OperationSpec } from "./operations";

/** What tools/contract/routes/<function>.ts declares for each route of its function. */
export interface RouteContract {
  readonly operation: OperationSpec;
  /** At least one step of the journey that exercises the route. */
  readonly journey: readonly JourneyStep[];
}

/** The export of tools/contract/routes/<function>.ts: a contract for each route of the function, keyed "METHOD /path". */
export type FunctionContract = Readonly<Partial<Record<RouteKey, RouteContract>>>;

const ROOT = join(__dirname, "..", "..");
const ROUTES_DIR = join(__dirname, "routes");

/** The file, relative to the repository, that declares the contracts of `fn`'s routes. */
export function contractFileOf(fn: string): string {
  return relative(ROOT, join(ROUTES_DIR, `${fn}.ts`));
}

/** A route with its contract and the file that declares it. */
export interface ContractedRoute {
  readonly route: RouteDefinition;
  readonly key: RouteKey;
  readonly file: string;
  readonly operation: OperationSpec;
  readonly journey: readonly JourneyStep[];
}

/** The loader `routeContracts` uses by default: the file's `ROUTE_CONTRACTS` export, or undefined without the file. */
function requireContracts(fn: string): FunctionContract | undefined {
  const file = join(ROUTES_DIR, `${fn}.ts`);
  if (!existsSync(file)) return undefined;
  // Found by the function's name, so a new function's file needs no import list.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(file) as { ROUTE_CONTRACTS?: FunctionContract };
  return module.ROUTE_CONTRACTS ?? {};
}

/**
 * The contract of every route, in route-table order; throws one error listing every route without an operation
 * or a journey step and every contract of no route, each with the file to change.
 */
export function routeContracts(
  routes: readonly RouteDefinition[] = ROUTES,
  load: (fn: FunctionName) => FunctionContract | undefined = requireContracts,
): ContractedRoute[] {
  const problems: string[] = [];
  const byFunction = new Map<FunctionName, FunctionContract | undefined>();
  for (const fn of new Set(routes.map((r) => r.function))) byFunction.set(fn, load(fn));
  const found: ContractedRoute[] = [];
  for (const route of routes) {
    const key = routeKey(route);
    const file = contractFileOf(route.function);
    const contracts = byFunction.get(route.function);
    if (!contracts) {
      problems.push(
        `${key} (function ${route.function}) has no contract: create ${file} exporting ROUTE_CONTRACTS with its operation and journey steps`,
      );
      continue;
    }
    const contract = contracts[key];
    if (!contract?.operation) {
      problems.push(`${key} has no operation: add ROUTE_CONTRACTS["${key}"].operation to ${file}`);
      continue;
    }
    if (!contract.journey?.length) {
      problems.push(`${key} has no journey step: add one to ROUTE_CONTRACTS["${key}"].journey in ${file}`);
      continue;
    }
    found.push({ route, key, file, operation: contract.operation, journey: contract.journey });
  }
  for (const [fn, contracts] of byFunction) {
    const served = new Set(routes.filter((r) => r.function === fn).map(routeKey));
    for (const key of Object.keys(contracts ?? {})) {
      if (!served.has(key as RouteKey))
        problems.push(
          `${contractFileOf(fn)} declares ${key}, which is no route of the ${fn} function in app/stacks/routes.ts: remove it or add the route`,
        );
    }
  }
  if (problems.length > 0) throw new Error(`The route contracts do not match app/stacks/routes.ts:\n- ${problems.join("\n- ")}`);
  return found;
}

/** A journey step with where it comes from: its route, its name in messages and its file. */
export interface PlacedJourneyStep extends JourneyStep {
  readonly route: RouteDefinition;
  /** "METHOD /path", with the step's label in parentheses when it has one. */
  readonly name: string;
  readonly file: string;
}

/** Every declared journey step in the order the journey runs them (see JOURNEY_PHASES). */
export function journeySteps(contracts: readonly ContractedRoute[] = routeContracts()): PlacedJourneyStep[] {
  const placed = contracts.flatMap((c, routeIndex) =>
    c.journey.map((step, stepIndex) => ({
      step: { ...step, route: c.route, file: c.file, name: step.label ? `${c.key} (${step.label})` : c.key },
      order: [JOURNEY_PHASES.indexOf(step.phase), routeIndex, stepIndex],
    })),
  );
  placed.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2]);
  return placed.map((p) => p.step);
}
