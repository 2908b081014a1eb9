"""Model cost per monitored print-hour: the baseline policy (full-size frames) vs Failwatch, and where it goes.

Tokens per call are measured: real boto3 sends the demo scene's frames to the local Converse server,
whose `usage` counts image tokens like Claude (width x height / 750, at most 1600 per image) and text
at about 4 characters a token (Nova counts differently: read the ratios, not the dollars). Calls per
hour, by kind, come from the same simulations as bench/latency.py (3 s model latency): a healthy print,
and one whose model wrongly says "failed" on 5 % of calls, which is what makes verification cost. Failwatch's
full looks (series and verification) carry what ships with them: the slicer's preview (a 300 px thumbnail, sent
at 256 px) and the print's context in words; the quick look carries neither. The bed check is one call a print.
Run: make bench   (or .venv/bin/python -m bench.cost)
"""

from __future__ import annotations

from collections import Counter

from bench.latency import Truth, baseline_policy, failwatch
from demo.model_server import ModelServer
from demo.scene import drawn_part, encode_jpeg, render
from octoprint_failwatch.analysis import DailySpend, make_analyser
from octoprint_failwatch.analysis.pricing import PRICES_PER_1K
from octoprint_failwatch.config import build_config
from octoprint_failwatch.engine.engine import SystemClock
from octoprint_failwatch.frame import Frame
from octoprint_failwatch.printers.preview import small_png

MODELS = ("nova-lite", "nova-pro", "nova-premier")
HOURS = 20.0


PRINT = {"file": "gearbox.gcode", "progress": 42.0, "elapsed": 4200.0, "left": 5700.0, "z": 12.4, "height": 31.0}


def tokens_per_call(
    server: ModelServer,
    long_side: int,
    images: int = 3,
    quick: bool = False,
    width: int = 1920,
    height: int = 1080,
    briefed: bool = False,
    bed: bool = False,
) -> tuple[int, int]:
    """(input, output) tokens of one call on 1080p demo frames, as the local server counts them; `briefed`: with
    the slicer's preview and the print's context, as Failwatch's full looks go; `bed`: the bed check's question."""
    config, _ = build_config(
        {
            "inference_profile_arn": "us.amazon.nova-lite-v1:0",
            "bedrock_endpoint_url": server.url,
            "aws_access_key_id": "AKIABENCH",
            "aws_secret_access_key": "bench",
            "image_long_side": long_side,
        }
    )
    frames = [Frame(encode_jpeg(render("healthy", t, width, height)), t, 1.7e9 + t) for t in (0.0, 10.0, 20.0)]
    preview = small_png(drawn_part(300))
    analyser = make_analyser(
        config,
        SystemClock(),
        DailySpend(),
        job=lambda: {**PRINT, "preview": briefed} if briefed else {},
        preview=lambda: preview if briefed else None,
    )
    answer = analyser.check_bed(frames[-1]) if bed else analyser(frames[-images:], quick)
    return answer.input_tokens, answer.output_tokens


def calls_per_hour(policy: str = "failwatch", fp: float = 0.0, hours: float = HOURS, **settings) -> Counter:
    """Model calls per hour by kind (quick / series / verification): the baseline policy or the engine."""
    truth = Truth(fp=fp, random_seed=3)
    calls: Counter = Counter()
    if policy == "baseline":
        baseline_policy(truth, 3.0, hours * 3600, calls)
    else:
        failwatch(truth, 3.0, hours * 3600, calls=calls, step=0.5, **settings)
    return Counter({kind: count / hours for kind, count in calls.items()})


def dollars(calls: Counter, per_kind: dict, model: str = "nova-lite") -> float:
    """$/h for calls per hour by kind; a kind without its own tokens (verification) costs what a series does."""
    price_in, price_out = dict(PRICES_PER_1K)[model]
    total = 0.0
    for kind, count in calls.items():
        tokens_in, tokens_out = per_kind.get(kind) or per_kind["series"]
        total += count * (tokens_in * price_in + tokens_out * price_out) / 1000
    return total


def main() -> None:
    server = ModelServer().start()
    try:
        baseline_series = tokens_per_call(server, 0)
        bare_series = tokens_per_call(server, 768)
        series = tokens_per_call(server, 768, briefed=True)
        quick = tokens_per_call(server, 768, images=1, quick=True)
        bed = tokens_per_call(server, 768, bed=True)
    finally:
        server.stop()
    policies = {
        "baseline": ("baseline", {}, {"series": baseline_series}),
        "failwatch": ("failwatch", {}, {"quick": quick, "series": series}),
        "fw quick_check off": ("failwatch", {"quick_check": False}, {"series": series}),
    }
    print(
        "Tokens per call (in / out), 1080p demo frames: "
        f"baseline series (full size, 3 images) {baseline_series[0]} / {baseline_series[1]}; "
        f"series at 768 px {bare_series[0]} / {bare_series[1]}, with the slicer's preview and the print's context "
        f"{series[0]} / {series[1]}; quick check (1 image, short question) {quick[0]} / {quick[1]}; "
        f"bed check (1 image, once a print) {bed[0]} / {bed[1]}\n"
    )
    price_in, price_out = dict(PRICES_PER_1K)["nova-lite"]
    print(f"The bed check costs ${(bed[0] * price_in + bed[1] * price_out) / 1000:.5f} a print on Nova Lite\n")
    print(f"Model cost per monitored print-hour (3 s latency, {HOURS:g} simulated hours each)\n")
    print(
        f"{'policy':<20}{'false pos.':>11}{'calls/h: quick':>16}{'series':>8}{'verif.':>8}{'in tok/h':>10}"
        + "".join(f"{m + ' $/h':>17}" for m in MODELS)
        + f"{'vs baseline':>12}"
    )
    baseline_cost = {}
    for fp in (0.0, 0.05):
        for name, (policy, settings, per_kind) in policies.items():
            calls = calls_per_hour(policy, fp, **settings)
            tokens_in = sum(count * (per_kind.get(kind) or per_kind["series"])[0] for kind, count in calls.items())
            costs = [dollars(calls, per_kind, model) for model in MODELS]
            baseline_cost.setdefault(fp, costs[0])
            print(
                f"{name:<20}{fp:>11.0%}{calls['quick']:>16.0f}{calls['series']:>8.0f}{calls['verification']:>8.1f}"
                f"{tokens_in:>10.0f}" + "".join(f"{c:>17.4f}" for c in costs) + f"{costs[0] / baseline_cost[fp]:>12.2f}"
            )


if __name__ == "__main__":
    main()
