#!/usr/bin/env bash
# Installs the Debian packages a purpose needs, once: skipped when they are all present already.
#   install_system_deps.sh demo   what `make run` needs: GStreamer's RTSP server for the demo RTSP camera
#   install_system_deps.sh test   what `make test` needs besides: Mosquitto, OpenSSL (the TLS broker), Chromium
set -euo pipefail
# GStreamer RTSP server + codecs: the demo RTSP camera (run with Debian's python3)
PACKAGES=(python3-gi gir1.2-gst-rtsp-server-1.0 gir1.2-gst-plugins-base-1.0
          gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly)
if [ "${1:-test}" = "test" ]; then
    # mosquitto: the MQTT broker; openssl: the TLS broker's certificate; chromium: the browser the UI tests drive
    # (Playwright cannot download its own here)
    PACKAGES+=(mosquitto openssl chromium)
fi
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
