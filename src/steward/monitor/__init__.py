"""The monitor: scheduled checks of closed windows, alert rules, notifications and actions.

Alerting lives in :mod:`steward.monitor.rules` (pure rule evaluation and the alert state
machine), :mod:`steward.monitor.alerts` (alert state in the store, silences, the outbox),
:mod:`steward.monitor.outbox` (delivery with retries) and :mod:`steward.monitor.notify`
(one module per route type).
"""
