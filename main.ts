import { App } from "cdktf";
import { loadConfigOrExit } from "./config/load";
import { loadLambdaArtifact } from "./lambda-packages/artifacts";
import { addStacks } from "./stacks";
import { version } from "./package.json";

const config = loadConfigOrExit();

const app = new App();
try {
  addStacks(app, { config, artifacts: (name) => loadLambdaArtifact(name), stateDir: process.cwd(), serviceVersion: version });
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
app.synth();
