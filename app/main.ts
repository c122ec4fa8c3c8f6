import { App } from "cdktf";
import { loadConfig } from "./config/load";
import { loadLambdaArtifact } from "./lambda-packages/artifacts";
import { version } from "../package.json";
import { exitWithError } from "./report-error";
import { addStacks } from "./stacks";

try {
  const config = loadConfig();
  const app = new App();
  addStacks(app, { config, artifacts: (name) => loadLambdaArtifact(name), stateDir: process.cwd(), serviceVersion: version });
  app.synth();
} catch (error) {
  // A config, props or package error: its message; anything else is a bug: its stack (see app/report-error.ts).
  exitWithError(error);
}
