#!/usr/bin/env bash
# s3-seed (docker-compose.airflow.yml): the bucket the DAG's default raw_data_uri names, holding the
# raw data: the real UCI file when /data/diabetic_data.csv is mounted (HP_RAW_DATA_DIR), synthetic
# rows otherwise. moto keeps data in memory, so this runs on every start.
set -euo pipefail
: "${HP_RAW_DATA_URI:?HP_RAW_DATA_URI is not set}"
real=/data/diabetic_data.csv
/opt/health-predict/.venv/ml/bin/python - "$HP_RAW_DATA_URI" "$real" <<'PY'
import os, sys
from urllib.parse import urlparse
import boto3

uri, real = sys.argv[1], sys.argv[2]
bucket, key = urlparse(uri).netloc, urlparse(uri).path.lstrip("/")
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])
if bucket not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
    s3.create_bucket(Bucket=bucket)
    print(f"s3-seed: created bucket {bucket}")
if os.path.isfile(real):
    s3.upload_file(real, bucket, key)
    print(f"s3-seed: uploaded the UCI file {real} ({os.path.getsize(real)} bytes) to {uri}")
PY
if [[ ! -f "$real" ]]; then
  echo "s3-seed: no UCI file mounted at $real (set HP_RAW_DATA_DIR): writing ${HP_SYNTHETIC_ROWS:-10000} synthetic rows to $HP_RAW_DATA_URI"
  health-predict data synth --rows "${HP_SYNTHETIC_ROWS:-10000}" --out "$HP_RAW_DATA_URI"
fi
