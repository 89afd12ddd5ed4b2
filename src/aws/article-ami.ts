/**
 * The guide's image and where it exists. An AMI id belongs to one region: elsewhere EC2 answers
 * `InvalidAMIID.NotFound`. The guide does not say which region (its providers.tf has `region = "<aws-region>"`);
 * eu-west-1 is the region every public Terraform file found with this id pairs it with (a `# eu-west-1` comment, a
 * per-region map `"eu-west-1" = "ami-01cae1550c0adea9c"`, providers set to eu-west-1), not an AWS statement.
 */

/** The guide's Amazon Linux 2 (x86_64) image. Amazon Linux 2 is past end of support since 2026-06-30. */
export const ARTICLE_AMI = "ami-01cae1550c0adea9c";

/** The one region where ARTICLE_AMI exists (see above for how this is known). */
export const ARTICLE_AMI_REGION = "eu-west-1";
