#!/usr/bin/env bash
# Vendors the OpenAPI viewer that GET /docs serves: Swagger UI, from the npm package
# swagger-ui-dist at the exact version below, into shell/pulseshop/shell/web/static/openapi-viewer/.
#
# The service serves these files itself (no CDN): the page at /docs loads the bundle and
# our own static/api-docs.js, which points it at /openapi.json. Only the files the page
# needs are copied, with the package's licenses. To upgrade, change VERSION, run this
# script from anywhere, look at /docs, and commit the result.
#
# Needs npm (and the npm registry); nothing is installed outside a temporary directory.

set -euo pipefail

PACKAGE=swagger-ui-dist
VERSION=5.35.0
FILES=(swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="$root/shell/pulseshop/shell/web/static/openapi-viewer"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

npm install --prefix "$work" --no-save --no-audit --no-fund --ignore-scripts \
    "$PACKAGE@$VERSION" >/dev/null
source_dir="$work/node_modules/$PACKAGE"
installed="$(node -p "require('$source_dir/package.json').version")"
if [[ "$installed" != "$VERSION" ]]; then
    echo "expected $PACKAGE $VERSION, npm installed $installed" >&2
    exit 1
fi

rm -rf "$target"
mkdir -p "$target"
for file in "${FILES[@]}"; do
    cp "$source_dir/$file" "$target/$file"
done
# The files stay byte for byte as published (the stylesheet names a source map we do not
# ship; only a browser's developer tools ask for it).
printf '%s %s\n' "$PACKAGE" "$VERSION" > "$target/VERSION"
echo "vendored $PACKAGE $VERSION into ${target#"$root"/}"
