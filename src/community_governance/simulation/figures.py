"""Figures a paper can use (论文图表): bands across seeds, months on the x axis, money in 万元,
Chinese and English labels, SVG and PDF at journal widths, every varied parameter in the legend.

* :func:`plot_bands` draws city-level series of a sweep's ``series.parquet`` (one line per
  parameter combination: the mean across seeds, with a band: the 95 % confidence interval of
  the mean, Student's t, or the 2.5-97.5 % range of the seeds), dated by month.
* :func:`plot_sweep_lines` draws each metric of ``sweep.parquet`` against one swept
  parameter, with one line per combination of the *other* parameters (no zig-zag when several
  vary), or one facet per value of a second parameter.

Widths follow common journal columns: :data:`WIDTHS_MM` (84 mm single column, 174 mm double
column; Elsevier's and Springer's are within a few mm); text is 7-8 pt at that size. Money
columns (``*_fen``) are shown in 万元 (10,000 CNY), shares in %. Labels come from
:data:`METRIC_LABELS` and :data:`PARAM_LABELS` (``lang``: ``zh``, ``en`` or ``both``); keys
without a label are shown as they are.

Example::

    res = run_sweep(sc, {"staff.per_community": [6, 8]}, replicates=10, out_dir="sw",
                    series=True, freq="month")
    plot_bands(res.series, ["on_time_share", "volunteers"], "figs", width="double")
    plot_sweep_lines(res.summary, ["on_time_share"], "figs", x="staff.per_community")
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from community_governance.errors import ValidationError, require_extra
from community_governance.simulation.plots import configure_fonts
from community_governance.simulation.series import FLOWS, STOCKS
from community_governance.simulation.sweep import t_quantile_975

if TYPE_CHECKING:
    import polars as pl

__all__ = ["METRIC_LABELS", "PARAM_LABELS", "WIDTHS_MM", "city_series", "metric_label",
           "month_axis", "param_legend", "plot_bands", "plot_sweep_lines"]

#: Figure widths in millimetres: a journal's single and double column.
WIDTHS_MM = {"single": 84.0, "double": 174.0}
_MM = 1 / 25.4

#: Metric -> (Chinese, English, unit): unit ``count``, ``share`` (shown in %), ``fen``
#: (shown in 万元), ``days`` or ``score`` (0..1).
METRIC_LABELS: dict[str, tuple[str, str, str]] = {
    "participants": ("参与居民", "participants", "count"),
    "participation_rate": ("周参与率", "weekly participation", "share"),
    "participation_rate_mean": ("周参与率", "weekly participation", "share"),
    "volunteers": ("志愿者", "volunteers", "count"),
    "volunteers_mean": ("志愿者", "volunteers", "count"),
    "culture_members": ("文体组织成员", "culture-group members", "count"),
    "culture_members_mean": ("文体组织成员", "culture-group members", "count"),
    "activities": ("文体活动", "activities", "count"),
    "services": ("志愿服务", "volunteer services", "count"),
    "points_issued": ("发放积分", "points issued", "count"),
    "points_redeemed": ("兑换积分", "points redeemed", "count"),
    "redeemed_fen": ("兑换商品", "goods redeemed", "fen"),
    "supermarket_cost_fen": ("积分超市支出", "supermarket cost", "fen"),
    "cases_opened": ("受理事项", "cases opened", "count"),
    "cases_closed": ("办结事项", "cases closed", "count"),
    "backlog": ("积压事项", "case backlog", "count"),
    "backlog_end": ("年末积压事项", "backlog at the end", "count"),
    "overdue_backlog": ("超期事项", "overdue cases", "count"),
    "overdue_backlog_end": ("年末超期事项", "overdue at the end", "count"),
    "on_time_share": ("按时办结率", "closed on time", "share"),
    "mean_handling_days": ("平均办理天数", "mean handling time", "days"),
    "utilisation": ("办件负荷", "utilisation", "share"),
    "satisfaction": ("满意度", "satisfaction", "score"),
    "satisfaction_end": ("满意度", "satisfaction", "score"),
    "identification": ("认同感", "identification", "score"),
    "identification_end": ("认同感", "identification", "score"),
    "care_visits": ("走访慰问", "care visits", "count"),
    "inflow_fen": ("经费收入", "funds in", "fen"),
    "outflow_fen": ("经费支出", "funds spent", "fen"),
    "fund_office_fen": ("办公经费余额", "office fund", "fen"),
    "fund_care_fen": ("关爱基金余额", "care fund", "fen"),
    "fund_culture_fen": ("文化基金余额", "culture fund", "fen"),
    "fund_general_fen": ("其他资金余额", "general fund", "fen"),
}

#: Scenario key -> (Chinese, English).
PARAM_LABELS: dict[str, tuple[str, str]] = {
    "points.rate": ("积分标准", "points per hour"),
    "points.enabled": ("志愿积分", "points"),
    "points.point_value_fen": ("每分价值 (分)", "value of a point (fen)"),
    "supermarket.enabled": ("积分超市", "points supermarket"),
    "supermarket.budget_cny_per_community": ("超市预算", "supermarket budget"),
    "staff.per_community": ("社区工作人员", "staff per community"),
    "staff.per_10000_residents": ("每万人工作人员", "staff per 10,000"),
    "staff.cases_per_staff_day": ("人均日办件", "cases per staff-day"),
    "activities.per_community_per_year": ("年活动数", "activities a year"),
    "funds.channels": ("经费渠道", "funding channels"),
    "funds.culture_cny_per_year": ("文化基金", "culture fund"),
    "funds.partner_cny_per_year": ("帮扶资金", "partner funds"),
    "handover.enabled": ("三供一业移交", "handover"),
    "grids.households_per_grid": ("网格户数", "households per grid"),
    "city.scale": ("抽样比例", "sampling scale"),
}

_UNIT = {"count": ("", ""), "share": ("%", "%"), "fen": ("万元", "10k CNY"),
         "days": ("天", "days"), "score": ("", "")}


def _pick(zh: str, en: str, lang: str) -> str:
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"


def metric_label(metric: str, lang: str = "both") -> str:
    """The axis label of ``metric``, with its unit (``按时办结率 closed on time (%)``)."""
    zh, en, unit = METRIC_LABELS.get(metric, (metric, metric, "count"))
    if metric not in METRIC_LABELS:
        return metric
    u_zh, u_en = _UNIT[unit]
    u = _pick(u_zh, u_en, lang) if u_zh != u_en else u_zh
    return _pick(zh, en, lang) + (f" ({u})" if u else "")


def _display(metric: str, values: Any) -> Any:
    """Values in the unit of the label: fen -> 万元, shares -> %."""
    unit = METRIC_LABELS.get(metric, ("", "", "count"))[2]
    if metric.endswith("_fen") or unit == "fen":
        return np.asarray(values, dtype=float) / 1_000_000  # fen -> 万元
    if unit == "share":
        return np.asarray(values, dtype=float) * 100
    return np.asarray(values, dtype=float)


def _value_text(key: str, value: Any, lang: str) -> str:
    if isinstance(value, str) and value[:1] in "[{":
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, bool):
        return _pick("是", "yes", lang) if value else _pick("否", "no", lang)
    if isinstance(value, list):
        if not value:
            return _pick("无", "none", lang)
        parts = []
        for v in value:
            if isinstance(v, dict) and "name" in v:
                amount = v.get("cny_per_year")
                parts.append(f"{v['name']} {float(amount) / 10_000:g}万" if amount is not None
                             else str(v["name"]))
            else:
                parts.append(str(v))
        return "+".join(parts)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def param_legend(params: dict[str, Any], lang: str = "both") -> str:
    """A legend entry naming every varied parameter and its value."""
    out = []
    for key, value in params.items():
        zh, en = PARAM_LABELS.get(key, (key, key))
        name = zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"
        out.append(f"{name} = {_value_text(key, value, lang)}")
    return "; ".join(out) if out else _pick("基线", "baseline", lang)


def city_series(series: pl.DataFrame) -> pl.DataFrame:
    """A sweep's per-community series summed to the city (counts, money) or averaged over
    communities (rates, scores): one row per run, period and metric."""
    import polars as pl

    pcols = [c for c in series.columns if c.startswith("param:")]
    keys = ["run_id", "combination", *pcols, "period", "date", "metric"]
    summed = set(FLOWS) | (set(STOCKS) - {"satisfaction", "identification",
                                          "satisfaction_handover"})
    return series.group_by(keys, maintain_order=True).agg(
        pl.when(pl.col("metric").first().is_in(list(summed)))
        .then(pl.col("value").sum()).otherwise(pl.col("value").mean()).alias("value"))


_DASHES = ("-", "--", ":", "-.")


def _look(combo: dict[str, Any], varied: list[str], combos: pl.DataFrame) -> tuple[str, str]:
    """Colour by the first varied parameter's value, line style by the second's, so that
    lines that coincide (a parameter without effect) stay readable."""
    if not varied:
        return "C0", "-"
    firsts = combos[varied[0]].unique(maintain_order=True).to_list()
    color = f"C{firsts.index(combo[varied[0]]) % 10}"
    if len(varied) < 2:
        return color, "-"
    rest = combos.select(varied[1:]).unique(maintain_order=True).rows()
    return color, _DASHES[rest.index(tuple(combo[c] for c in varied[1:])) % len(_DASHES)]


def month_axis(ax: Any, first: Any, last: Any) -> None:
    """Months on the x axis (``2019-04``): every month up to half a year, every quarter up
    to two years, every half year beyond."""
    mdates: Any = importlib.import_module("matplotlib.dates")
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = 1 if months <= 6 else 3 if months <= 24 else 6
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, step)))
    ax.xaxis.set_minor_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))


def _varied(df: pl.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith("param:") and df[c].n_unique() > 1]


def _new_figure(n_panels: int, width: str, ncols: int | None = None,
                panel_height_mm: float = 52.0) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure

    if width not in WIDTHS_MM:
        raise ValidationError(f"width must be single or double, got {width!r}", path="width")
    ncols = ncols or (1 if width == "single" else min(2, n_panels))
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(WIDTHS_MM[width] * _MM, (panel_height_mm * nrows + 18) * _MM),
                 layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def _style() -> Any:
    return {"font.size": 7, "axes.titlesize": 7.5, "axes.labelsize": 7, "legend.fontsize": 6,
            "xtick.labelsize": 6, "ytick.labelsize": 6, "lines.linewidth": 1.0,
            "axes.linewidth": 0.6, "svg.fonttype": "none", "pdf.fonttype": 42}


def _save(fig: Any, out: Path, name: str, formats: Sequence[str]) -> list[Path]:
    files = []
    for fmt in formats:
        if fmt not in ("svg", "pdf", "png"):
            raise ValidationError(f"format must be svg, pdf or png, got {fmt!r}",
                                  path="formats")
        path = out / f"{name}.{fmt}"
        fig.savefig(path, dpi=300 if fmt == "png" else None,
                    metadata={"Creator": "community-governance"} if fmt != "png" else None)
        files.append(path)
    return files


def plot_bands(series: pl.DataFrame | str | Path, metrics: Sequence[str], out_dir: str | Path,
               *, width: str = "double", lang: str = "both", interval: str = "ci",
               formats: Sequence[str] = ("svg", "pdf"), name: str = "bands") -> list[Path]:
    """Draw the city-level series of ``metrics`` across seeds: per combination of the varied
    parameters a line (the mean over seeds) and a band (``interval``: ``ci``, the 95 %
    confidence interval of the mean; ``seeds``, the 2.5-97.5 % range of the seeds), x in
    months.

    Args:
        series: a sweep's ``series.parquet`` (path or frame), or a sweep directory.
        metrics: the metrics, one panel each.
        out_dir: where the files go.
        width: ``single`` (84 mm) or ``double`` (174 mm).
        lang: ``zh``, ``en`` or ``both``.
        interval: ``ci`` or ``seeds``.
        formats: any of ``svg``, ``pdf``, ``png`` (300 dpi).
        name: the file name without extension.

    Returns:
        The files written.
    """
    require_extra("polars", "sim", "simulation tables")
    require_extra("matplotlib", "sim", "plotting")
    import matplotlib
    import polars as pl

    if interval not in ("ci", "seeds"):
        raise ValidationError(f"interval must be ci or seeds, got {interval!r}",
                              path="interval")
    if not isinstance(series, pl.DataFrame):
        p = Path(series)
        series = pl.read_parquet(p / "series.parquet" if p.is_dir() else p)
    lang = configure_fonts(lang)
    missing = [m for m in metrics if m not in set(series["metric"].unique())]
    if missing:
        raise ValidationError(f"no series of {', '.join(missing)} in the table (known: "
                              f"{', '.join(sorted(series['metric'].unique()))})", path="metrics")
    city = city_series(series.filter(pl.col("metric").is_in(list(metrics))))
    varied = _varied(city)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(_style()):
        fig, axes = _new_figure(len(metrics), width)
        combos = city.select(["combination", *varied]).unique(maintain_order=True).sort(
            "combination")
        for ax, metric in zip(axes, metrics, strict=True):
            sub = city.filter(pl.col("metric") == metric)
            for combo in combos.iter_rows(named=True):
                rows = sub.filter(pl.col("combination") == combo["combination"])
                color, dash = _look(combo, varied, combos)
                wide = rows.pivot(on="run_id", index="date", values="value").sort("date")
                dates = wide["date"].to_numpy()
                vals = _display(metric, wide.drop("date").to_numpy())
                n = vals.shape[1]
                mean = np.nanmean(vals, axis=1)
                if interval == "ci" and n > 1:
                    half = t_quantile_975(n - 1) * np.nanstd(vals, axis=1, ddof=1) / math.sqrt(n)
                    low, high = mean - half, mean + half
                else:
                    low, high = np.nanpercentile(vals, [2.5, 97.5], axis=1)
                label = param_legend({k.removeprefix("param:"): combo[k] for k in varied},
                                     lang)
                ax.plot(dates, mean, color=color, linestyle=dash, label=label)
                ax.fill_between(dates, low, high, color=color, alpha=0.15, linewidth=0)
            ax.set_ylabel(metric_label(metric, lang))
            month_axis(ax, city["date"].min(), city["date"].max())
            ax.grid(alpha=0.3, linewidth=0.4)
        n_runs = city["run_id"].n_unique() // max(combos.height, 1)
        band = (_pick("均值及95%置信区间", "mean and 95% CI", lang) if interval == "ci"
                else _pick("均值及种子2.5-97.5%范围", "mean and 2.5-97.5% of seeds", lang))
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=1 if width == "single"
                   else 2, frameon=False,
                   title=f"{band}, n = {n_runs} " + _pick("个种子", "seeds", lang))
        return _save(fig, out, name, formats)


def plot_sweep_lines(summary: pl.DataFrame | str | Path, metrics: Sequence[str],
                     out_dir: str | Path, *, x: str | None = None, facet: str | None = None,
                     width: str = "double", lang: str = "both",
                     formats: Sequence[str] = ("svg", "pdf"), name: str = "sweep") -> list[Path]:
    """Draw each metric of a sweep against parameter ``x`` (default the first swept), with
    95 % intervals: one line per combination of the other varied parameters (named in the
    legend), or one column of panels per value of ``facet``.

    Returns:
        The files written.
    """
    require_extra("polars", "sim", "simulation tables")
    require_extra("matplotlib", "sim", "plotting")
    import matplotlib
    import polars as pl

    if not isinstance(summary, pl.DataFrame):
        p = Path(summary)
        summary = pl.read_parquet(p / "sweep.parquet" if p.is_dir() else p)
    lang = configure_fonts(lang)
    pcols = [c for c in summary.columns if c.startswith("param:")]
    varied = _varied(summary) or pcols
    xcol = f"param:{x}" if x else (varied[0] if varied else "combination")
    if xcol not in summary.columns:
        raise ValidationError(f"{x} is not a swept parameter ({', '.join(pcols)})", path="x")
    fcol = f"param:{facet}" if facet else None
    others = [c for c in varied if c not in (xcol, fcol)]
    facets = summary[fcol].unique(maintain_order=True).to_list() if fcol else [None]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    xs_all = summary[xcol].unique(maintain_order=True).to_list()
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in xs_all)
    with matplotlib.rc_context(_style()):
        fig, axes = _new_figure(len(metrics) * len(facets), width,
                                ncols=len(facets) if fcol else None)
        k = 0
        for metric in metrics:
            for fval in facets:
                ax = axes[k]
                k += 1
                sub = summary.filter(pl.col("metric") == metric)
                if fcol:
                    sub = sub.filter(pl.col(fcol) == fval)
                groups = sub.select(others).unique(maintain_order=True) if others else None
                for j, g in enumerate(groups.iter_rows(named=True) if groups is not None
                                      else [{}]):
                    rows = sub
                    for c, v in g.items():
                        rows = rows.filter(pl.col(c) == v)
                    rows = rows.sort(xcol) if numeric else rows
                    xv = rows[xcol].to_list()
                    xpos = xv if numeric else [xs_all.index(v) for v in xv]
                    mean = _display(metric, rows["mean"].to_numpy())
                    lo = _display(metric, rows["ci95_low"].to_numpy())
                    hi = _display(metric, rows["ci95_high"].to_numpy())
                    label = param_legend({c.removeprefix("param:"): v for c, v in g.items()},
                                         lang)
                    ax.errorbar(xpos, mean, yerr=[mean - lo, hi - mean], fmt="o-",
                                color=f"C{j}", capsize=2, markersize=3, label=label)
                if not numeric:
                    ax.set_xticks(range(len(xs_all)),
                                  [_value_text(xcol, v, lang) for v in xs_all])
                elif len(xs_all) <= 12:
                    ax.set_xticks(sorted(xs_all), [_value_text(xcol, v, lang)
                                                   for v in sorted(xs_all)])
                zh, en = PARAM_LABELS.get(xcol.removeprefix("param:"),
                                          (xcol.removeprefix("param:"),) * 2)
                ax.set_xlabel(_pick(zh, en, lang))
                ax.set_ylabel(metric_label(metric, lang))
                if fcol:
                    ax.set_title(param_legend({facet or "": fval}, lang))
                ax.grid(alpha=0.3, linewidth=0.4)
        if others:
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside lower center", frameon=False,
                       ncols=1 if width == "single" else 2,
                       title=_pick("均值及95%置信区间", "mean and 95% CI", lang))
        return _save(fig, out, name, formats)
