terraform {
  # use_lockfile (S3-native state locking, backend.tf) needs Terraform 1.10.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # The version of the filesystem mirror (terraform/.terraformrc) and of .terraform.lock.hcl.
      version = "5.100.0"
    }
  }
}
