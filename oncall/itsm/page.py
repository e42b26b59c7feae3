"""The shareable report: one self-contained HTML page with inline SVG bar charts.

No JavaScript, no CDN, no external fonts or images: the page is attached to a ticket
or mailed to a manager and must render the same offline and pass a strict content
security policy. Every value from the audit log or a triage is HTML-escaped (titles
come from alert labels, which anyone who can write an alert rule controls).
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from oncall.itsm.outcomes import ROUTES
from oncall.itsm.report import Report

COLORS = {"auto": "#2e7d32", "approved": "#1565c0", "denied": "#c62828",
          "proposed": "#9e9e9e", "alerts": "#ef6c00", "incidents": "#1565c0",
          "human": "#1565c0"}
ROUTE_LABELS = {"auto": "auto (policy, no human)", "approved": "approved by a person",
                "denied": "denied", "proposed": "proposed only (not run)"}
_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
.cards{display:flex;flex-wrap:wrap;gap:1rem}
.card{border:1px solid #ddd;border-radius:6px;padding:.8rem 1.2rem;min-width:11rem}
.card b{display:block;font-size:1.6rem}
table{border-collapse:collapse;margin-top:.5rem}
td,th{border-bottom:1px solid #eee;padding:.3rem .8rem;text-align:left;font-size:.9rem}
.note{color:#666;font-size:.85rem}
"""


def bar_chart(items: list[tuple[str, float, str]], unit: str = "", width: int = 560) -> str:
    """A horizontal bar chart as inline SVG: (label, value, colour) per bar."""
    label_w, row_h, pad = 190, 26, 6
    top = max((v for _, v, _ in items), default=0.0) or 1.0
    span = width - label_w - 70
    height = row_h * len(items) + pad
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" viewBox="0 0 {width} {height}">']
    for n, (label, value, color) in enumerate(items):
        y = pad + n * row_h
        w = max(0.0, value) / top * span
        shown = f"{value:.1f}" if isinstance(value, float) and not value.is_integer() \
            else f"{value:.0f}"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{color}"><title>{escape(label)}: {shown}{escape(unit)}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 14}" font-size="12">'
            f"{shown}{escape(unit)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: Report, title: str = "oncall operating report") -> str:
    cards = [
        ("MTTR", _minutes(report.mttr_minutes),
         f"{len(report.repair_minutes)} resolved incident(s) with a known first alert"),
        ("Autonomous resolution", _percent(report.autonomous_rate),
         f"{report.autonomous} of {len(report.resolved)} resolved"),
        ("Noise reduction", _percent(report.noise_reduction),
         f"{report.alerts} alerts -> {report.incidents_seen} incidents"),
        ("Tickets avoided", str(report.tickets_avoided),
         f"{report.tickets_opened} ticket(s) opened by oncall"),
    ]
    card_html = "".join(f'<div class="card">{escape(name)}<b>{escape(value)}</b>'
                        f'<span class="note">{escape(note)}</span></div>'
                        for name, value, note in cards)
    routes = bar_chart([(ROUTE_LABELS[r], float(report.routes[r]), COLORS[r])
                        for r in ROUTES])
    volume = bar_chart([("alerts (one ticket each)", float(report.alerts), COLORS["alerts"]),
                        ("incidents (one ticket each)", float(report.incidents_seen),
                         COLORS["incidents"])])
    ttr_items = [(r.id, m, COLORS["auto"] if r.autonomous else COLORS["human"])
                 for r in report.resolved if (m := r.minutes) is not None]
    ttr = bar_chart(ttr_items, " min") if ttr_items else '<p class="note">No incident ' \
        'with both a saved triage and a verified recovery yet.</p>'
    rows = "".join(
        f"<tr><td>{escape(r.id)}</td><td>{escape(r.title)}</td>"
        f"<td>{escape(_at(r.started_at))}</td><td>{escape(_at(r.resolved_at))}</td>"
        f"<td>{escape(_minutes(r.minutes))}</td><td>{escape(r.resolved_by or '-')}</td>"
        f"<td>{escape(r.route or '-')}</td></tr>" for r in report.incidents)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="note">{report.triages} saved triage(s), {report.audit_records} audit '
        f"record(s). Definitions: docs/itsm.md.</p>"
        f'<div class="cards">{card_html}</div>'
        f"<h2>Remediation attempts by who let them run ({report.attempts})</h2>{routes}"
        f"<h2>Alerts vs incidents</h2>{volume}"
        f"<h2>Time to verified recovery (green: autonomous)</h2>{ttr}"
        "<h2>Incidents</h2><table><tr><th>incident</th><th>title</th><th>first alert</th>"
        "<th>recovered</th><th>minutes</th><th>by</th><th>route</th></tr>"
        f"{rows}</table></body></html>\n")


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} min"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _at(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment else "-"
