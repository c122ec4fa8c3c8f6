import { App } from "cdktf";
import { ConfigError, loadConfig } from "./config/load";
import { loadLambdaArtifact } from "./lambda-packages/artifacts";
import { addStacks } from "./stacks";
import { version } from "./package.json";

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const app = new App();
try {
  addStacks(app, { config, artifacts: (name) => loadLambdaArtifact(name), stateDir: process.cwd(), serviceVersion: version });
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
app.synth();
