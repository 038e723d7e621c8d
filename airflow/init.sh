#!/usr/bin/env bash
# airflow-init (docker-compose.airflow.yml): migrates the metadata database and writes the two
# password files the other services read, from the secrets in .env. Idempotent: every start runs it.
set -euo pipefail
: "${_AIRFLOW_WWW_USER_USERNAME:?_AIRFLOW_WWW_USER_USERNAME is not set (make up writes it to .env)}"
: "${_AIRFLOW_WWW_USER_PASSWORD:?_AIRFLOW_WWW_USER_PASSWORD is not set (make up writes it to .env)}"
: "${HP_LOCAL_REGISTRY_USERNAME:?HP_LOCAL_REGISTRY_USERNAME is not set (make up writes it to .env)}"
: "${HP_LOCAL_REGISTRY_PASSWORD:?HP_LOCAL_REGISTRY_PASSWORD is not set (make up writes it to .env)}"

echo "airflow-init: migrating the metadata database"
airflow db migrate

# The simple auth manager reads its users' passwords from this file (AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE).
python3 - "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" <<'PY'
import json, os, sys
path = sys.argv[1]
with open(path + ".tmp", "w") as out:
    json.dump({os.environ["_AIRFLOW_WWW_USER_USERNAME"]: os.environ["_AIRFLOW_WWW_USER_PASSWORD"]}, out)
os.chmod(path + ".tmp", 0o640)
os.replace(path + ".tmp", path)
PY
echo "airflow-init: login for ${_AIRFLOW_WWW_USER_USERNAME} written"

# The registry's htpasswd file (bcrypt, the only scheme it accepts); the password goes through stdin.
htpasswd -niB "$HP_LOCAL_REGISTRY_USERNAME" <<<"$HP_LOCAL_REGISTRY_PASSWORD" > /opt/registry-auth/htpasswd.tmp
mv /opt/registry-auth/htpasswd.tmp /opt/registry-auth/htpasswd
echo "airflow-init: registry login for ${HP_LOCAL_REGISTRY_USERNAME} written"
