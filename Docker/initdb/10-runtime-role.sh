#!/bin/sh
# The runtime role FeePay serves as (DATABASE_URL): it logs in, owns nothing, and is granted
# by `feepay migrate` (run as the owner, DATABASE_OWNER_URL) only what the service needs.
# The postgres image runs this once, when it creates the cluster.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v runtime_password="${FEEPAY_RUNTIME_PASSWORD:-feepay_app}" <<'SQL'
CREATE ROLE feepay_app LOGIN PASSWORD :'runtime_password';
SQL
