#!/usr/bin/env bash
# Installs what building and testing simloop needs, from Debian packages only.
# Idempotent and quiet: does nothing (and prints nothing) when all is there.
# Run as root on Debian 12.
set -euo pipefail

packages=(cmake ninja-build g++ git python3 libboost1.81-dev libboost-stacktrace1.81-dev libfmt-dev
          librapidcheck-dev libgtest-dev libbenchmark-dev clang-14 libclang-rt-14-dev ccache)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "simloop setup: installing ${missing[*]}" >&2
if [[ $(id -u) -ne 0 ]]; then
  echo "simloop setup: need root to install packages (run as root, or install them yourself)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
