/**
 * The bootstrap app: creates the S3 bucket the main app keeps its Terraform state in, from the `backend` section
 * of `config/<APP_ENV>.json`. Run from this folder: `APP_ENV=prod npm run bootstrap:deploy` (= `cd bootstrap &&
 * cdktf deploy state-bucket`). Its own state stays in a local file here (git-ignored).
 */
import { App } from "cdktf";
import { loadConfigOrExit } from "../config/load";
import { addPipelineStack } from "./pipeline-roles";
import { addStateBucketStack } from "./state-stack";

const config = loadConfigOrExit();

const app = new App();
try {
  addStateBucketStack(app, { config, stateDir: __dirname });
  addPipelineStack(app, { config, stateDir: __dirname });
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
app.synth();
