/** Terraform init, validate and plan of the dev stacks, offline: see support/terraform-suite.ts. */
import { describeTerraformOffline } from "./support/terraform-suite";

describeTerraformOffline("dev");
