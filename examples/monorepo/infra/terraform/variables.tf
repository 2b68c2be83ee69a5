variable "aws_region" { default = "eu-west-1" }
variable "aws_access_key" { sensitive = true }
variable "aws_secret_key" { sensitive = true }
variable "db_password" { sensitive = true }
