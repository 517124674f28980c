#!/usr/bin/env bash
# build/doctor, group s3, against s3rver (npm) behind an HTTPS front that
# verifies AWS SigV4 the way S3/Wasabi do (tests/fixtures/doctor/sigv4-proxy.py:
# s3rver itself does not check V4 signatures). What this proves: the
# doctor's requests are correctly signed (region, payload hash), path and
# virtual-hosted addressing work, the probe object is written, read back
# and deleted, and each failure (missing bucket, unknown key, wrong secret,
# wrong region, denied operations) gets its own message and fix. What it
# cannot prove: Wasabi-specific behaviour beyond the S3 protocol.
REPO=${REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$REPO/tests/lib.sh"
. "$REPO/tests/fixtures/doctor/lib.sh"

S3RVER=$REPO/node_modules/.bin/s3rver
if [ ! -x "$S3RVER" ]; then
    not_ok "s3rver is installed (npm ci)" "$S3RVER missing: run tests/install-deps.sh"
    finish
fi

BUCKET=ecotrans-monitoring-test
AK=TESTONLYACCESSKEY0001
SK=test-only-wasabi-secret-key-0000000000001
S3_PORT=$(dport 610)
make_certs "$DT/tls" || { not_ok "test certificates" "openssl failed"; finish; }
printf '%s\n' "$SK" >"$DT/secret"
mkdir -p "$DT/s3data"
start_daemon "$DT/pids" s3rver "$DT/s3rver.log" "$S3RVER" -d "$DT/s3data" -a 127.0.0.1 \
    -p "$S3_PORT" --service-endpoint localhost --configure-bucket "$BUCKET"

# start_proxy NAME PORT [proxy options]: a SigV4-verifying front for s3rver.
start_proxy() {
    local name=$1 port=$2
    shift 2
    start_daemon "$DT/pids" "$name" "$DT/$name.log" "$PY3" "$FIX/sigv4-proxy.py" \
        --listen "127.0.0.1:$port" --upstream-port "$S3_PORT" --region eu-central-1 \
        --access-key "$AK" --secret-key-file "$DT/secret" \
        --tls-cert "$DT/tls/server.crt" --tls-key "$DT/tls/server.key" "$@"
    started "$name" "$port" 20
}
P=$(dport 611)
check "s3rver starts" started s3rver "$S3_PORT" 30
check "the SigV4 front starts" start_proxy proxy "$P"

# s3env FILE [KEY=VALUE overrides...]
s3env() {
    local f=$1
    shift
    write_env "$f" "WASABI_ACCESS_KEY=$AK" "WASABI_SECRET_KEY=$SK" "WASABI_BUCKET=$BUCKET" \
        "WASABI_REGION=eu-central-1" "WASABI_ENDPOINT=s3.localhost:$P" "$@"
}

# --- a good bucket -----------------------------------------------------------
s3env "$DT/good.env"
run_doctor --env-file "$DT/good.env" --only s3 --cacert "$DT/tls/ca.crt"
assert_rc "a good bucket passes (exit 0)" 0
assert_check "credentials accepted" "✓" s3.credentials "s3.localhost:$P accepted the key (it may list buckets)"
assert_check "bucket exists" "✓" s3.bucket "bucket $BUCKET exists and the key can list it"
assert_check "region matches the bucket" "✓" s3.region \
    "eu-central-1 is the bucket's location, requests signed for it are accepted"
assert_check "both addressing styles" "✓" s3.addressing \
    "path style works (thanos/objstore.yml uses bucket_lookup_type: path); virtual-hosted style ($BUCKET.s3.localhost:$P) works too"
assert_status "probe write/read/delete" "✓" s3.probe
probe_key=$(printf '%s\n' "$OUT" | grep -oE 'doctor-probe/[^ ]+\.txt' | head -1)
assert_contains "the probe names its object" "$OUT" "wrote, read back and deleted $probe_key (4"
log=$(cat "$DT/proxy.log")
assert_contains "the PUT was signed correctly" "$log" "verified PUT /$BUCKET/$probe_key"
assert_contains "the GET was signed correctly" "$log" "verified GET /$BUCKET/$probe_key"
assert_contains "the DELETE was signed correctly" "$log" "verified DELETE /$BUCKET/$probe_key"
assert_contains "the virtual-hosted request reached the bucket" "$log" "verified GET /?list-type=2&max-keys=1"
assert_not_contains "no request was rejected" "$log" "rejected"
assert_eq "the probe object is gone from the bucket" "" "$(find "$DT/s3data/$BUCKET" -path '*doctor-probe*' -type f 2>/dev/null)"
assert_not_contains "the secret key is never printed" "$OUT" "$SK"

# An IP endpoint: path style only.
s3env "$DT/ip.env" "WASABI_ENDPOINT=127.0.0.1:$P"
run_doctor --env-file "$DT/ip.env" --only s3 --cacert "$DT/tls/ca.crt"
assert_rc "an IP endpoint passes" 0
assert_check "virtual-hosted style is impossible with an IP" "✓" s3.addressing \
    "path style works (thanos/objstore.yml uses bucket_lookup_type: path); virtual-hosted style is impossible with an IP endpoint"

# --- failures -------------------------------------------------------------------
s3env "$DT/nobucket.env" "WASABI_BUCKET=no-such-bucket"
run_doctor --env-file "$DT/nobucket.env" --only s3 --cacert "$DT/tls/ca.crt"
assert_rc "a missing bucket fails" 1
assert_check "a missing bucket is named, with the fix" "✗" s3.bucket \
    "bucket no-such-bucket does not exist at s3.localhost:$P" \
    "create bucket no-such-bucket in region eu-central-1 (Wasabi console), or correct WASABI_BUCKET"
assert_check "the probe is skipped with why" "—" s3.probe "needs the bucket (see s3.bucket)"

s3env "$DT/badsecret.env" "WASABI_SECRET_KEY=test-only-wrong-secret-key-000000000000001"
run_doctor --env-file "$DT/badsecret.env" --only s3 --cacert "$DT/tls/ca.crt"
assert_rc "a wrong secret fails" 1
assert_check "a wrong secret is recognised" "✗" s3.credentials \
    "list buckets: signature rejected, the secret key is wrong (HTTP 403 SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your key and signing method.)" \
    "WASABI_SECRET_KEY does not belong to WASABI_ACCESS_KEY: create a new key pair if the secret was lost"
assert_not_contains "the wrong secret is not printed either" "$OUT" "test-only-wrong-secret-key"

s3env "$DT/badkey.env" "WASABI_ACCESS_KEY=TESTONLYUNKNOWNKEY0001"
run_doctor --env-file "$DT/badkey.env" --only s3 --cacert "$DT/tls/ca.crt"
assert_check "an unknown access key is recognised" "✗" s3.credentials \
    "list buckets: the endpoint does not know WASABI_ACCESS_KEY (HTTP 403 InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.)" \
    "copy the access key id of the bucket's key from the Wasabi console into WASABI_ACCESS_KEY"

s3env "$DT/region.env" "WASABI_REGION=eu-west-1"
run_doctor --env-file "$DT/region.env" --only s3 --cacert "$DT/tls/ca.crt"
assert_rc "a wrong region fails" 1
assert_check "the server's expected region is reported" "✗" s3.region \
    "the server expects region eu-central-1, not eu-west-1: HTTP 400 AuthorizationHeaderMalformed: The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'eu-central-1'" \
    "set WASABI_REGION=eu-central-1 and WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com"
assert_check "credentials are not judged on a region error" "—" s3.credentials \
    "the endpoint rejected the region before checking the key (see s3.region)"

# Offline: the Wasabi endpoint's name gives its region; no request is made.
s3env "$DT/mismatch.env" "WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com" "WASABI_REGION=eu-west-1"
run_doctor --env-file "$DT/mismatch.env" --only s3
assert_check "endpoint and region disagree" "✗" s3.region \
    "WASABI_REGION=eu-west-1 but WASABI_ENDPOINT s3.eu-central-1.wasabisys.com serves eu-central-1" \
    "set WASABI_REGION and WASABI_ENDPOINT to the bucket's region (s3.<region>.wasabisys.com)"
assert_check "nothing is sent with a known-wrong region" "—" s3.credentials \
    "needs a region that matches the endpoint (see s3.region)"

run_doctor --env-file "$DT/good.env" --only s3
assert_check "an untrusted endpoint certificate fails" "✗" s3.credentials \
    "list buckets: cannot reach https://s3.localhost:$P: the TLS certificate is not trusted or does not match the name (SSL certificate problem: unable to get local issuer certificate)" \
    "check WASABI_ENDPOINT and that this server can reach it over HTTPS (outbound 443)"

# A key scoped to the bucket: listing all buckets is denied, which is fine.
P2=$(dport 612)
check "a front with a bucket-scoped, read-only key starts" start_proxy scoped "$P2" --deny-list-buckets --deny-method PUT
s3env "$DT/scoped.env" "WASABI_ENDPOINT=s3.localhost:$P2"
run_doctor --env-file "$DT/scoped.env" --only s3 --cacert "$DT/tls/ca.crt"
assert_check "a bucket-scoped key is accepted" "✓" s3.credentials \
    "s3.localhost:$P2 accepted the key (listing all buckets is denied: a bucket-scoped key, as intended)"
assert_check "a key that may not write fails the probe" "✗" s3.probe \
    "write $(printf '%s\n' "$OUT" | grep -oE 'doctor-probe/[^ ]+\.txt' | head -1) denied (403 AccessDenied): the sidecar could not upload blocks" \
    "allow s3:PutObject, s3:GetObject and s3:DeleteObject on arn:aws:s3:::$BUCKET/* in the key's policy"

P3=$(dport 613)
check "a front with a key that may not delete starts" start_proxy nodelete "$P3" --deny-method DELETE
s3env "$DT/nodelete.env" "WASABI_ENDPOINT=s3.localhost:$P3"
run_doctor --env-file "$DT/nodelete.env" --only s3 --cacert "$DT/tls/ca.crt"
left=$(printf '%s\n' "$OUT" | grep -oE 'doctor-probe/[^ ]+\.txt' | head -1)
assert_check "a key that may not delete fails, naming the object left behind" "✗" s3.probe \
    "wrote and read $left but could not delete it: HTTP 403 AccessDenied: Access Denied" \
    "allow s3:DeleteObject on arn:aws:s3:::$BUCKET/* (the compactor deletes blocks); then delete $left by hand"

# Missing input.
write_env "$DT/empty.env" "WASABI_BUCKET=$BUCKET"
run_doctor --env-file "$DT/empty.env" --only s3
assert_check "missing variables are named" "✗" s3.credentials \
    "cannot check: WASABI_ACCESS_KEY is not set in $DT/empty.env; WASABI_SECRET_KEY is not set in $DT/empty.env; WASABI_REGION is not set in $DT/empty.env; WASABI_ENDPOINT is not set in $DT/empty.env" \
    "fill these variables in the .env (see .env.example), then run again"

finish
