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
        "reopened": "of those, reopened at least once because the citizen wrote again soon "
        "after the resolution",
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
# equal aliases on /stats/queues: the names these figures had there while the keys below
# meant something else (tickets first answered in the range, calendar from release)
FIGURE_ALIASES = {"answered": "responded", "sla_attainment_business": "sla_attainment"}

STATS_SCHEMAS: dict[str, Any] = {
    "QueueStats": {
        "type": "object",
        "description": "The board's live figures of the queue and the figures page's figures "
        "over tickets CREATED in the range: the same definitions and numbers as the dashboard, "
        "figures.csv and /metrics (pandawa.reports.definitions).",
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
                "description": "calendar seconds since the first waiting ticket (in claim "
                "order) was created; the board's and /metrics' oldest wait",
            },
            "oldest_wait_business_seconds": {
                "type": ["integer", "null"],
                "description": "the same wait in business seconds (office open time): the "
                "board's headline oldest wait",
            },
            "agents_online": {"type": "integer", "description": "the board's agents online"},
            "wait_p50_seconds": {
                **_SECONDS,
                "description": "= wait_business_p50: the figures page's wait to first response",
            },
            "wait_p90_seconds": {**_SECONDS, "description": "= wait_business_p90"},
            "sla_seconds": {"type": "integer"},
            **FIGURE_PROPERTIES,
            **{
                alias: {**FIGURE_PROPERTIES[name], "description": f"= {name}"}
                for alias, name in FIGURE_ALIASES.items()
            },
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
                "description": "The board's live figures (waiting, deferred, assigned, "
                "oldest waits, agents online) and the dashboard's figures over tickets CREATED "
                "in the range (wait_p50_seconds and wait_p90_seconds are wait_business_p50 and "
                "_p90, the business-time wait to first response): the same numbers as the "
                "figures page, figures.csv and /metrics.",
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
