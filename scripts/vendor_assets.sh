#!/usr/bin/env bash
# Re-vendor the browser libraries the web workbench serves from its own /static (government
# networks are closed: no CDN). Versions are pinned here; bump them deliberately and commit the
# result. Needs npm and network access to the npm registry; run from anywhere.
set -euo pipefail
HTMX=2.0.11
ECHARTS=6.1.0
LEAFLET=1.9.4

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/src/zhili/web/static/vendor"
WORK=$(mktemp -d /tmp/zhili-vendor.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts --silent \
    "htmx.org@$HTMX" "echarts@$ECHARTS" "leaflet@$LEAFLET"

rm -rf "$DEST"
mkdir -p "$DEST/htmx" "$DEST/echarts" "$DEST/leaflet/images"
M=node_modules
cp "$M/htmx.org/dist/htmx.min.js" "$M/htmx.org/LICENSE" "$DEST/htmx/"
cp "$M/echarts/dist/echarts.min.js" "$M/echarts/LICENSE" "$DEST/echarts/"
[ -f "$M/echarts/NOTICE" ] && cp "$M/echarts/NOTICE" "$DEST/echarts/"
cp "$M/leaflet/dist/leaflet.js" "$M/leaflet/dist/leaflet.css" "$M/leaflet/LICENSE" "$DEST/leaflet/"
cp "$M/leaflet/dist/images/"*.png "$DEST/leaflet/images/"
cat > "$DEST/VERSIONS" <<VERS
# Written by scripts/vendor_assets.sh — do not edit by hand.
htmx.org $HTMX
echarts $ECHARTS
leaflet $LEAFLET
VERS
echo "vendored into $DEST:"
find "$DEST" -type f | sort
