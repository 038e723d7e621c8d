#!/usr/bin/env bash
# Postgres first start (docker-entrypoint-initdb.d): MLflow's own role and database beside Airflow's.
set -euo pipefail
: "${MLFLOW_DB_PASSWORD:?MLFLOW_DB_PASSWORD is not set (make up writes it to .env)}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --set=password="$MLFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE mlflow LOGIN PASSWORD :'password';
CREATE DATABASE mlflow OWNER mlflow;
SQL
