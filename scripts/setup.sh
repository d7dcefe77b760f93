#!/usr/bin/env bash
# Installs what formaudit needs, once: Debian packages, then a virtual environment with the package.
set -euo pipefail
cd "$(dirname "$0")/.."
# poppler-utils: pdf2image's rasteriser; libgl1 + libglib2.0-0: OpenCV (pulled in by rapidocr); fonts-droid-fallback + fonts-dejavu-core: CJK and Latin fonts embedded in sample PDFs
# redis-server + postgresql: the queue's broker and the store the service tests run against (scripts/services.sh starts them)
# chromium + chromium-driver: the review page's and the HTML report's browser tests; docker-compose: parses docker/docker-compose.yml in its test
APT_PACKAGES=(python3-venv poppler-utils fonts-droid-fallback fonts-dejavu-core libgl1 libglib2.0-0
              redis-server postgresql chromium chromium-driver docker-compose)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -e "$stamp" ]; then
  echo "setup: installing Python packages into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
