/**
 * The contract test's checker: is this response one that docs/openapi.json allows? The status must be
 * documented for the operation, and the body must validate against that status's schema (ajv, JSON Schema
 * 2020-12 as OpenAPI 3.1 uses, with ajv-formats for uuid, email and date-time). The schemas are strict
 * objects, so an undocumented field fails too. A request to no operation must be answered as the document's
 * `RouteNotFound` response says. A success (2xx) must answer a query string the operation's `in: query`
 * parameters allow: a required one present, each value valid (coerced from its text as API Gateway passes it);
 * parameters the document does not name are ignored, as the functions ignore them.
 */
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const OPENAPI_FILE = join(__dirname, "..", "..", "docs", "openapi.json");
const DOC_ID = "https://contract.invalid/openapi.json";

type Json = Record<string, any>;

export interface ObservedResponse {
  readonly method: string;
  /** The path below the stage, e.g. "/users/123", with the query string the request had, if any. */
  readonly path: string;
  readonly status: number;
  readonly contentType: string | null;
  /** The raw body text ("" when there is none). */
  readonly text: string;
}

const pointer = (...segments: string[]): string => segments.map((s) => s.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

export class ContractChecker {
  private readonly ajv: Ajv2020;
  /** For query parameters: their values arrive as text, so "5" must pass as an integer. */
  private readonly coercing: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; regex: RegExp; literals: number }[];

  constructor(private readonly doc: Json = JSON.parse(readFileSync(OPENAPI_FILE, "utf8"))) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats(this.ajv);
    this.coercing = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, coerceTypes: true });
    addFormats(this.coercing);
    this.ajv.addSchema({ ...doc, $id: DOC_ID });
    this.templates = Object.keys(doc.paths ?? {}).map((template) => ({
      template,
      regex: new RegExp(
        `^${template
          .split("/")
          .map((part) => (/^\{.+\}$/.test(part) ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
          .join("/")}$`,
      ),
      literals: template.split("/").filter((part) => !/^\{.+\}$/.test(part)).length,
    }));
  }

  /** The path template of the document that serves `path`: a literal segment wins over a parameter, as in API Gateway. */
  templateOf(path: string): string | undefined {
    const matches = this.templates.filter((t) => t.regex.test(path)).sort((a, b) => b.literals - a.literals);
    return matches[0]?.template;
  }

  /** What is wrong with the response, one sentence each, naming the route; [] when the document allows it. */
  problems(response: ObservedResponse): string[] {
    const path = response.path.split("?")[0];
    const method = response.method.toLowerCase();
    const template = this.templateOf(path);
    const operation: Json | undefined = template ? this.doc.paths[template][method] : undefined;
    if (!template || !operation) {
      const where = `${response.method} ${path} (no operation in docs/openapi.json)`;
      return this.checkBody(where, response, this.doc.components.responses.RouteNotFound, pointer("components", "responses", "RouteNotFound"));
    }
    const where = `${response.method} ${path} (operation ${response.method} ${template})`;
    const documented: Json | undefined = operation.responses?.[String(response.status)];
    if (!documented) {
      return [
        `${where}: status ${response.status} is not documented (documented: ${Object.keys(operation.responses).join(", ")}); body: ${response.text.slice(0, 300)}`,
      ];
    }
    const query = response.status >= 200 && response.status < 300 ? this.queryProblems(where, response, operation) : [];
    return [...query, ...this.checkBody(where, response, documented, pointer("paths", template, method, "responses", String(response.status)))];
  }

  /** What is wrong with the query string of a request the operation answered with success. */
  private queryProblems(where: string, response: ObservedResponse, operation: Json): string[] {
    const search = new URLSearchParams(response.path.includes("?") ? response.path.slice(response.path.indexOf("?") + 1) : "");
    const problems: string[] = [];
    for (const parameter of (operation.parameters ?? []) as Json[]) {
      if (parameter.in !== "query") continue;
      const values = search.getAll(parameter.name);
      if (values.length === 0) {
        if (parameter.required) problems.push(`query parameter ${parameter.name} is required`);
        continue;
      }
      const validate = this.coercing.compile({ type: "object", properties: { [parameter.name]: parameter.schema ?? {} } });
      for (const value of values) {
        if (validate({ [parameter.name]: value })) continue;
        problems.push(...(validate.errors ?? []).map((e) => `query parameter ${parameter.name}=${value} ${e.message}`));
      }
    }
    return problems.length > 0
      ? [`${where}: answered ${response.status} to a query string docs/openapi.json does not allow: ${problems.join("; ")}`]
      : [];
  }

  private checkBody(where: string, response: ObservedResponse, documented: Json, responsePointer: string): string[] {
    const schema = documented.content?.["application/json"]?.schema;
    if (!schema) {
      return response.text === ""
        ? []
        : [`${where}: status ${response.status} is documented without a body, but the response has one: ${response.text.slice(0, 300)}`];
    }
    if (!/^application\/json\b/i.test(response.contentType ?? "")) {
      return [`${where}: status ${response.status} must be application/json, received Content-Type ${response.contentType ?? "(none)"}`];
    }
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      return [`${where}: status ${response.status} has a body that is not JSON: ${response.text.slice(0, 300)}`];
    }
    const ref = `${DOC_ID}#/${responsePointer}/${pointer("content", "application/json", "schema")}`;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    if (validate(body)) return [];
    const errors = (validate.errors ?? []).map(
      (e) => `${e.instancePath || "(body)"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${e.params.additionalProperty})` : ""}`,
    );
    return [
      `${where}: the ${response.status} body does not match docs/openapi.json: ${[...new Set(errors)].join("; ")}; body: ${response.text.slice(0, 300)}`,
    ];
  }
}
