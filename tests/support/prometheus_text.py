"""A small strict parser of the Prometheus text exposition format (0.0.4), for tests that scrape /api/metrics:
every sample belongs to a family declared by # TYPE, label values are well escaped, histograms add up."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

KINDS = ("counter", "gauge", "histogram", "summary", "untyped")
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:")
Labels = tuple[tuple[str, str], ...]


@dataclass
class Family:
    name: str
    kind: str
    help: str = ""
    samples: dict[tuple[str, Labels], float] = field(default_factory=dict)


def parse(text: str) -> dict[str, Family]:
    families: dict[str, Family] = {}
    if not text.endswith("\n"):
        raise ValueError("the exposition must end with a newline")
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            families.setdefault(name, Family(name, "untyped")).help = help_text
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            if kind not in KINDS:
                raise ValueError(f"line {number}: unknown type {kind!r}")
            family = families.setdefault(name, Family(name, kind))
            if family.samples:
                raise ValueError(f"line {number}: TYPE after samples of {name}")
            family.kind = kind
        elif line.startswith("#") or not line.strip():
            continue
        else:
            sample, labels, value = _sample(line, number)
            family = _family_of(families, sample, number)
            if (sample, labels) in family.samples:
                raise ValueError(f"line {number}: a repeated series")
            family.samples[(sample, labels)] = value
    for family in families.values():
        if family.kind == "histogram":
            _check_histogram(family)
    return families


def _sample(line: str, number: int) -> tuple[str, Labels, float]:
    end = 0
    while end < len(line) and line[end] in NAME_CHARS:
        end += 1
    name, labels, rest = line[:end], [], line[end:]
    if not name or name[0].isdigit():
        raise ValueError(f"line {number}: no metric name")
    if rest.startswith("{"):
        position = 1
        while rest[position] != "}":
            equals = rest.index("=", position)
            label = rest[position:equals]
            if not label or any(c not in NAME_CHARS for c in label) or rest[equals + 1] != '"':
                raise ValueError(f"line {number}: a malformed label")
            position, value = equals + 2, []
            while rest[position] != '"':
                if rest[position] == "\\":
                    escaped = rest[position + 1]
                    value.append({"n": "\n", "\\": "\\", '"': '"'}[escaped])
                    position += 2
                else:
                    value.append(rest[position])
                    position += 1
            labels.append((label, "".join(value)))
            position += 1
            if rest[position] == ",":
                position += 1
        rest = rest[position + 1:]
    if not rest.startswith(" "):
        raise ValueError(f"line {number}: no value")
    fields = rest.split()
    if len(fields) not in (1, 2):
        raise ValueError(f"line {number}: a value and at most a timestamp")
    return name, tuple(labels), float(fields[0])


def _family_of(families: dict[str, Family], sample: str, number: int) -> Family:
    if sample in families:
        return families[sample]
    for suffix in ("_bucket", "_sum", "_count"):
        base = sample.removesuffix(suffix)
        if base != sample and base in families and families[base].kind in ("histogram", "summary"):
            return families[base]
    raise ValueError(f"line {number}: {sample} has no # TYPE")


def _check_histogram(family: Family) -> None:
    series: dict[Labels, list[tuple[float, float]]] = {}
    for (sample, labels), value in family.samples.items():
        if sample.endswith("_bucket"):
            le = dict(labels)["le"]
            rest = tuple(pair for pair in labels if pair[0] != "le")
            series.setdefault(rest, []).append((float(le), value))
    for labels, buckets in series.items():
        buckets.sort()
        counts = [count for _, count in buckets]
        if counts != sorted(counts) or not math.isinf(buckets[-1][0]):
            raise ValueError(f"{family.name}{labels}: buckets not cumulative or no +Inf")
        if family.samples.get((family.name + "_count", labels)) != counts[-1]:
            raise ValueError(f"{family.name}{labels}: _count differs from the +Inf bucket")


def value(families: dict[str, Family], name: str, **labels: str) -> float:
    """A sample's value (0 when the series is absent), looked up by the family's own sample name."""
    family = _family_of(families, name, 0)
    return family.samples.get((name, tuple(sorted(labels.items()))), 0.0)
