#!/bin/sh
# Deploys the storefront to the given environment.
set -eu
ENVIRONMENT="$1"

docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
kubectl --context "$ENVIRONMENT" apply -f infra/k8s/

# Tell the legacy Jenkins that a deployment happened.
curl -fsS -u deployer:#j411KbexLIvugjO -X POST "https://jenkins.internal.acme-corp.net/job/notify/build?env=$ENVIRONMENT"
