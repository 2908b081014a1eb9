#!/usr/bin/env bash
# Installs the Debian packages the tests need, once: skipped when they are all present already.
set -euo pipefail
# mosquitto: the MQTT broker; GStreamer RTSP server + codecs: the demo RTSP camera (run with Debian's python3);
# chromium: the browser the UI tests drive (Playwright cannot download its own here);
# openssl: the self-signed certificate of the TLS broker listeners
PACKAGES=(mosquitto openssl chromium python3-gi gir1.2-gst-rtsp-server-1.0 gir1.2-gst-plugins-base-1.0
          gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly)
missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
