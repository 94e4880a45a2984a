"""The stats part of the API's OpenAPI document: /stats/queues and /stats/agents and their
schemas (the dashboard's figures, pandawa.reports.figures), merged by pandawa.api.openapi."""

from __future__ import annotations

from typing import Any

_SECONDS = {"type": ["number", "null"], "description": "seconds; null when no ticket has it"}


def _figure_properties() -> dict[str, Any]:
    """The dashboard's figures over tickets CREATED in the range (pandawa.reports.figures)."""
    counts = {
        "created": "tickets created in the range",
        "resolved": "of those, resolved",
        "cancelled": "of those, cancelled",
        "transferred": "of those, moved to another queue at least once",
        "responded": "of those, with a first response",
        "sla_met": "first response within the queue's SLA target, in business time",
        "sla_counted": "answered tickets plus unanswered ones past the SLA target",
        "satisfaction_count": "1-5 ratings given",
    }
    props: dict[str, Any] = {k: {"type": "integer", "description": d} for k, d in counts.items()}
    for measure, meaning in (
        ("wait_business", "created to first response, counting only office open time"),
        ("wait_calendar", "created to first response, calendar time"),
        ("handle", "first response to resolution"),
        ("resolution", "created to resolution"),
    ):
        for stat in ("p50", "p90", "avg"):
            props[f"{measure}_{stat}"] = {
                **_SECONDS,
                "description": f"{meaning}: {stat} (percentile_cont, linear interpolation)"
                if stat != "avg"
                else f"{meaning}: mean",
            }
    props["sla_attainment"] = {
        "type": ["number", "null"],
        "minimum": 0,
        "maximum": 1,
        "description": "sla_met / sla_counted (4 decimals); null when nothing counted",
    }
    props["satisfaction_avg"] = {"type": ["number", "null"], "minimum": 1, "maximum": 5}
    return props


FIGURE_PROPERTIES = _figure_properties()
# /stats/queues already had `responded` and `sla_attainment` (tickets first answered in the
# range); there the created-range figures of the same names are `answered` and
# `sla_attainment_business`
FIGURE_RENAMES = {"responded": "answered", "sla_attainment": "sla_attainment_business"}

STATS_SCHEMAS: dict[str, Any] = {
    "QueueStats": {
        "type": "object",
        "required": [
            "queue",
            "waiting",
            "deferred",
            "assigned",
            "oldest_wait_seconds",
            "wait_p50_seconds",
            "wait_p90_seconds",
            "sla_attainment",
        ],
        "properties": {
            "queue": {"type": "string"},
            "waiting": {"type": "integer"},
            "deferred": {"type": "integer"},
            "assigned": {"type": "integer"},
            "oldest_wait_seconds": {
                "type": ["integer", "null"],
                "description": "calendar seconds since the oldest waiting ticket entered the queue",
            },
            "wait_p50_seconds": {"type": ["number", "null"]},
            "wait_p90_seconds": {"type": ["number", "null"]},
            "sla_attainment": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 1,
                "description": "share of first responses within the queue's "
                "SLA; null when none in the range",
            },
            "sla_seconds": {"type": "integer"},
            "responded": {
                "type": "integer",
                "description": "tickets first answered in the range (the samples of "
                "wait_p50_seconds/wait_p90_seconds, which are calendar seconds from release "
                "into the queue to the first reply)",
            },
            **{FIGURE_RENAMES.get(name, name): spec for name, spec in FIGURE_PROPERTIES.items()},
        },
    },
    "AgentStats": {
        "type": "object",
        "required": ["agent", "name", *FIGURE_PROPERTIES],
        "properties": {
            "agent": {"type": "string", "description": "the agent's email"},
            "name": {"type": "string"},
            **FIGURE_PROPERTIES,
        },
    },
}


STATS_PARAMETERS = [
    {
        "name": "from",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "first day (inclusive); default: the `to` day",
    },
    {
        "name": "to",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "last day (inclusive); default: today",
    },
    {
        "name": "tz",
        "in": "query",
        "schema": {"type": "string", "default": "Asia/Jakarta"},
        "description": "IANA zone the days are read in",
    },
]


def stats_paths(unauthorized, _json, _list_of, _error) -> dict[str, Any]:
    """The /stats paths, built with the API document's helpers (as hours/openapi.py does)."""
    return {
        "/stats/queues": {
            "get": {
                "summary": "Queue figures for the dashboard (an agent: their queues)",
                "description": "Live load (waiting, deferred, assigned, oldest_wait_seconds); "
                "wait_p50_seconds, wait_p90_seconds, sla_attainment and responded over tickets "
                "first ANSWERED in the range (calendar seconds from release into the queue); "
                "and the dashboard's figures over tickets CREATED in the range "
                "(wait_business_* is the business-time wait to first response).",
                "operationId": "queueStats",
                "parameters": STATS_PARAMETERS,
                "responses": {
                    "200": _json(_list_of("QueueStats"), "per queue"),
                    "400": _error("BadRequest"),
                    **unauthorized,
                },
            }
        },
        "/stats/agents": {
            "get": {
                "summary": "Per-agent figures over tickets created in the range "
                "(an agent: their own row only; supervisors and admins: every agent)",
                "operationId": "agentStats",
                "parameters": STATS_PARAMETERS,
                "responses": {
                    "200": _json(_list_of("AgentStats"), "per agent, by email"),
                    "400": _error("BadRequest"),
                    **unauthorized,
                },
            }
        },
    }
