#!/usr/bin/env bash
# Deploys the `local` stage to the LocalStack of docker-compose.yml and invokes the aggregator once.
#   docker compose --profile aws up -d      # LocalStack + the data stores + migration
#   localstack/deploy-local.sh
# The functions then run in LocalStack's Lambda containers on the compose network, so they reach
# the servers by their service names. Needs Docker (LocalStack runs Lambda functions as containers).
set -euo pipefail
cd "$(dirname "$0")/.."
endpoint="http://127.0.0.1:${LOCALSTACK_HOST_PORT:-4566}"

for _ in $(seq 60); do
  curl -fs "$endpoint/_localstack/init/ready" | grep -q '"completed": true' && break
  sleep 2
done
curl -fs "$endpoint/_localstack/health" >/dev/null || { echo "LocalStack is not answering on $endpoint" >&2; exit 1; }

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-1
secret_arn=$(docker compose exec -T localstack awslocal secretsmanager describe-secret \
  --secret-id jtp-local-mysql-writer --query ARN --output text)

KAFKA_BROKERS=kafka:19092 CASSANDRA_CONTACT_POINTS=cassandra:9042 MYSQL_HOST=mysql \
  npx serverless deploy --stage local --param="mysqlWriterSecretArn=${secret_arn}"

docker compose exec -T localstack awslocal lambda invoke \
  --function-name job-tracking-pipeline-local-aggregator \
  --cli-binary-format raw-in-base64-out \
  --payload '{"eventSource":"aws:kafka","bootstrapServers":"kafka:19092","records":{}}' /dev/stdout
