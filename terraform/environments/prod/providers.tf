provider "aws" {
  region = var.aws_region

  # On every resource that takes tags (modules add their own on top).
  default_tags {
    tags = {
      project     = var.project
      environment = var.environment
      managed-by  = "terraform"
    }
  }
}
