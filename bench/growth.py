"""How cost and CPU grow with the settings: interval, images per series, image size.

Cost per healthy print-hour (Nova Lite, 3 s model latency) from measured tokens per call (local
Converse server, as in bench/cost.py) times calls per hour from the engine on a simulated clock.
CPU is what the plugin spends preparing frames for the model (decode, scale, re-encode) — measured
here in process time per frame from a 1080p camera frame — times frames per hour, as a share of one
core; reading the camera is measured separately in bench/camera.py.
Run: .venv/bin/python -m bench.growth
"""

from __future__ import annotations

import time
from collections import Counter

from bench.cost import calls_per_hour, dollars, tokens_per_call
from demo.model_server import ModelServer
from demo.scene import encode_jpeg, render
from octoprint_failwatch.analysis.imaging import prepare
from octoprint_failwatch.frame import Frame

HOURS = 4.0


def prepare_ms(long_side: int, repeats: int = 20) -> float:
    frame = Frame(encode_jpeg(render("healthy", 5.0, 1920, 1080)), 0.0, 1.7e9)
    started = time.process_time()
    for _ in range(repeats):
        prepare(frame, long_side, 80, None)
    return (time.process_time() - started) / repeats * 1000


def main() -> None:
    server = ModelServer().start()
    try:
        quick = {side: tokens_per_call(server, side, images=1, quick=True) for side in (512, 768, 1024, 1568)}
        series = {n: tokens_per_call(server, 768, images=n) for n in (1, 2, 3)}
        series[5] = (series[3][0] + 2 * (series[3][0] - series[2][0]), series[3][1])  # 2 more frames of 768 px
    finally:
        server.stop()
    ms_768 = prepare_ms(768)

    print(f"Growth with the settings (healthy print, 3 s latency, {HOURS:g} simulated hours each; Nova Lite $)\n")
    print("Interval between images (quick check on / off):")
    print(f"{'interval s':>11}{'calls/h on':>12}{'$/h on':>9}{'calls/h off':>13}{'$/h off':>9}{'prep CPU % on':>15}")
    for interval in (5.0, 10.0, 20.0, 30.0):
        on = calls_per_hour(hours=HOURS, interval_between_images=interval)
        off = calls_per_hour(hours=HOURS, interval_between_images=interval, quick_check=False)
        cost_on = dollars(on, {"quick": quick[768]})
        cost_off = dollars(off, {"series": series[3]})
        frames_per_hour = 3600 / interval
        print(
            f"{interval:>11g}{sum(on.values()):>12.0f}{cost_on:>9.4f}{sum(off.values()):>13.0f}{cost_off:>9.4f}"
            f"{frames_per_hour * ms_768 / 1000 / 3600 * 100:>15.2f}"
        )

    print(
        "\nImages per series (the series call after a quick alarm, each verification call, and every call with "
        "quick check off):"
    )
    print(f"{'images':>7}{'tokens/call':>13}{'$ per alarm checked':>21}{'$/h quick off':>15}")
    for n in (1, 3, 5):
        off = calls_per_hour(hours=HOURS, images_per_series=n, quick_check=False)
        alarm = dollars(Counter({"series": 1, "verification": 4}), {"series": series[n]})
        print(f"{n:>7}{series[n][0]:>13}{alarm:>21.5f}{dollars(off, {'series': series[n]}):>15.4f}")

    print("\nImage size sent to the model (long side; the camera gives 1080p):")
    print(f"{'long side':>10}{'quick tokens':>14}{'$/h':>9}{'prep ms/frame':>15}{'prep CPU % at 10 s':>20}")
    on = calls_per_hour(hours=HOURS)
    for side, (tokens_in, tokens_out) in quick.items():
        ms = prepare_ms(side)
        cost = dollars(on, {"quick": (tokens_in, tokens_out)})
        print(f"{side:>10}{tokens_in:>14}{cost:>9.4f}{ms:>15.1f}{360 * ms / 1000 / 3600 * 100:>20.2f}")


if __name__ == "__main__":
    main()
