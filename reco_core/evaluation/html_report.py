"""`reco eval --report report.html`: the evaluation or the comparison as one self-contained HTML file.

People who tune the system would rather look than read JSON. The file embeds everything: inline
CSS, charts drawn here as inline SVG, no script, no font, no link to anything, so it opens from a
mail attachment or an artifact store on a machine without network. It is rendered from the
JSON-ready dicts (EvalReport.to_dict(), Comparison.to_dict()), like the text tables of report.py:
the numbers in the page are the numbers of `--out`, printed with 4 decimals, and every cell
carries the exact value in `data-value` for programs.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from reco_core.evaluation.metrics import HIT, METRICS, MRR, RECALL
from reco_core.fsutil import atomic_path

# Metrics charted per group (recall_plain stays in the tables: it moves with recall).
CHARTED: tuple[str, ...] = (HIT, RECALL, MRR)
RUNS = ("candidate", "reference")
GROUPS = (("by_m", "basket size m (items given)"), ("by_profession", "profession of the order"))
PALETTE = ("#0b6e99", "#9aa5b1", "#e0a526", "#6c8e3c", "#8d5b9e", "#c2410c", "#3e7cb1", "#5c6770")
CHART_WIDTH, LABEL_WIDTH, BAR_HEIGHT, ROW_GAP, LEGEND_ROW = 480, 100, 10, 8, 16

CSS = """
body { margin: 24px auto; max-width: 1040px; padding: 0 16px; color: #1f2933;
       font: 14px/1.45 system-ui, "DejaVu Sans", sans-serif; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
h3 { font-size: 14px; margin: 16px 0 4px; }
.muted { color: #66788a; } .warning { background: #fdecea; color: #8a1c1c; padding: 8px 12px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #d9e2ec; padding: 3px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { background: #f5f7fa; }
tr.main td { font-weight: 600; }
.pair { display: flex; flex-wrap: wrap; gap: 8px 28px; align-items: flex-start; }
.up { background: #e3f4e1; color: #1e6b1e; } .down { background: #fdecea; color: #a32020; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: bold; }
.pass { background: #2f855a; } .fail { background: #c53030; }
svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: #1f2933; }
"""


def write_report(data: dict, path: Path | str) -> None:
    """Write the HTML of an evaluation or a comparison dict to `path`, atomically.

    An evaluation dict may carry `gate` ({"verdict", "rule"}): the Airflow gate's verdict on a
    first run, shown on top like a comparison's.
    """
    page = comparison_html(data) if "verdict" in data else evaluation_html(data)
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")


def evaluation_html(report: dict) -> str:
    """Methods side by side: overall, lift over the best baseline, per basket size, per profession."""
    k, methods = report["protocol"]["k"], report["methods"]
    keys = [f"{name}@{k}" for name in METRICS]
    body = [_header(f"Evaluation of {report['run']['run_id']}", report, report["warnings"])]
    if gate := report.get("gate"):  # the gate's verdict on a first run (reco_core/gate.py)
        body.append(_verdict(gate["verdict"], gate["rule"]))
    body.append("<h2>Overall</h2>")
    rows = [
        _row(
            name,
            [(m["overall"][key], {"method": name, "metric": key}) for key in keys],
            main=name == "ranker",
        )
        + f"<td>{m['seconds']:.1f}</td></tr>"
        for name, m in methods.items()
    ]
    charted = [f"{m}@{k}" for m in CHARTED]
    chart = [(name, [m["overall"][key] for key in charted]) for name, m in methods.items()]
    body.append(
        _pair(_table(["method", *keys, "seconds"], rows, "overall"), _bar_chart("overall", charted, chart))
    )
    for title, name, anchor in (
        ("Ranker against the best baseline of each metric", "lift_over_best_baseline", "lift"),
        (
            "Ranker against the best co-purchase baseline under the same substitute rules",
            "lift_under_substitute_rules",
            "lift-rules",
        ),
    ):
        if lift := report.get(name):
            body.append(f"<h3>{title}</h3>")
            rows = [
                f"<tr><td>{escape(key)}</td>{_num(v['ranker'])}<td>{escape(v['best_baseline'])}</td>"
                f"{_num(v['baseline'])}{_change(v['relative'])}</tr>"
                for key, v in lift.items()
            ]
            body.append(_table(["metric", "ranker", "best baseline", "its value", "lift"], rows, anchor))
    for group, title in GROUPS:
        columns = [(name, {"method": name}, m[group]) for name, m in methods.items()]
        body += _by_group(group, title, k, columns)
    body += _lists(methods, report.get("substitutes"))
    timings = ", ".join(f"{escape(name)} {s:.1f} s" for name, s in report["timings_s"].items())
    body.append(f'<p class="muted">timings: {timings}</p>')
    return _page(f"reco eval {report['run']['run_id']}", body)


def _lists(methods: dict, substitutes: dict | None) -> list[str]:
    """What the lists hold (own-brand share, gammes, coverage, substitute rates), per method, and
    the run's substitute table against the demo's planted twins when the report has it."""
    keys = [
        key
        for key in next(iter(methods.values()), {}).get("lists", {})
        if all(key in m.get("lists", {}) for m in methods.values())
    ]
    if not keys:
        return []
    rows = [
        _row(
            name,
            [(m["lists"][key], {"method": name, "metric": key, "group": "lists"}) for key in keys],
            main=name == "ranker",
        )
        + "</tr>"
        for name, m in methods.items()
    ]
    out = ["<h2>What the lists hold</h2>", _table(["method", *keys], rows, "lists")]
    if substitutes:
        facts = ", ".join(
            f"{escape(key)} {value:.4f}"
            if isinstance(value, float)
            else f"{escape(key)} {escape(str(value))}"
            for key, value in substitutes.items()
        )
        out.append(
            f'<p data-substitutes="twins">the run\'s substitute table against the planted twins: {facts}</p>'
        )
    return out


def comparison_html(comparison: dict) -> str:
    """Candidate and reference side by side, changes highlighted, the gate's verdict on top."""
    cand, ref = comparison["candidate"]["run_id"], comparison["reference"]["run_id"]
    verdict, metrics = comparison["verdict"], comparison["metrics"]
    body = [
        _header(f"Candidate {cand} against reference {ref}", comparison, comparison["leakage"]["warnings"]),
        _verdict(verdict, comparison["rule"]),
        "<h2>Overall</h2>",
    ]
    rows = [
        _row(key, [(m[run], {"run": run, "metric": key}) for run in RUNS])
        + f"{_change(m['relative_change'])}<td>{_gate_state(m)}</td></tr>"
        for key, m in metrics.items()
    ]
    chart = [(run, [m[run] for m in metrics.values()]) for run in RUNS]
    table = _table(["metric", *RUNS, "change", "gate"], rows, "overall")
    body.append(_pair(table, _bar_chart("overall", list(metrics), chart)))
    for group, title in GROUPS:
        if runs := comparison.get("groups", {}).get(group):  # absent from documents written before
            body += _by_group(
                group, title, comparison["protocol"]["k"], [(r, {"run": r}, runs[r]) for r in RUNS]
            )
    return _page(f"reco eval --compare {cand} {ref}", body)


def _verdict(verdict: str, rule: str) -> str:
    return (
        f'<p>Verdict: <span class="verdict {escape(verdict)}" data-verdict="{escape(verdict)}">'
        f'{escape(verdict.upper())}</span> <span class="muted">({escape(rule)})</span></p>'
    )


def _gate_state(metric: dict) -> str:
    return ("pass" if metric["passed"] else "FAIL") if metric["gated"] else "not gated"


def _by_group(
    group: str, title: str, k: int, columns: Sequence[tuple[str, dict[str, str], dict]]
) -> list[str]:
    """A table and a chart per charted metric, one row per group value, one column per method or run.

    `columns`: (header, data attributes naming it, {group value: metrics}). With two columns (a
    comparison), a last column gives the first's change relative to the second.
    """
    values = sorted(columns[0][2], key=_group_order)
    changes = len(columns) == 2 and "run" in columns[0][1]
    headers = [group.removeprefix("by_"), "n", *(header for header, _, _ in columns)]
    out = [f"<h2>By {escape(title)}</h2>"]
    for metric in CHARTED:
        key = f"{metric}@{k}"
        rows = []
        for value in values:
            numbers = [data[value][key] for _, _, data in columns]
            cells = [
                (v, attrs | {"metric": key, "group": value})
                for v, (_, attrs, _) in zip(numbers, columns, strict=True)
            ]
            change = _change(numbers[0] / numbers[1] - 1.0 if numbers[1] > 0 else None) if changes else ""
            rows.append(_row(value, cells, n=columns[0][2][value]["n"]) + change + "</tr>")
        chart = [(header, [data[v][key] for v in values]) for header, _, data in columns]
        out.append(f"<h3>{escape(key)}</h3>")
        table = _table([*headers, *(["change"] if changes else [])], rows, f"{group}-{key}")
        out.append(_pair(table, _bar_chart(f"{group}-{key}", values, chart)))
    return out


def _page(title: str, body: Sequence[str]) -> str:
    return (
        f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{escape(title)}</title>\n'
        f"<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _header(title: str, data: dict, warnings: Sequence[str]) -> str:
    protocol, samples = data["protocol"], data["samples"]
    lines = [f"<h1>{escape(title)}</h1>"]
    lines += [f'<p class="warning">{escape(w)}</p>' for w in warnings]
    lines.append(
        f'<p class="muted">profile {escape(data["profile"])} · mode {escape(protocol["mode"])} · '
        f"K={protocol['k']} · {samples['n']:,} samples from {samples['distinct_orders']:,} orders · "
        f"m={protocol['basket_m']}..{protocol['max_basket_m']} · seed {protocol['seed']}<br>"
        f"recall@K = found / {escape(protocol['recall_denominator'])}; "
        f"recall_plain@K = found / {escape(protocol['recall_plain_denominator'])}</p>"
    )
    return "\n".join(lines)


def _group_order(value: str) -> tuple[int, int | str]:
    """Basket sizes in numeric order ("10" after "9"), professions alphabetically."""
    return (0, int(value)) if value.isdigit() else (1, value)


def _num(value: float, attrs: dict[str, str] | None = None) -> str:
    data = "".join(f' data-{name}="{escape(str(v))}"' for name, v in (attrs or {}).items())
    return f'<td data-value="{value!r}"{data}>{value:.4f}</td>'


def _row(
    first: str, cells: Sequence[tuple[float, dict[str, str]]], *, n: int | None = None, main: bool = False
) -> str:
    """`<tr>` opened with the label (and the sample count), the numeric cells; the caller closes it."""
    count = "" if n is None else f"<td>{n:,}</td>"
    return f"<tr{' class=main' if main else ''}><td>{escape(first)}</td>{count}" + "".join(
        _num(value, attrs) for value, attrs in cells
    )


def _change(relative: float | None) -> str:
    """A relative change, green when up, red when down (a change under 0.05 % is left plain)."""
    if relative is None:
        return "<td>n/a</td>"
    tone = "up" if relative > 5e-4 else "down" if relative < -5e-4 else ""
    return f'<td class="{tone}" data-value="{relative!r}">{relative:+.1%}</td>'


def _table(headers: Sequence[str], rows: Sequence[str], name: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return (
        f'<table data-table="{escape(name)}"><thead><tr>{head}</tr></thead><tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table>"
    )


def _bar_chart(name: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]) -> str:
    """Horizontal grouped bars: one group per category, one bar per series, the value at its end.

    One scale for the whole chart (its largest value), so bars compare across groups. The legend
    wraps onto as many rows as the series names need (their width estimated at 7 px a letter).
    """
    legend, x, row = [], LABEL_WIDTH, 0
    for s, (label, _) in enumerate(series):
        width = 14 + 7 * len(label) + 12
        if x + width > CHART_WIDTH and x > LABEL_WIDTH:
            x, row = LABEL_WIDTH, row + 1
        y = 3 + row * LEGEND_ROW
        legend.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{PALETTE[s % len(PALETTE)]}"/>'
            f'<text x="{x + 14}" y="{y + 9}">{escape(label)}</text>'
        )
        x += width
    legend_height = (row + 1) * LEGEND_ROW + 4
    group_height = len(series) * BAR_HEIGHT + ROW_GAP
    height = legend_height + len(categories) * group_height
    plot = CHART_WIDTH - LABEL_WIDTH - 44
    top = max([v for _, values in series for v in values] + [1e-9])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{height}" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" role="img" data-chart="{escape(name)}">',
        *legend,
    ]
    for c, category in enumerate(categories):
        y0 = legend_height + c * group_height
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y0 + (group_height - ROW_GAP) / 2}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(category)}</text>'
        )
        for s, (label, values) in enumerate(series):
            value = values[c]
            width = plot * value / top
            y = y0 + s * BAR_HEIGHT
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT - 2}" '
                f'fill="{PALETTE[s % len(PALETTE)]}" data-value="{value!r}">'
                f"<title>{escape(label)} {escape(category)}: {value:.4f}</title></rect>"
                f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + BAR_HEIGHT - 2}">{value:.3f}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _pair(table: str, chart: str) -> str:
    """A table and its chart side by side (stacked on a narrow window)."""
    return f'<div class="pair">{table}{chart}</div>'
