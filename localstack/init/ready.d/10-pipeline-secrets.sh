#!/bin/bash
# LocalStack init hook (runs inside the LocalStack container when it is ready; docker-compose.yml
# mounts this folder on /etc/localstack/init/ready.d). Creates what the `local` stage can use from
# AWS services: the MySQL writer secret, as Secrets Manager holds it on AWS (RDS format), so a
# deploy can exercise MYSQL_WRITER_SECRET_ARN. Idempotent.
set -euo pipefail

name=jtp-local-mysql-writer
if ! awslocal secretsmanager describe-secret --secret-id "$name" >/dev/null 2>&1; then
  awslocal secretsmanager create-secret --name "$name" \
    --description "MySQL writer account of the job-tracking pipeline (local stage)" \
    --secret-string "{\"username\":\"jtp_writer\",\"password\":\"${MYSQL_WRITER_PASSWORD:?}\"}" >/dev/null
fi
arn=$(awslocal secretsmanager describe-secret --secret-id "$name" --query ARN --output text)
echo "jtp: MySQL writer secret ready: $arn"
