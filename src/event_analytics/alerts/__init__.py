"""Alerts that reach people: run failures, failed checks and freshness misses, once per
transition (firing, then resolved), to a JSON webhook, Slack, or the log. See docs/alerts.md.
"""

from event_analytics.alerts.message import Alert, Links
from event_analytics.alerts.notifier import Notifier
from event_analytics.alerts.state import AlertState

__all__ = ["Alert", "AlertState", "Links", "Notifier"]
