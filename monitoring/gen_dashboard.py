#!/usr/bin/env python3
"""Writes grafana/piiguard-dashboard.json (run from monitoring/; the JSON is what ships).
An argument writes elsewhere (the test compares its output with the shipped file)."""
import json
import sys

SEL = 'namespace=~"$namespace", workload=~"$workload"'
RI = "$__rate_interval"
panels = []
y = 0


def panel(title, desc, exprs, kind="timeseries", w=12, h=8, unit="reqps", legend=None):
    global y
    x = 0 if not panels or panels[-1]["gridPos"]["x"] + panels[-1]["gridPos"]["w"] + w > 24 else panels[-1]["gridPos"]["x"] + panels[-1]["gridPos"]["w"]
    if x == 0 and panels:
        y = panels[-1]["gridPos"]["y"] + panels[-1]["gridPos"]["h"]
    p = {
        "id": len(panels) + 1,
        "type": kind,
        "title": title,
        "description": desc,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "expr": e,
                "legendFormat": (legend[i] if legend else "__auto"),
            }
            for i, e in enumerate(exprs)
        ],
    }
    if kind == "timeseries":
        p["options"] = {"legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull", "max"]},
                        "tooltip": {"mode": "multi"}}
    if kind == "stat":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "background"}
        p["fieldConfig"]["defaults"]["thresholds"] = {"mode": "absolute", "steps": [{"color": "green", "value": None}, {"color": "red", "value": 1}]}
    if kind == "table":
        p["options"] = {"showHeader": True}
        for t in p["targets"]:
            t["format"] = "table"
            t["instant"] = True
    panels.append(p)


panel("Blocked requests", "Requests piiguard refused (local reply, default 403) in the selected range.",
      [f'sum(increase(piiguard_requests_total{{{SEL}, decision="blocked"}}[$__range]))'], kind="stat", w=6, h=4, unit="short")
panel("Shadow: would block", "Values a shadow route would have blocked if it enforced, in the selected range.",
      [f'sum(increase(piiguard_findings_total{{{SEL}, action="shadow_block"}}[$__range]))'], kind="stat", w=6, h=4, unit="short")
panel("Uninspected bodies", "Bodies over limits.max_body_bytes or unreadable (unknown encoding, nesting too deep), in the selected range.",
      [f'sum(increase(piiguard_oversize_total{{{SEL}}}[$__range])) + sum(increase(piiguard_uninspectable_total{{{SEL}}}[$__range]))'],
      kind="stat", w=6, h=4, unit="short")
panel("Configuration errors", "Configurations the plugin rejected since each proxy started (piiguard_config_errors_total). Anything above 0: see the PiiguardConfigErrors runbook.",
      [f'sum(piiguard_config_errors_total{{{SEL}}})'], kind="stat", w=6, h=4, unit="short")
panel("Requests by decision", "Every request piiguard saw, by its overall decision: allowed (nothing found or allow), logged, redacted, blocked, shadow (a shadow route found something it would act on).",
      [f'sum by (decision) (rate(piiguard_requests_total{{{SEL}}}[{RI}]))'], legend=["{{decision}}"])
panel("Requests by route and decision", "The same, per policy route (the `name` of the route that matched; `default` when none did).",
      [f'sum by (route, decision) (rate(piiguard_requests_total{{{SEL}}}[{RI}]))'], legend=["{{route}} {{decision}}"])
panel("Blocked share by route", "Fraction of each route's requests that piiguard blocked. PiiguardBlocksSpiking fires above 5% (and more than 10 in 5 minutes).",
      [f'sum by (route) (rate(piiguard_requests_total{{{SEL}, decision="blocked"}}[{RI}])) / sum by (route) (rate(piiguard_requests_total{{{SEL}}}[{RI}]))'],
      unit="percentunit", legend=["{{route}}"])
panel("Findings by category", "Personal-data values found per second, by category (email, payment_card, national_id, ... and custom categories).",
      [f'sum by (category) (rate(piiguard_findings_total{{{SEL}}}[{RI}]))'], unit="short", legend=["{{category}}"])
