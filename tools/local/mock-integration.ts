/**
 * MOCK integrations, which the API uses for CORS preflight (OPTIONS): the integration response's status and
 * static headers, and the one VTL shape of its response template, which echoes the Origin when it is allowed:
 *
 *   #set($origin = $input.params("Origin"))
 *   #if($origin == "https://a.example" || $origin == "https://b.example")
 *   #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)
 *   #end
 *
 * Supported: `#set($v = $input.params("Name"))`, `#if`/`#end` over `$v == "literal"` joined by `||`,
 * `#set($context.responseOverride.header.Name = $v)` and `#set($context.responseOverride.status = 200)`.
 * Other directives are reported by unsupportedLines() (the local stack warns at start-up) and ignored; other
 * lines are the body.
 */
import type { IntegrationModel } from "./rest-api";
import { headerValue, type GatewayRequest, type GatewayResponse } from "./proxy-integration";

type MockIntegration = Extract<IntegrationModel, { type: "MOCK" }>;

const SET_PARAM = /^#set\(\s*\$(\w+)\s*=\s*\$input\.params\(\s*["']([^"']+)["']\s*\)\s*\)$/;
const IF = /^#if\(\s*(.*)\s*\)$/;
const EQUALS = /^\$(\w+)\s*==\s*"([^"]*)"$/;
const OVERRIDE_HEADER = /^#set\(\s*\$context\.responseOverride\.header\.([A-Za-z0-9-]+)\s*=\s*\$(\w+)\s*\)$/;
const OVERRIDE_STATUS = /^#set\(\s*\$context\.responseOverride\.status\s*=\s*(\d{3})\s*\)$/;

/** Directive lines of a template that mockResponse() does not understand. */
export function unsupportedLines(template: string | undefined): string[] {
  return (template ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter(
      (line) =>
        line.startsWith("#") && line !== "#end" && ![SET_PARAM, OVERRIDE_HEADER, OVERRIDE_STATUS].some((re) => re.test(line)) && !ifCondition(line),
    );
}

function ifCondition(line: string): Array<[variable: string, literal: string]> | undefined {
  const match = IF.exec(line);
  if (!match) return undefined;
  const terms = match[1].split("||").map((term) => EQUALS.exec(term.trim()));
  return terms.every((t) => t !== null) ? terms.map((t) => [t![1], t![2]]) : undefined;
}

/** `$input.params(name)`: a path parameter, else a query parameter, else a header (path parameters: none here). */
function inputParam(request: GatewayRequest, name: string): string {
  return new URLSearchParams(request.query).get(name) ?? headerValue(request, name) ?? "";
}

export function mockResponse(integration: MockIntegration, request: GatewayRequest): GatewayResponse {
  const variables = new Map<string, string>();
  const headers = new Map<string, string>(Object.entries(integration.headers));
  const conditions: boolean[] = [];
  const body: string[] = [];
  let statusCode = integration.statusCode;
  const active = () => conditions.every(Boolean);

  for (const line of (integration.template ?? "").split("\n").map((l) => l.trim())) {
    const param = SET_PARAM.exec(line);
    const header = OVERRIDE_HEADER.exec(line);
    const status = OVERRIDE_STATUS.exec(line);
    const condition = ifCondition(line);
    if (param) {
      if (active()) variables.set(param[1], inputParam(request, param[2]));
    } else if (condition) {
      conditions.push(condition.some(([variable, literal]) => variables.get(variable) === literal));
    } else if (line.startsWith("#if")) {
      conditions.push(false); // not understood: its block is skipped (and reported by unsupportedLines)
    } else if (line === "#end") {
      conditions.pop();
    } else if (header) {
      const value = variables.get(header[2]);
      if (active() && value) headers.set(header[1], value);
    } else if (status) {
      if (active()) statusCode = Number(status[1]);
    } else if (line !== "" && !line.startsWith("#") && active()) {
      body.push(line);
    }
  }
  return {
    statusCode,
    headers: [["Content-Type", "application/json"], ...headers],
    body: Buffer.from(body.join("\n"), "utf8"),
  };
}
