"""Model cost per monitored print-hour: the seed's policy (full-size frames) vs Failwatch's defaults.

Tokens per call are measured: real boto3 sends the demo scene's frames to the local Converse server,
whose `usage` counts image tokens like Claude (width x height / 750, capped at 1600 per image; Nova
counts differently, so treat the dollar figures as relative). Calls per hour on a healthy print with
3 s model latency come from the seed's policy (bench/latency.py: the next series starts right after
the verdict) and from Failwatch's engine on a simulated clock.
Run: make bench   (or .venv/bin/python -m bench.cost)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench.latency import Truth, failwatch, seed_policy  # noqa: E402
from demo.model_server import ModelServer  # noqa: E402
from demo.scene import encode_jpeg, render  # noqa: E402
from octoprint_failwatch.analysis import Analyser, DailySpend, make_backend  # noqa: E402
from octoprint_failwatch.config import build_config  # noqa: E402
from octoprint_failwatch.frame import Frame  # noqa: E402
from octoprint_failwatch.monitor import SystemClock  # noqa: E402
from octoprint_failwatch.pricing import PRICES_PER_1K  # noqa: E402

MODELS = ("nova-lite", "nova-pro", "nova-premier")
HOUR = 3600.0


def tokens_per_call(server: ModelServer, width: int, height: int, long_side: int, images: int = 3) -> tuple[int, int]:
    config, _ = build_config({
        "inference_profile_arn": "us.amazon.nova-lite-v1:0", "bedrock_endpoint_url": server.url,
        "aws_access_key_id": "AKIABENCH", "aws_secret_access_key": "bench", "image_long_side": long_side,
    })
    frames = [Frame(encode_jpeg(render("healthy", t, width, height)), t, 1.7e9 + t) for t in (0.0, 10.0, 20.0)]
    frames = frames[-images:]
    verdict = Analyser(config, make_backend(config, SystemClock()), DailySpend())(frames)
    return verdict.input_tokens, verdict.output_tokens


def seed_calls_per_hour() -> float:
    truth = Truth()
    seed_policy(truth, 3.0, HOUR)
    return truth.calls


def failwatch_calls_per_hour(**settings) -> float:
    truth = Truth()
    failwatch(truth, 3.0, HOUR, **settings)
    return truth.calls


def main() -> None:
    server = ModelServer().start()
    try:
        small = tokens_per_call(server, 1920, 1080, 768)
        policies = {
            "seed (1080p frames)": (tokens_per_call(server, 1920, 1080, 0), seed_calls_per_hour()),
            "failwatch (768 px)": (small, failwatch_calls_per_hour()),
            "failwatch + sliding": (small, failwatch_calls_per_hour(sliding_window=True)),
            "failwatch + sliding-1": (tokens_per_call(server, 1920, 1080, 768, images=1),
                                      failwatch_calls_per_hour(sliding_window=True, sliding_window_images=1)),
        }
    finally:
        server.stop()
    prices = dict(PRICES_PER_1K)
    print("Model cost per monitored print-hour (healthy print, 3 s latency; sliding-1 sends 1 image per call)\n")
    header = f"{'policy':<22}{'in tok/call':>12}{'calls/h':>9}{'in tok/h':>11}" + "".join(
        f"{m + ' $/h':>17}" for m in MODELS)
    print(header)
    costs = {}
    for name, ((tokens_in, tokens_out), calls) in policies.items():
        row = [tokens_in * calls / 1000 * prices[m][0] + tokens_out * calls / 1000 * prices[m][1] for m in MODELS]
        costs[name] = row
        print(f"{name:<22}{tokens_in:>12}{calls:>9.0f}{tokens_in * calls:>11.0f}" + "".join(f"{c:>17.4f}" for c in row))
    seed = costs["seed (1080p frames)"][0]
    for name in list(costs)[1:]:
        print(f"ratio {name} / seed: {costs[name][0] / seed:.2f}")


if __name__ == "__main__":
    main()
