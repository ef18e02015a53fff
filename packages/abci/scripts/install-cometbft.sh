#!/usr/bin/env bash
# Installs the pinned CometBFT (packages/abci/COMETBFT_VERSION) with `go install`, into
# $(go env GOPATH)/bin, where the tests and `btt` look for it. Reuses Go's module and build
# caches; does nothing when that version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
version="$(tr -d '[:space:]' < COMETBFT_VERSION)"
if ! command -v go >/dev/null 2>&1; then
  echo "CometBFT ${version} needs Go 1.22 or newer to install (https://go.dev/doc/install; on Debian/Ubuntu: apt-get install golang-go, if recent enough), then: npm run install:cometbft" >&2
  exit 1
fi
bin="$(go env GOPATH | cut -d: -f1)/bin/cometbft"
if [ -x "$bin" ] && [ "v$("$bin" version 2>/dev/null)" = "$version" ]; then
  echo "cometbft ${version} already installed at ${bin}"
  exit 0
fi
echo "installing cometbft ${version} with $(go version)"
go install "github.com/cometbft/cometbft/cmd/cometbft@${version}"
echo "cometbft $("$bin" version) installed at ${bin}"
