terraform {
  required_version = ">= 1.2.8"
  backend "local" {
    path = "../../../../terraform.keycloak-ec2.tfstate"
  }
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.25.0"
    }
  }
}

resource "aws_default_vpc" "default" {
  tags = {
    Name = "Default VPC"
  }
}

resource "aws_instance" "ec2" {
  ami           = "ami-01cae1550c0adea9c"
  instance_type = "t2.micro"
  key_name      = var.keyname
  tags = {
    Name = var.aws_instance_name
  }
  user_data              = <<EOT
#!/bin/bash
sudo yum update -y
sudo amazon-linux-extras install docker
sudo service docker start
sudo amazon-linux-extras enable postgresql13
sudo yum install postgresql postgresql-server -y
sudo postgresql-setup initdb
sudo systemctl start postgresql
sudo systemctl enable postgresql
EOT
  vpc_security_group_ids = [aws_security_group.sg.id]
}

resource "aws_security_group" "sg" {
  description = "Allow inbound traffic on port 8080 and 8443"
  egress = [
    {
      cidr_blocks      = ["0.0.0.0/0"]
      description      = null
      from_port        = 0
      ipv6_cidr_blocks = ["::/0"]
      prefix_list_ids  = null
      protocol         = "-1"
      security_groups  = null
      self             = null
      to_port          = 0
    },
  ]
  ingress = [
    {
      cidr_blocks      = ["0.0.0.0/0"]
      description      = "open ssh port"
      from_port        = 22
      ipv6_cidr_blocks = ["::/0"]
      prefix_list_ids  = null
      protocol         = "tcp"
      security_groups  = null
      self             = null
      to_port          = 22
    },
    {
      cidr_blocks      = ["0.0.0.0/0"]
      description      = "open port 8080"
      from_port        = 8080
      ipv6_cidr_blocks = ["::/0"]
      prefix_list_ids  = null
      protocol         = "tcp"
      security_groups  = null
      self             = null
      to_port          = 8080
    },
    {
      cidr_blocks      = ["0.0.0.0/0"]
      description      = "open port 8443"
      from_port        = 8443
      ipv6_cidr_blocks = ["::/0"]
      prefix_list_ids  = null
      protocol         = "tcp"
      security_groups  = null
      self             = null
      to_port          = 8443
    },
  ]
  name = var.security_group_name
  tags = {
    Name = var.security_group_name
  }
  vpc_id = aws_default_vpc.default.id
}

output "instance_dns" {
  description = "Public DNS"
  value       = aws_instance.ec2.public_dns
}

output "instance_ip" {
  description = "Public IP address"
  value       = aws_instance.ec2.public_ip
}
