#!/usr/bin/env bash
# Rebuild the vendored GOV.UK Frontend assets in ../static/govuk/ from the npm registry.
#
#   src/transport_policy/web/vendor/update-govuk-frontend.sh [VERSION]
#
# Needs node and npm. Fetches govuk-frontend (and the sass compiler) into a temporary folder,
# compiles govuk.scss (council-neutral: Arial, no GDS Transport font, no crown or crest, only
# the components the pages use), copies the ES module bundle, and writes VERSION. The licence
# (MIT, LICENSE.txt beside the assets) is not in the npm package; it is kept as it is. Check the
# pages afterwards: python -m pytest tests/test_web_pages.py
set -euo pipefail
version="${1:-6.6.0}"
sass_version="1.108.2"
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../static/govuk"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "govuk-frontend@$version" "sass@$sass_version" >/dev/null
node_modules/.bin/sass --no-source-map --style=compressed --load-path=node_modules \
  "$here/govuk.scss" "$out/govuk-frontend.min.css"
# The bundle without its source-map comment (the map is not vendored).
sed 's|//# sourceMappingURL=.*$||' node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js \
  >"$out/govuk-frontend.min.js"
printf 'govuk-frontend %s (npm), styles compiled with sass %s from vendor/govuk.scss\n' \
  "$version" "$sass_version" >"$out/VERSION"
echo "vendored govuk-frontend $version into $out"
