"""Plots of runs and sweeps (仿真图表): PNG (300 dpi), SVG or PDF, Chinese and English labels.

:func:`plot_run` draws four figures (174 mm wide, months on the x axis, money in 万元) from a
run directory, optionally against a second run (with and without a policy): participation
over time, points issued and redeemed, case backlog and handling time, fund balances.
:func:`plot_sweep` draws each metric against the first swept parameter with 95 % confidence
intervals, one line per combination of the other parameters, and the sweep's series as bands
across seeds (:mod:`community_governance.simulation.figures`).

Labels are bilingual by default ("参与率 participation"). Chinese needs a CJK font: the first
installed of :data:`CJK_FONTS` is used (on Debian: ``apt-get install fonts-wqy-microhei``).
When none is installed, a :class:`CjkFontWarning` says so and the labels fall back to English,
so no figure is drawn with empty boxes.

Matplotlib runs with the Agg backend; nothing is shown on screen.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from community_governance.errors import require_extra

__all__ = ["CJK_FONTS", "CjkFontWarning", "configure_fonts", "find_cjk_font", "plot_run",
           "plot_sweep"]

#: CJK fonts tried in order (WenQuanYi on Debian/Ubuntu CI, Noto/Source Han, Windows, macOS).
CJK_FONTS = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC",
             "Source Han Sans SC", "Source Han Sans CN", "SimHei", "Microsoft YaHei",
             "PingFang SC", "Heiti SC", "Arial Unicode MS")
_FONT_FILES = ("wqy-microhei", "wqy-zenhei", "notosanscjk", "notosanssc", "sourcehansans",
               "simhei", "msyh", "pingfang", "stheiti")


class CjkFontWarning(UserWarning):
    """No CJK font is installed: Chinese labels cannot be drawn (缺少中文字体)."""


def find_cjk_font() -> str | None:
    """The name of the first installed font of :data:`CJK_FONTS`, or ``None``.

    Fonts installed after matplotlib built its cache are found by file name and added.
    """
    require_extra("matplotlib", "sim", "plotting")
    from matplotlib import font_manager as fm

    names = {f.name for f in fm.fontManager.ttflist}
    for want in CJK_FONTS:
        if want in names:
            return want
    for path in fm.findSystemFonts():
        low = Path(path).name.lower().replace("-", "").replace("_", "")
        if any(k.replace("-", "") in low for k in _FONT_FILES):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    fm.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
    names = {f.name for f in fm.fontManager.ttflist}
    return next((w for w in CJK_FONTS if w in names), None)


def configure_fonts(labels: str = "both") -> str:
    """Select the Agg backend and a CJK font; return the label language actually usable.

    Args:
        labels: ``zh``, ``en`` or ``both``.

    Returns:
        ``labels``, or ``en`` when Chinese was asked for and no CJK font is installed (a
        :class:`CjkFontWarning` is issued).
    """
    require_extra("matplotlib", "sim", "plotting")
    import matplotlib

    matplotlib.use("Agg")
    if labels == "en":
        return labels
    font = find_cjk_font()
    if font is None:
        warnings.warn(
            "no CJK font is installed, so Chinese labels cannot be drawn; labels fall back to "
            f"English. Install one of: {', '.join(CJK_FONTS[:5])} (Debian/Ubuntu: "
            "apt-get install fonts-wqy-microhei)", CjkFontWarning, stacklevel=2)
        return "en"
    matplotlib.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False
    return labels


_LABELS = {
    "participation": ("周参与率", "weekly participation rate"),
    "volunteers": ("志愿者", "volunteers"),
    "points": ("积分", "points"),
    "issued": ("发放积分", "points issued"),
    "redeemed": ("兑换积分", "points redeemed"),
    "backlog": ("积压事项", "case backlog"),
    "overdue": ("超期事项", "overdue cases"),
    "handling": ("平均办理天数", "mean handling days"),
    "funds": ("社区经费余额 (万元)", "fund balances (10k CNY)"),
    "goods": ("兑换商品 (万元)", "goods redeemed (10k CNY)"),
    "week": ("周", "week"),
    "month": ("月份", "month"),
    "office": ("办公经费", "office"),
    "care": ("关爱基金", "care fund"),
    "culture": ("文化基金", "culture fund"),
    "general": ("其他资金", "general"),
    "cases": ("事项办理", "cases"),
    "title_participation": ("居民参与", "Participation"),
    "title_points": ("积分超市", "Points supermarket"),
    "title_cases": ("事项办理", "Case handling"),
    "title_funds": ("社区经费", "Community funds"),
}


#: 174 mm x 75 mm: a journal's double column.
_DOUBLE = (174 / 25.4, 75 / 25.4)


def _label(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"


def plot_run(run_dir: str | Path, out_dir: str | Path | None = None, *,
             compare: str | Path | None = None, names: Sequence[str] = (),
             labels: str = "both", formats: Sequence[str] = ("png",)) -> list[Path]:
    """Draw the four figures of a run (and a second run to compare with).

    Args:
        run_dir: a run directory (``cgov sim run --out``).
        out_dir: where the PNGs go (default ``run_dir``).
        compare: another run directory, e.g. the same scenario without the policy.
        names: legend names of the runs (default the directory names).
        labels: ``zh``, ``en`` or ``both``.
        formats: any of ``png`` (300 dpi), ``svg`` and ``pdf``.

    Returns:
        The files written (per figure, one per format).
    """
    require_extra("matplotlib", "sim", "plotting")
    import matplotlib

    from community_governance.simulation.figures import _style

    with matplotlib.rc_context(_style()):
        return _plot_run(run_dir, out_dir, compare, names, labels, formats)


def _plot_run(run_dir: str | Path, out_dir: str | Path | None, compare: str | Path | None,
              names: Sequence[str], labels: str, formats: Sequence[str]) -> list[Path]:
    from matplotlib.figure import Figure

    from community_governance.simulation.outputs import read_run

    lang = configure_fonts(labels)
    runs = [Path(run_dir)] + ([Path(compare)] if compare is not None else [])
    tables = [read_run(r)[0] for r in runs]
    legends = list(names) if names else [r.name for r in runs]
    out = Path(out_dir) if out_dir is not None else Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []

    from community_governance.simulation.figures import month_axis

    def save(fig: Any, name: str) -> None:
        for ax in fig.axes:  # months on the x axis
            month_axis(ax, tables[0]["date"].min(), tables[0]["date"].max())
        fig.tight_layout()
        for fmt in formats:
            path = out / name.replace(".png", f".{fmt}")
            fig.savefig(path, dpi=300 if fmt == "png" else None)
            files.append(path)

    wk = _label("month", lang)
    fig = Figure(figsize=_DOUBLE)
    ax1, ax2 = fig.subplots(1, 2)
    for j, (df, name) in enumerate(zip(tables, legends, strict=True)):
        ax1.plot(df["date"], df["participation_rate"] * 100, label=name, color=f"C{j}")
        ax2.plot(df["date"], df["volunteers"], label=name, color=f"C{j}")
    ax1.set(xlabel=wk, ylabel=_label("participation", lang) + " (%)")
    ax2.set(xlabel=wk, ylabel=_label("volunteers", lang))
    ax1.legend()
    fig.suptitle(_label("title_participation", lang))
    save(fig, "participation.png")

    fig = Figure(figsize=_DOUBLE)
    ax1, ax2 = fig.subplots(1, 2)
    for j, (df, name) in enumerate(zip(tables, legends, strict=True)):
        ax1.plot(df["date"], df["points_issued"].cum_sum(), color=f"C{j}",
                 label=f"{name}: " + _label("issued", lang))
        ax1.plot(df["date"], df["points_redeemed"].cum_sum(), linestyle="--", color=f"C{j}",
                 label=f"{name}: " + _label("redeemed", lang))
        ax2.plot(df["date"], df["redeemed_fen"].cum_sum() / 1_000_000, label=name,
                 color=f"C{j}")
    ax1.set(xlabel=wk, ylabel=_label("points", lang))
    ax2.set(xlabel=wk, ylabel=_label("goods", lang))
    ax1.legend(fontsize=7)
    fig.suptitle(_label("title_points", lang))
    save(fig, "points.png")

    fig = Figure(figsize=_DOUBLE)
    ax1, ax2 = fig.subplots(1, 2)
    for j, (df, name) in enumerate(zip(tables, legends, strict=True)):
        ax1.plot(df["date"], df["backlog"], color=f"C{j}",
                 label=f"{name}: " + _label("backlog", lang))
        ax1.plot(df["date"], df["overdue_backlog"], linestyle="--", color=f"C{j}",
                 label=f"{name}: " + _label("overdue", lang))
        ax2.plot(df["date"], df["mean_handling_days"], label=name, color=f"C{j}")
    ax1.set(xlabel=wk, ylabel=_label("cases", lang))
    ax2.set(xlabel=wk, ylabel=_label("handling", lang))
    ax1.legend(fontsize=7)
    fig.suptitle(_label("title_cases", lang))
    save(fig, "cases.png")

    fig = Figure(figsize=_DOUBLE)
    ax = fig.subplots(1, 1)
    styles = ["-", "--", ":"]
    for j, (df, name) in enumerate(zip(tables, legends, strict=True)):
        for k, acc in enumerate(("office", "care", "culture", "general")):
            ax.plot(df["date"], df[f"fund_{acc}_fen"] / 1_000_000, linestyle=styles[j % 3],
                    color=f"C{k}", label=f"{name}: " + _label(acc, lang))
    ax.set(xlabel=wk, ylabel=_label("funds", lang))
    ax.legend(fontsize=7, ncol=2)
    fig.suptitle(_label("title_funds", lang))
    save(fig, "funds.png")
    return files


def plot_sweep(sweep_dir: str | Path, out_dir: str | Path | None = None, *,
               metrics: Sequence[str] = ("participation_rate_mean", "supermarket_cost_fen",
                                         "on_time_share", "satisfaction_end"),
               labels: str = "both", formats: Sequence[str] = ("png", "svg", "pdf"),
               width: str = "double") -> list[Path]:
    """Draw each metric against the first swept parameter with 95 % intervals, one line per
    combination of the other swept parameters (:func:`~community_governance.simulation.
    figures.plot_sweep_lines`: ``sweep.*``), and, when the sweep kept series, their bands
    across seeds by month (:func:`~community_governance.simulation.figures.plot_bands`:
    ``bands.*``)."""
    require_extra("polars", "sim", "simulation tables")
    import polars as pl

    from community_governance.simulation.figures import plot_bands, plot_sweep_lines

    d = Path(sweep_dir)
    out = Path(out_dir) if out_dir is not None else d
    files = plot_sweep_lines(d / "sweep.parquet", metrics, out, lang=labels, formats=formats,
                             width=width)
    if (d / "series.parquet").is_file():
        series = pl.read_parquet(d / "series.parquet")
        have = set(series["metric"].unique())
        wanted = [m for m in ("on_time_share", "backlog", "volunteers", "participation_rate",
                              "redeemed_fen", "satisfaction") if m in have][:4]
        if wanted:
            files += plot_bands(series, wanted, out, lang=labels, formats=formats, width=width)
    return files
