"""Readable tables of an evaluation or a comparison, and their JSON.

Tables are rendered from the JSON-ready dicts (EvalReport.to_dict(), Comparison.to_dict()), so
what a person reads on stdout and what a job reads from --out are the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from reco_core.evaluation import metrics as M
from reco_core.evaluation.metrics import METRICS
from reco_core.fsutil import atomic_path


def write_json(data: dict, path: Path | str) -> None:
    """Write `data` to `path` atomically (a reader never sees half a report)."""
    with atomic_path(path) as tmp:
        tmp.write_text(to_json(data), encoding="utf-8")


def to_json(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table: first column left-aligned, the others right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(_align(str(h), w, i) for i, (h, w) in enumerate(zip(headers, widths, strict=True)))]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(_align(c, w, i) for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in cells
    ]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "-" if value is None else str(value)


def _align(text: str, width: int, column: int) -> str:
    return text.ljust(width) if column == 0 else text.rjust(width)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1%}"


def _lift_lines(lift: dict, behind: str) -> list[str]:
    return [
        f"  {key:<16} {v['ranker']:.4f} vs {v['baseline']:.4f} ({v['best_baseline']}): "
        f"{_percent(v['relative'])}{'' if v['ranker_beats_all'] else behind}"
        for key, v in lift.items()
    ]


def format_evaluation(report: dict) -> str:
    """The evaluation report as text: methods x metrics, lift, per basket size, per profession."""
    protocol, k = report["protocol"], report["protocol"]["k"]
    keys = [f"{name}@{k}" for name in METRICS]
    methods = report["methods"]
    out = [f"!!! {w}" for w in report["warnings"]]
    out += [
        f"run {report['run']['run_id']}  profile {report['profile']}  mode {protocol['mode']}  K={k}",
        f"orders {report['ventes']['path']} ({report['ventes']['orders']:,} rows); "
        f"{report['samples']['n']:,} samples from {report['samples']['distinct_orders']:,} orders, "
        f"m={protocol['basket_m']}..{protocol['max_basket_m']}, seed {protocol['seed']}",
        f"recall@{k} = found / {protocol['recall_denominator']}; "
        f"recall_plain@{k} = found / {protocol['recall_plain_denominator']}",
        "",
        table(
            ["method", *keys, "seconds"],
            [[name, *(m["overall"][key] for key in keys), m["seconds"]] for name, m in methods.items()],
        ),
    ]
    if all("lists" in m for m in methods.values()):
        names = (M.OWN_BRAND_SHARE, M.DISTINCT_GAMMES, M.COVERAGE)
        out += ["", "what the lists hold (business policies):"]
        out.append(
            table(["method", *names], [[n, *(m["lists"][x] for x in names)] for n, m in methods.items()])
        )
        rates = [
            x
            for x in (
                M.BASKET_SUBSTITUTE_RATE,
                M.MUTUAL_SUBSTITUTE_RATE,
                M.BASKET_TWIN_RATE,
                M.MUTUAL_TWIN_RATE,
            )
            if all(x in m["lists"] for m in methods.values())
        ]
        if rates:
            out += [
                "",
                "substitutes in the lists (share of lists; twin = the demo's planted own-brand twins):",
            ]
            out.append(
                table(["method", *rates], [[n, *(m["lists"][x] for x in rates)] for n, m in methods.items()])
            )
    if found := report.get("substitutes"):
        out += ["", "the run's substitute table against the planted twins (--twins):"]
        out.append(
            "  "
            + ", ".join(
                f"{key} {value:.4f}" if isinstance(value, float) else f"{key} {value}"
                for key, value in found.items()
            )
        )
    if cost := report.get("controls"):
        from reco_core.evaluation.controls_cost import format_controls

        out += format_controls(cost)
    if lift := report["lift_over_best_baseline"]:
        out += ["", "ranker vs the best baseline of each metric:", *_lift_lines(lift, "  <- NOT beaten")]
    if ruled := report.get("lift_under_substitute_rules"):
        out += [
            "",
            "ranker vs the best co-purchase baseline under the same substitute rules (its lists may not",
            "hold two substitutes either; what the rules cost is the gap between the two lifts):",
            *_lift_lines(ruled, "  <- behind"),
        ]
    hit, mrr = keys[0], keys[-1]
    for title, group in (("m (given items)", "by_m"), ("profession", "by_profession")):
        names = list(methods)
        groups = sorted(methods[names[0]][group])
        out += ["", f"{hit} / {mrr} by {title}:"]
        out.append(
            table(
                [title.split()[0], "n", *names],
                [
                    [g, methods[names[0]][group][g]["n"]]
                    + [f"{methods[n][group][g][hit]:.3f}/{methods[n][group][g][mrr]:.3f}" for n in names]
                    for g in groups
                ],
            )
        )
    if fit := methods.get("ease", {}).get("fit"):
        grid = ", ".join(f"{lam}: {v['hit']:.3f}" for lam, v in fit["grid"].items())
        out += [
            "",
            f"EASE: lambda {fit['lambda']:g} on {fit['items']:,} items, validation hit@{k} {{{grid}}}, "
            f"fit {fit['seconds']:.1f} s (not in the timings above)",
        ]
    timings = ", ".join(f"{name} {s:.1f} s" for name, s in report["timings_s"].items())
    out += ["", f"timings: {timings}"]
    return "\n".join(out)


def format_comparison(comparison: dict) -> str:
    metrics = comparison["metrics"]
    rows = [
        [
            key,
            m["candidate"],
            m["reference"],
            _percent(m["relative_change"]),
            "yes" if m["gated"] else "no",
            ("pass" if m["passed"] else "FAIL") if m["gated"] else "",
        ]
        for key, m in metrics.items()
    ]
    out = [f"!!! {w}" for w in comparison["leakage"]["warnings"]]
    out += [
        f"candidate {comparison['candidate']['run_id']}  vs  reference {comparison['reference']['run_id']}",
        f"profile {comparison['profile']}  mode {comparison['protocol']['mode']}  "
        f"{comparison['samples']['n']:,} samples, seed {comparison['protocol']['seed']}",
        "",
        table(["metric", "candidate", "reference", "change", "gated", "verdict"], rows),
        "",
        f"verdict: {comparison['verdict'].upper()} ({comparison['rule']})",
    ]
    return "\n".join(out)
