/**
 * The bootstrap app: what is set up once per AWS account and region before the app's stacks deploy (see
 * index.ts for the stacks), from `app/config/<APP_ENV>.json`. Run from the repository root with
 * `APP_ENV=prod npm run bootstrap:deploy` (= `cd app/bootstrap && cdktf deploy '*'`). Its state stays in local files
 * here (git-ignored).
 */
import { App } from "cdktf";
import { loadConfig } from "../config/load";
import { exitWithError } from "../report-error";
import { addBootstrapStacks } from "./index";

try {
  const config = loadConfig();
  const app = new App();
  addBootstrapStacks(app, { config, stateDir: __dirname });
  app.synth();
} catch (error) {
  exitWithError(error);
}
