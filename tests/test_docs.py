"""The docs keep their promises: every hook documented, the catalogue current, examples run."""

from __future__ import annotations

import ast
import inspect
import os
import re
from pathlib import Path

import pytest

from community_governance.hookdoc import hook_problems, iter_hooks, render_catalogue

ROOT = Path(__file__).parent.parent
# the hook catalogue holds fragments of plugins; they are checked by the hook-example test
DOC_FILES = sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "plugin_hooks.md")
DOC_FILES.append(ROOT / "README.md")
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
HOOKS = iter_hooks()


def test_every_hook_has_a_complete_docstring() -> None:
    """Requires Args, Returns, one combination sentence and an example for every hook."""
    problems = [p for _, _, fn in HOOKS for p in hook_problems(fn)]
    assert [] == problems


def test_hook_catalogue_page_is_current() -> None:
    """docs/plugin_hooks.md is what `python -m community_governance.hookdoc` renders."""
    page = (ROOT / "docs" / "plugin_hooks.md").read_text(encoding="utf-8")
    assert render_catalogue() == page, (
        "regenerate: .venv/bin/python -m community_governance.hookdoc > docs/plugin_hooks.md")


@pytest.mark.parametrize("name,fn", [(n, f) for _, n, f in HOOKS], ids=[n for _, n, _ in HOOKS])
def test_hook_example_implements_the_hook(name: str, fn: object) -> None:
    """Each hook's example parses and implements the hook with arguments the spec has."""
    doc = inspect.getdoc(fn) or ""
    example = inspect.cleandoc(doc.partition("Example::")[2])
    tree = ast.parse(example)
    defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name]
    assert defs, f"the example of {name} defines no function {name}"
    spec_args = set(inspect.signature(fn).parameters)  # type: ignore[arg-type]
    used = {a.arg for a in defs[0].args.args} - {"self"}
    assert used <= spec_args, f"{name} example uses unknown arguments {used - spec_args}"


#: ``print(...)  # → expected`` in a docs block: the printed line must be ``expected`` (a
#: trailing ``...`` compares only the start).
EXPECT = re.compile(r"^(?P<indent>\s*)print\((?P<args>.*)\)\s*#\s*→\s*(?P<want>.*?)\s*$")


def _expecting(block: str) -> tuple[str, int]:
    """``block`` with each ``print(...)  # → expected`` turned into a checked print."""
    out, n = [], 0
    for line in block.splitlines():
        m = EXPECT.match(line)
        if m:
            n += 1
            line = (f"{m['indent']}__expect__({m['want']!r}, {m['args']})")
        out.append(line)
    return "\n".join(out) + "\n", n


def _expect(want: str, *args: object, sep: str = " ") -> None:
    got = sep.join(str(a) for a in args)
    print(got)
    if want.endswith("..."):
        assert got.startswith(want[:-3].rstrip()), f"printed {got!r}, the docs say {want!r}"
    else:
        assert got == want, f"printed {got!r}, the docs say {want!r}"


def test_expected_outputs_are_compared() -> None:
    """The docs carry checked outputs, and the check refuses a wrong one."""
    total = sum(_expecting(b)[1] for p in DOC_FILES for b in _blocks(p))
    assert total >= 10
    code, n = _expecting("x = 2\nprint(x + 1)  # → 4\n")
    assert n == 1
    with pytest.raises(AssertionError, match="printed '3', the docs say '4'"):
        exec(code, {"__expect__": _expect})
    exec(_expecting("print('abc', 1)  # → abc ...\n")[0], {"__expect__": _expect})


def _blocks(path: Path) -> list[str]:
    return FENCE.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", [p for p in DOC_FILES if _blocks(p)],
                         ids=[p.name for p in DOC_FILES if _blocks(p)])
def test_code_examples_in_docs_run(path: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs every ```python block of a page, in order, in one namespace; a print marked
    ``# → expected`` must print exactly that."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}", "__expect__": _expect}
    for i, block in enumerate(_blocks(path)):
        code = compile(_expecting(block)[0], f"{path.name}[block {i + 1}]", "exec")
        exec(code, namespace)
    assert os.getcwd() == str(tmp_path)
