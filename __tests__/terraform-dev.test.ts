/** Terraform init and plan (which validates first) of the dev stacks, offline: see support/terraform-suite.ts. */
import { describeTerraformOffline } from "./support/terraform-suite";

describeTerraformOffline("dev");
