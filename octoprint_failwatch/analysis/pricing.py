"""What a model call costs: on-demand prices per 1K tokens by model family, overridable in the settings."""

from __future__ import annotations

from typing import Optional

# (input, output) USD per 1K tokens, Bedrock on-demand; the first family found in the model id wins
PRICES_PER_1K: tuple[tuple[str, tuple[float, float]], ...] = (
    ("nova-micro", (0.000035, 0.00014)),
    ("nova-lite", (0.00006, 0.00024)),
    ("nova-pro", (0.0008, 0.0032)),
    ("nova-premier", (0.0025, 0.0125)),
    ("claude-3-haiku", (0.00025, 0.00125)),
    ("claude-3-5-haiku", (0.0008, 0.004)),
    ("claude-haiku-4", (0.001, 0.005)),
    ("sonnet", (0.003, 0.015)),
    ("opus", (0.015, 0.075)),
)


def price_per_1k(
    model: str, input_override: float = 0.0, output_override: float = 0.0
) -> Optional[tuple[float, float]]:
    """(input, output) price, or None when the model is unknown and no override is set (cost shown as unknown)."""
    if input_override or output_override:
        return input_override, output_override
    model = model.lower()
    for family, prices in PRICES_PER_1K:
        if family in model:
            return prices
    return None


def cost_usd(prices: Optional[tuple[float, float]], input_tokens: int, output_tokens: int) -> float:
    if prices is None:
        return 0.0
    return input_tokens / 1000 * prices[0] + output_tokens / 1000 * prices[1]
