terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # No backend: this root creates the bucket the environments keep their state in, so its
  # own (small) state is local, terraform/bootstrap/terraform.tfstate (git-ignored). Keep it
  # safe, or move it into the bucket after the first apply: add a backend "s3" block here and
  # run `terraform init -migrate-state -backend-config=../environments/backend.hcl`.
}
