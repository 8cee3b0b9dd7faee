#!/bin/sh
# Builds evidctl with its version stamped, as releases do:
#
#   VERSION=v1.2.3 scripts/build.sh        # writes ./evidctl reporting v1.2.3
#   scripts/build.sh                       # the version is 'git describe --tags --always --dirty'
#   OUT=dist/evidctl GOOS=windows scripts/build.sh
#
# 'evidctl version' (and --version, and the reports) print the stamped version; an
# unstamped build prints its module version (go install ...@v1.2.3), else the
# pseudo-version the go command derives from the checkout, else "devel".
set -eu
cd "$(dirname "$0")/.."
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
out=${OUT:-evidctl}
CGO_ENABLED=${CGO_ENABLED:-0} go build -trimpath -ldflags "-X main.version=$version" -o "$out" ./cmd/evidctl
echo "built $out ($version)"
