provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      project    = var.project
      managed-by = "terraform"
      component  = "terraform-state"
    }
  }
}
