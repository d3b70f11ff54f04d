"""The transition engine: executes one scheduler graph (`engine.TransitionEngine`)."""

from actors.crm.transition.engine import TransitionEngine

__all__ = ["TransitionEngine"]
