#!/usr/bin/env bash
# The one command that prepares a fresh machine for the whole test suite and runs it:
# system packages the tests drive (openssl + its GOST engine, Java keytool, chromium, SoftHSM2, xmlsec1, xmllint,
# certutil, ip, HAProxy for the multi-node test), npm
# dependencies, a running PostgreSQL, the type check, then every node:test file.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v openssl      >/dev/null 2>&1 || need_pkgs+=(openssl)
command -v keytool      >/dev/null 2>&1 || need_pkgs+=(default-jre-headless)
command -v chromium     >/dev/null 2>&1 || need_pkgs+=(chromium)
command -v softhsm2-util >/dev/null 2>&1 || need_pkgs+=(softhsm2)
command -v xmlsec1      >/dev/null 2>&1 || need_pkgs+=(xmlsec1)
command -v pkcs11-tool  >/dev/null 2>&1 || need_pkgs+=(opensc)
command -v xmllint      >/dev/null 2>&1 || need_pkgs+=(libxml2-utils)
command -v certutil     >/dev/null 2>&1 || need_pkgs+=(libnss3-tools)   # agent install: browsers' NSS trust
command -v ip           >/dev/null 2>&1 || need_pkgs+=(iproute2)        # agent browser test: its own network namespace
openssl engine gost      >/dev/null 2>&1 || need_pkgs+=(libengine-gost-openssl)   # GOST interop (pki/gost)
command -v curl         >/dev/null 2>&1 || need_pkgs+=(curl)                      # the TSA test's HTTP client
command -v wrk          >/dev/null 2>&1 || need_pkgs+=(wrk)                       # bench/tsa.ts load generator
command -v haproxy      >/dev/null 2>&1 || need_pkgs+=(haproxy)          # the multi-node test's load balancer (test/cluster)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== installing system packages: ${need_pkgs[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

echo "== npm dependencies"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi

bash scripts/ensure-postgres.sh

echo "== type check"
npx tsc -p tsconfig.json

# No import circles, type imports included (package.json "circles": dpdm over apps/*/src and packages/*/src).
echo "== import circles"
npm run --silent circles

echo "== tests"
node scripts/run-tests.mjs "$@"