panel("Findings by detector", "Values found per second, by detector (built-in detector id, custom detector id, or path_rule).",
      [f'sum by (detector) (rate(piiguard_findings_total{{{SEL}}}[{RI}]))'], unit="short", legend=["{{detector}}"])
panel("Findings by direction and action", "Where values were found (request/response) and what was done: allow, log, redact, block; shadow_redact/shadow_block on shadow routes.",
      [f'sum by (direction, action) (rate(piiguard_findings_total{{{SEL}}}[{RI}]))'], unit="short", legend=["{{direction}} {{action}}"])
panel("Shadow routes: what they would do", "Findings on shadow routes by route, category and the action the route would take if enforced.",
      [f'sum by (route, category, action) (rate(piiguard_findings_total{{{SEL}, action=~"shadow_.*"}}[{RI}]))'], unit="short",
      legend=["{{route}} {{category}} {{action}}"])
panel("Oversize bodies", "Bodies larger than limits.max_body_bytes, by route, direction and the on_oversize action applied (block: refused; allow/log: passed uninspected).",
      [f'sum by (route, direction, action) (rate(piiguard_oversize_total{{{SEL}}}[{RI}]))'], legend=["{{route}} {{direction}} {{action}}"])
panel("Uninspectable bodies", "Bodies piiguard could not read (unknown content-encoding, nesting deeper than limits.max_json_depth, broken compression), by route, direction and on_uninspectable action.",
      [f'sum by (route, direction, action) (rate(piiguard_uninspectable_total{{{SEL}}}[{RI}]))'], legend=["{{route}} {{direction}} {{action}}"])
panel("Host errors (failed closed)", "Host calls that failed (reading or writing headers or a body), by route and direction: piiguard refused those requests (503) or reset them, and audited them as host_error.",
      [f'sum by (route, direction) (rate(piiguard_host_errors_total{{{SEL}}}[{RI}]))'], legend=["{{route}} {{direction}}"])
panel("Configuration errors by workload", "Rejected configurations per workload (counter since each proxy started).",
      [f'sum by (namespace, workload) (piiguard_config_errors_total{{{SEL}}})'], unit="short", legend=["{{namespace}}/{{workload}}"])
panel("Requests by workload", "piiguard's traffic per workload (namespace/workload target labels) and decision.",
      [f'sum by (namespace, workload, decision) (rate(piiguard_requests_total{{{SEL}}}[{RI}]))'], legend=["{{namespace}}/{{workload}} {{decision}}"])
panel("Workloads missing the plugin", "Workloads labelled piiguard=enabled that serve requests but report no piiguard counter (PiiguardPluginMissing).",
      ['(sum by (namespace, workload) (rate(istio_requests_total{piiguard="enabled", reporter="destination"}[10m])) '
       'or sum by (namespace, workload) (rate(envoy_http_downstream_rq_total{piiguard="enabled"}[10m]))) > 0 '
       'unless on (namespace, workload) sum by (namespace, workload) (piiguard_requests_total)'],
      kind="table", unit="reqps")


def var(name, query, label):
    return {
        "name": name, "label": label, "type": "query",
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "definition": query, "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "sort": 1,
    }


dash = {
    "uid": "piiguard-overview",
    "title": "piiguard",
    "description": "piiguard personal-data policy: decisions, findings, blocks, uninspected traffic, configuration errors, per workload.",
    "tags": ["piiguard", "gdpr", "envoy", "istio"],
    "editable": True,
    "schemaVersion": 39,
    "version": 1,
    "time": {"from": "now-6h", "to": "now"},
    "refresh": "1m",
    "timezone": "utc",
    "graphTooltip": 1,
    "links": [],
    "annotations": {"list": [{
        "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
    "templating": {"list": [
        {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0, "refresh": 1, "regex": ""},
        var("namespace", "label_values(piiguard_requests_total, namespace)", "Namespace"),
        var("workload", 'label_values(piiguard_requests_total{namespace=~"$namespace"}, workload)', "Workload"),
    ]},
    "panels": panels,
}
with open(sys.argv[1] if len(sys.argv) > 1 else "grafana/piiguard-dashboard.json", "w") as f:
    json.dump(dash, f, indent=2)
    f.write("\n")
