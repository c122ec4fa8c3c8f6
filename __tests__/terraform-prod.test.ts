/** Terraform init, validate and plan of the prod stacks, offline: see support/terraform-suite.ts. */
import { describeTerraformOffline } from "./support/terraform-suite";

describeTerraformOffline("prod");
