"""Hostile model output: whatever comes back, the parsers give a valid verdict or an AnalysisError."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from octoprint_failwatch.analysis.bedrock import BedrockBackend
from octoprint_failwatch.analysis.verdict import AnalysisError, parse_verdict

json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True, allow_infinity=True) | st.integers() | st.text(max_size=50),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5),
    max_leaves=25,
)
verdict_like = st.fixed_dictionaries(
    {
        "print_failed": st.booleans() | st.text(max_size=5) | st.integers(),
        "confidence": st.floats(allow_nan=True, allow_infinity=True) | st.integers() | st.text(max_size=5),
        "explanation": st.text(max_size=2000) | st.none(),
    },
    optional={"failure_type": st.text(max_size=20) | st.integers()},
)


def check(verdict):
    assert isinstance(verdict.print_failed, bool)
    assert not math.isnan(verdict.confidence) and 0 <= verdict.confidence <= 1
    assert verdict.explanation.strip() and len(verdict.explanation) <= 500


@settings(max_examples=300, deadline=None)
@given(json_values | verdict_like, st.booleans())
def test_any_tool_input_is_a_valid_verdict_or_an_error(value, quick):
    try:
        verdict = parse_verdict(value, quick)
    except AnalysisError:
        return
    check(verdict)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from(["tool_use", "max_tokens", "end_turn", None]))
def test_any_converse_response_is_a_valid_verdict_or_an_error(value, stop_reason):
    responses = [
        value,
        {"stopReason": stop_reason, "output": value},
        {"stopReason": stop_reason, "output": {"message": {"content": value}}},
        {"stopReason": stop_reason, "output": {"message": {"content": [{"toolUse": value}]}}},
        {
            "stopReason": stop_reason,
            "output": {"message": {"content": [{"toolUse": {"name": "report_print_status", "input": value}}]}},
        },
    ]
    for response, quick in ((r, q) for r in responses for q in (False, True)):
        try:
            verdict = BedrockBackend.parse_response(response, quick)
        except AnalysisError:
            continue
        check(verdict)


def test_a_correct_answer_is_read_exactly():
    verdict = parse_verdict(
        {"print_failed": True, "confidence": 0.8, "failure_type": "detached", "explanation": " Part knocked over. "}
    )
    assert (verdict.print_failed, verdict.confidence, verdict.failure_type, verdict.explanation) == (
        True,
        0.8,
        "detached",
        "Part knocked over.",
    )
