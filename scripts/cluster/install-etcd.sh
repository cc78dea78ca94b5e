#!/usr/bin/env bash
# Installs Debian's etcd server and client (etcd 3.4) for the cluster tests, when missing,
# and ping (iputils-ping), which the network-namespace tests use.
# Idempotent and quiet: prints one line when it installs, nothing when all is there;
# fails loudly (non-zero, a message on stderr) when it cannot install.
# Debian's package also enables a system etcd service; nothing here starts or uses
# it (the tests start their own etcd on ports of their own, with a data dir in a
# temp folder), and on machines without an init system it is not started at all.
set -euo pipefail

ETCD_MAJOR_MINOR=3.4   # the version the cluster tests were verified with (Debian bookworm)

have_etcd() {
  command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1 \
    && command -v ping >/dev/null 2>&1 \
    && etcd --version 2>/dev/null | grep -q "^etcd Version: ${ETCD_MAJOR_MINOR}\."
}

fail() {
  echo "!!! install-etcd.sh: $* !!!" >&2
  exit 1
}

if have_etcd; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  fail "etcd ${ETCD_MAJOR_MINOR} or ping is missing and installing them needs root (apt-get install etcd-server etcd-client iputils-ping)"
fi
command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: install etcd ${ETCD_MAJOR_MINOR} (etcd, etcdctl) by hand"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends etcd-server etcd-client iputils-ping; } >"$log" 2>&1; then
  cat "$log" >&2
  fail "apt-get could not install etcd-server, etcd-client and iputils-ping"
fi
have_etcd || { etcd --version >&2 || true; fail "etcd ${ETCD_MAJOR_MINOR} or ping still missing after apt-get install"; }
echo "install-etcd.sh: $(etcd --version | head -1) installed ($(command -v etcd), $(command -v etcdctl))"
