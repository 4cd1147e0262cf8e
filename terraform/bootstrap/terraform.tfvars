# The state bucket lives in the region of the environments (or any region: the backend names it).
aws_region = "eu-west-1"
