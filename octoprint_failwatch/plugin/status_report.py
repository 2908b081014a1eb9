"""What the navbar, the tab, the settings page and the API show: the print's watch with the plugin's own figures,
and what the user may do now — the browser's buttons follow `can_*`, it does not re-derive them."""

from __future__ import annotations

from typing import Optional

from .. import config as cfg
from ..engine.status import State, idle_status
from ..session.session import Session
from ..sources import describe_source


def report(
    watch: dict,
    config: cfg.FailwatchConfig,
    now: float,
    *,
    settings_errors: dict[str, str],
    failure: Optional[dict],
    **shown,
) -> dict:
    """`watch` is the engine's status (or the idle one), `failure` the notice on show; `shown` goes in as it is
    (spend, the last save, Test now, the detector, the alert channels...)."""
    status = dict(watch)
    idle = status["state"] == State.IDLE.value
    if config.test_mode and idle:
        status["message"] = "test mode: monitoring runs only when you press Test now"
    if config.not_ready() and idle:
        status.update(state=State.NOT_CONFIGURED.value, message=config.not_ready())
    hours = (now - status["watching_since"]) / 3600 if status.get("watching_since") else 0
    awaiting = failure is not None and not status["acknowledged"]
    status.update(
        cost_per_hour=status["counters"]["cost_usd"] / hours if hours > 0.01 else None,
        model=config.model_name,
        action=config.failure_action,
        min_failure_confidence=config.min_failure_confidence,
        settings_errors=dict(settings_errors),
        settings_messages=cfg.describe_errors(settings_errors),
        last_failure=failure,
        can_acknowledge=awaiting,  # the failure on show waits for the user
        can_dismiss=failure is not None and bool(failure.get("incident")) and not failure.get("test_run"),
        **shown,
    )
    return status


def of_session(session: Session, now: float, **shown) -> dict:
    """The report of a session's watch, with its spend, Test now, detector and alert channels."""
    config = session.config
    return report(
        session.watch.status() or idle_status(),
        config,
        now,
        failure=session.notice.current,
        spent_today=session.spend.today(),
        daily_budget=config.daily_budget_usd,
        camera=describe_source(config),
        test=session.check_now.result,
        bed_check=session.bed_check.result,
        detector=session.detector.status(),
        alerts=session.channels.status(),
        **shown,
    )
