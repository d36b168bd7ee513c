"""Messages: small immutable records that cross the simulated network."""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["COORDINATOR", "Message", "MessageKind"]

COORDINATOR = -1
"""Sender id of the protocol's coordinator, which is not one of the agents."""


class MessageKind:
    """Names of message kinds (plain strings keep messages cheap and JSON-friendly)."""

    INIT = "init"
    STATE = "state"
    AUDIT = "audit"
    NOTICE = "notice"


class Message(NamedTuple):
    """One message: who sent it to whom, what kind, at which level, and when."""

    sender: int
    receiver: int
    kind: str
    level: int
    payload: Any
    time: float
