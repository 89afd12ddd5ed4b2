/**
 * The guide's user data, byte for byte as its `<<-EOF` heredoc yields it (indentation stripped, final newline
 * kept): updates the system, installs Docker and PostgreSQL 13 from amazon-linux-extras (Amazon Linux 2 only).
 */
export function articleUserData(): string {
  return [
    "#!/bin/bash",
    "sudo yum update -y",
    "sudo amazon-linux-extras install docker",
    "sudo service docker start",
    "sudo amazon-linux-extras enable postgresql13",
    "sudo yum install postgresql postgresql-server -y",
    "sudo postgresql-setup initdb",
    "sudo systemctl start postgresql",
    "sudo systemctl enable postgresql",
    "",
  ].join("\n");
}
