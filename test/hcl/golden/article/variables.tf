variable "aws_instance_name" {
  default = "keycloak-ec2"
  type    = string
}

variable "keyname" {
  type = string
}

variable "security_group_name" {
  default = "keycloak-ec2-sg"
  type    = string
}
