"""The layout the README's map describes: line/ is plain Python by capability, each package
saying what it owns, and no module reaches into another package's private names."""

import ast
import re
from pathlib import Path

import pytest
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME

from line.understanding import names

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "core",
    "understanding",
    "directory",
    "handoff",
    "whatsapp",
    "media",
    "privacy",
    "feedback",
    "content",
    "training",
    "alerts",
)
# Drives Rasa's own training (`make train-content`), importing Rasa when it runs.
RASA_DRIVER = ROOT / "line" / "content" / "train_content.py"
CODE = [
    path
    for folder in (
        "actions",
        "bench",
        "channels",
        "components",
        "console",
        "deploy",
        "line",
        "rasa_sdk_plugins",
        "stores",
        "tests",
    )
    for path in sorted((ROOT / folder).rglob("*.py"))
    if "migrations" not in path.parts and "frozen" not in path.parts
]


def package_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return "/".join(parts[:2]) if parts[0] == "line" and len(parts) > 2 else parts[0]


def imported_modules(tree: ast.AST) -> dict[str, str]:
    """Local name -> the module or object it was imported from."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.asname or alias.name.split(".")[0]] = alias.name
    return found


def test_line_is_one_package_per_capability_each_saying_what_it_owns():
    found = sorted(p.name for p in (ROOT / "line").iterdir() if (p / "__init__.py").exists())
    assert found == sorted(PACKAGES)
    assert not [p.name for p in (ROOT / "line").glob("*.py") if p.name != "__init__.py"]
    for package in PACKAGES:
        doc = ast.get_docstring(ast.parse((ROOT / "line" / package / "__init__.py").read_text()))
        assert doc and len(doc.split()) > 15, f"line/{package}/__init__.py says what it owns"


@pytest.mark.parametrize("path", sorted((ROOT / "line").rglob("*.py")), ids=str)
def test_line_never_imports_rasa(path):
    if "migrations" in path.parts:
        return
    tree = ast.parse(path.read_text())
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    inside = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    for node in top_level if path == RASA_DRIVER else inside:
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
        assert not [m for m in modules if m and m.split(".")[0] in ("rasa", "rasa_sdk")], (
            f"{path}:{node.lineno}"
        )


def test_no_module_reaches_into_another_packages_private_names():
    reaching = []
    for path in CODE:
        tree = ast.parse(path.read_text())
        imported = imported_modules(tree)
        mine = package_of(path)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith(
                    ("line", "actions", "channels", "components", "stores", "console", "bench")
                )
            ):
                reaching += [
                    f"{path}:{node.lineno} {a.name}"
                    for a in node.names
                    if re.match(r"_[a-z]", a.name)
                    and node.module.split(".")[:2]
                    != list(path.relative_to(ROOT).with_suffix("").parts[:2])
                ]
            if (
                isinstance(node, ast.Attribute)
                and re.match(r"_[a-z]", node.attr)
                and isinstance(node.value, ast.Name)
                and node.value.id in imported
            ):
                source = imported[node.value.id]
                if (
                    source.split(".")[0]
                    in ("line", "actions", "channels", "components", "stores", "console", "bench")
                    and package_of(ROOT / (source.replace(".", "/") + ".py")) != mine
                ):
                    reaching.append(f"{path}:{node.lineno} {node.value.id}.{node.attr}")
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "setattr"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and re.match(r"_[a-z]", str(node.args[1].value))
            ):
                reaching.append(f"{path}:{node.lineno} setattr(..., {node.args[1].value!r})")
    assert reaching == []


def test_the_fallback_intent_is_rasas():
    assert names.NLU_FALLBACK_INTENT == DEFAULT_NLU_FALLBACK_INTENT_NAME
