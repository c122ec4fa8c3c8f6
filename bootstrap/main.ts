/**
 * The bootstrap app: what is set up once per AWS account and region before the app's stacks deploy (see
 * index.ts for the stacks), from `config/<APP_ENV>.json`. Run from the repository root with
 * `APP_ENV=prod npm run bootstrap:deploy` (= `cd bootstrap && cdktf deploy '*'`). Its state stays in local files
 * here (git-ignored).
 */
import { App } from "cdktf";
import { loadConfigOrExit } from "../config/load";
import { addBootstrapStacks } from "./index";

const config = loadConfigOrExit();

const app = new App();
try {
  addBootstrapStacks(app, { config, stateDir: __dirname });
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
app.synth();
