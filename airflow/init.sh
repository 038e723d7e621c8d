#!/usr/bin/env bash
# airflow-init (docker-compose.airflow.yml): migrates the metadata database and writes the two
# password files the other services read, from the secrets in .env. Idempotent: every start runs it.
set -euo pipefail
# The compose file lets every secret default to empty so that `docker compose config` works without
# .env; nothing starts without them: every Airflow service waits for this script to succeed, and
# Postgres refuses to initialise without its password.
missing=()
for name in _AIRFLOW_WWW_USER_USERNAME _AIRFLOW_WWW_USER_PASSWORD HP_LOCAL_REGISTRY_USERNAME HP_LOCAL_REGISTRY_PASSWORD \
  AIRFLOW__CORE__FERNET_KEY AIRFLOW__API_AUTH__JWT_SECRET AIRFLOW__API__SECRET_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
  [[ -n "${!name:-}" ]] || missing+=("$name")
done
if ((${#missing[@]})); then
  echo "airflow-init: no value for ${missing[*]}: run \`make up\` once (it writes the secrets to .env), or set them in .env yourself" >&2
  exit 1
fi

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
