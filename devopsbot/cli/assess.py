"""``ahp`` and ``risk`` commands: AHP weights from pairwise judgments, and a risk level from the matrix.

Both print JSON with stable keys on standard output. Invalid input exits with status 2 and one line
on standard error naming what is wrong (the entry, the level) and why; nothing goes to standard output.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from incident.errors import ConfigurationError, InvalidValue


def register(sub: Any) -> None:
    ahp = sub.add_parser("ahp", help="AHP priorities and consistency from pairwise judgments (JSON)",
                         description="Input: {labels, matrix}, {labels, assessors, method} or {tree}. "
                                     "Output: JSON with priorities, lambda_max, ci, cr, consistent, random_index.")
    ahp.add_argument("file", metavar="FILE", help="a JSON file, or - for standard input")
    ahp.set_defaults(run=_ahp_command)
    risk = sub.add_parser("risk", help="the risk level (and proposed severity) of a likelihood and an impact")
    risk.add_argument("--likelihood", required=True, metavar="L", help="a likelihood level's name or 1-based rank")
    risk.add_argument("--impact", required=True, metavar="I", help="an impact level's name or 1-based rank")
    risk.add_argument("--matrix", metavar="FILE", help="a JSON risk matrix (default: the organisation file's)")
    risk.set_defaults(run=_risk_command)


def _print(document: dict[str, Any]) -> None:
    print(json.dumps(document, indent=2, ensure_ascii=False))


def _read_json(name: str) -> tuple[str, Any]:
    """The document and the name to report it by; unreadable or malformed input is a ConfigurationError."""
    source = "<stdin>" if name == "-" else name
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(source, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(source, "", f"cannot be read: {error}") from None
    try:
        return source, json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigurationError(source, "", f"not valid JSON: {error}") from None
    except RecursionError:
        raise ConfigurationError(source, "", "nested too deeply") from None


def _object(value: Any, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidValue(where, "must be a JSON object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InvalidValue(where, f"unknown key {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")
    missing = sorted(required - set(value))
    if missing:
        raise InvalidValue(where, f"missing {', '.join(missing)}")
    return value


# -- ahp ---------------------------------------------------------------------------------------

def _ahp_command(args: argparse.Namespace) -> int:
    source, document = _read_json(args.file)
    try:
        result = _ahp(document)
    except InvalidValue as error:
        raise ConfigurationError(source, error.field, error.reason) from None
    except RecursionError:
        raise ConfigurationError(source, "tree", "nested too deeply") from None
    _print(result)
    return 0


def _figures(result: Any) -> dict[str, Any]:
    return {"priorities": result.by_label(), "lambda_max": result.lambda_max, "ci": result.ci, "cr": result.cr,
            "consistent": result.consistent, "random_index": result.random_index}


def _ahp(document: Any) -> dict[str, Any]:
    from incident import ahp

    if isinstance(document, dict) and "tree" in document:
        _object(document, "input", {"tree"}, {"tree"})
        tree = ahp.hierarchy_priorities(_node(document["tree"], "tree"))
        root = next(iter(tree.nodes.values()))
        return {**_figures(root), "global_priorities": tree.global_priorities,
                "nodes": {name: _figures(figures) for name, figures in tree.nodes.items()}}
    if isinstance(document, dict) and "assessors" in document:
        _object(document, "input", {"labels", "assessors", "method"}, {"labels", "assessors"})
        method = document.get("method", "aij")
        if method not in {m.value for m in ahp.GroupMethod}:
            raise InvalidValue("method", f"'{method}' is not aij or aip")
        group = ahp.group_priorities(_assessors(document["assessors"], document["labels"]), ahp.GroupMethod(method))
        return {**_figures(group.group), "method": group.method.value,
                "assessors": [{"name": a.name, "priorities": p.by_label(), "cr": p.cr, "consistent": p.consistent}
                              for a, p in group.assessors]}
    _object(document, "input", {"labels", "matrix"}, {"labels", "matrix"})
    return _figures(ahp.priorities(ahp.PairwiseMatrix.parse(document["matrix"], document["labels"])))


def _assessors(raw: Any, labels: Any) -> list[Any]:
    from incident.ahp import Assessor, PairwiseMatrix

    if not isinstance(raw, list) or not raw:
        raise InvalidValue("assessors", "must be a non-empty list of {name, weight, matrix}")
    found = []
    for i, entry in enumerate(raw):
        item = _object(entry, f"assessors[{i}]", {"name", "weight", "matrix"}, {"name", "matrix"})
        name = item["name"]
        if not isinstance(name, str) or not name.strip():
            raise InvalidValue(f"assessors[{i}].name", "must be a non-empty string")
        weight = item.get("weight")
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int | float)):
            raise InvalidValue(f"assessors[{i}].weight", f"{weight!r} is not a number")
        matrix = PairwiseMatrix.parse(item["matrix"], labels, where=f"assessor '{name}' matrix")
        found.append(Assessor(name.strip(), matrix, None if weight is None else float(weight)))
    return found


def _node(raw: Any, where: str) -> Any:
    from incident.ahp import HierarchyNode, PairwiseMatrix

    item = _object(raw, where, {"name", "labels", "matrix", "children"}, {"name", "labels", "matrix"})
    name = item["name"]
    if not isinstance(name, str) or not name.strip():
        raise InvalidValue(f"{where}.name", "must be a non-empty string")
    children = item.get("children", [])
    if not isinstance(children, list):
        raise InvalidValue(f"node '{name}' children", "must be a list of nodes")
    return HierarchyNode(name.strip(), PairwiseMatrix.parse(item["matrix"], item["labels"],
                                                           where=f"node '{name}' matrix"),
                         tuple(_node(child, f"node '{name}' children[{i}]") for i, child in enumerate(children)))


# -- risk --------------------------------------------------------------------------------------

def _risk_command(args: argparse.Namespace) -> int:
    if args.matrix:
        source, document = _read_json(args.matrix)
        try:
            matrix = _risk_matrix(document)
        except InvalidValue as error:
            raise ConfigurationError(source, error.field, error.reason) from None
    else:
        from devopsbot.organisation import load_organisation
        from devopsbot.settings import load_settings

        matrix = load_organisation(load_settings(os.environ).organisation_file).risk
    try:
        found = matrix.assess(args.likelihood, args.impact)
    except InvalidValue as error:
        raise ConfigurationError(f"--{error.field}", "", error.reason) from None
    result: dict[str, Any] = {"likelihood": found.likelihood.name, "impact": found.impact.name,
                              "level": found.level}
    if found.score is not None:
        result["score"] = found.score
    if found.severity is not None:
        result["severity"] = found.severity
    _print(result)
    return 0


def _risk_matrix(document: Any) -> Any:
    from incident.risk import RiskMatrix

    item = _object(document, "matrix", {"likelihood", "impact", "cells", "bands", "severity"},
                   {"likelihood", "impact"})
    bands = item.get("bands")
    pairs = None
    if bands is not None:
        if not isinstance(bands, list):
            raise InvalidValue("bands", "must be a list of {level, max}, lowest first")
        pairs = []
        for i, band in enumerate(bands):
            checked = _object(band, f"bands[{i}]", {"level", "max"}, {"level", "max"})
            pairs.append((checked["level"], checked["max"]))
    severity = item.get("severity")
    if severity is not None and not isinstance(severity, dict):
        raise InvalidValue("severity", "must be an object: risk level → severity")
    return RiskMatrix.build(item["likelihood"], item["impact"], cells=item.get("cells"), bands=pairs,
                            severity=severity)
