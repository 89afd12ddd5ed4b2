import { Construct } from "constructs";
import { TerraformResource, TerraformResourceLifecycle } from "cdktf";

export interface TerraformDataProps {
  /** Values stored in the state: `output` repeats them. */
  readonly input: Readonly<Record<string, string>>;
  /** @default - none */
  readonly lifecycle?: TerraformResourceLifecycle;
}

/**
 * Terraform's built-in `terraform_data` resource (Terraform 1.4+). cdktf 0.21's own `DataResource` checks the
 * Terraform version by running `terraform version` during synthesis, which would make synthesis need a terraform
 * binary (and spawn one each time): this writes the same resource without that check.
 */
export class TerraformData extends TerraformResource {
  private readonly input: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: TerraformDataProps) {
    super(scope, id, {
      terraformResourceType: "terraform_data",
      terraformGeneratorMetadata: { providerName: "terraform" },
      lifecycle: props.lifecycle,
    });
    this.input = props.input;
  }

  /** A reference to one key of `output`, the stored `input`. */
  outputValue(key: string): string {
    return this.getStringAttribute(`output.${key}`);
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { input: this.input };
  }
}
