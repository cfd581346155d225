#!/usr/bin/env bash
# Vendors the two libraries the shop's HTML pages load, from npm at the exact versions below,
# into shell/pulseshop/shell/web/static/vendor/:
#   - htmx (htmx.org): forms that update part of a page in place (the cart's quantities);
#   - phoenix: the official Phoenix Channels client, for the live updates over /socket.
#
# The service serves these files itself (no CDN), byte for byte as published, with their
# licenses. To upgrade, change a version, run this script from anywhere, run the browser
# tests (tests/shell/test_pages_browser.py), and commit the result.
#
# Needs npm (and the npm registry); nothing is installed outside a temporary directory.

set -euo pipefail

HTMX_VERSION=2.0.11
PHOENIX_VERSION=1.8.16

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="$root/shell/pulseshop/shell/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

npm install --prefix "$work" --no-save --no-audit --no-fund --ignore-scripts \
    "htmx.org@$HTMX_VERSION" "phoenix@$PHOENIX_VERSION" >/dev/null
modules="$work/node_modules"
for package in "htmx.org:$HTMX_VERSION" "phoenix:$PHOENIX_VERSION"; do
    name="${package%%:*}"
    wanted="${package#*:}"
    installed="$(node -p "require('$modules/$name/package.json').version")"
    if [[ "$installed" != "$wanted" ]]; then
        echo "expected $name $wanted, npm installed $installed" >&2
        exit 1
    fi
done

rm -rf "$target"
mkdir -p "$target"
cp "$modules/htmx.org/dist/htmx.min.js" "$target/htmx.min.js"
cp "$modules/htmx.org/LICENSE" "$target/htmx.LICENSE"
cp "$modules/phoenix/priv/static/phoenix.mjs" "$target/phoenix.mjs"
cp "$modules/phoenix/LICENSE.md" "$target/phoenix.LICENSE.md"
printf 'htmx.org %s\nphoenix %s\n' "$HTMX_VERSION" "$PHOENIX_VERSION" > "$target/VERSION"
echo "vendored htmx.org $HTMX_VERSION and phoenix $PHOENIX_VERSION into ${target#"$root"/}"
