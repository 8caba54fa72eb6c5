"""The event center: what happened on the appliance, and who is told.

``raise_event`` records an event wherever it is noticed; the agent's
dispatcher sends the e-mail and webhook notifications. See docs/events.md.
"""

from agent.events import catalogue
from agent.events.record import raise_event

__all__ = ["catalogue", "raise_event"]
