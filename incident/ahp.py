"""The Analytic Hierarchy Process: priorities and consistency from pairwise judgments, for one person,
a group, or a hierarchy of any depth. Pure Python, so the domain stays standard-library only.

Rows and columns in error messages are counted from 1, as people read a matrix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from incident.errors import InvalidValue

# Saaty (1980), The Analytic Hierarchy Process: the mean consistency index of random reciprocal matrices.
RANDOM_INDEX: Mapping[int, float] = {
    3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49,
    11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59,
}
MIN_SIZE, MAX_SIZE = 2, 15
CONSISTENCY_LIMIT = 0.10
RECIPROCAL_TOLERANCE = 0.005  # a_ij·a_ji may be 0.5% from 1: "0.333" against 3 is a rounded 1/3
SCALE_MIN, SCALE_MAX = 1 / 9, 9.0


class JudgmentError(InvalidValue):
    """Pairwise judgments that cannot be used; names the entry (row, column) when there is one."""

    def __init__(self, reason: str, row: int | None = None, column: int | None = None,
                 where: str = "matrix") -> None:
        place = f"{where} ({row}, {column})" if row is not None else where
        super().__init__(place, reason)
        self.row = row
        self.column = column


def parse_judgment(value: object, row: int, column: int, where: str = "matrix") -> float:
    """A number, or a string such as "3", "0.5" or "1/3"; booleans and anything else are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise JudgmentError(f"{value!r} is not a number (use numbers or strings like \"1/3\")", row, column, where)
    number: float
    if isinstance(value, str):
        text = value.strip()
        try:
            if "/" in text:
                top, bottom = text.split("/", 1)
                number = float(top) / float(bottom)
            else:
                number = float(text)
        except ValueError:
            raise JudgmentError(f"'{value}' is not a number or a fraction like \"1/3\"", row, column,
                                where) from None
        except ZeroDivisionError:
            raise JudgmentError(f"'{value}' divides by zero", row, column, where) from None
    else:
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float (JSON allows any length)
            raise JudgmentError("a number this large is outside Saaty's scale 1/9..9", row, column, where) from None
    if math.isnan(number):
        raise JudgmentError("NaN is not a judgment", row, column, where)
    if math.isinf(number):
        raise JudgmentError("an infinite value is not a judgment", row, column, where)
    if number <= 0:
        raise JudgmentError(f"{_show(number)} is not positive; judgments are ratios between 1/9 and 9",
                            row, column, where)
    # The lower bound allows the same rounding as reciprocity, so 0.111 may stand for 1/9.
    if number > SCALE_MAX or number < SCALE_MIN * (1 - RECIPROCAL_TOLERANCE):
        raise JudgmentError(f"{_show(number)} is outside Saaty's scale 1/9..9", row, column, where)
    return number


def _show(number: float) -> str:
    return f"{number:.6g}"


@dataclass(frozen=True)
class PairwiseMatrix:
    """A validated reciprocal matrix: ``values[i][j]`` says how much more important labels[i] is than labels[j]."""

    labels: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]

    @property
    def size(self) -> int:
        return len(self.labels)

    @classmethod
    def parse(cls, raw: object, labels: Sequence[object] | None = None, where: str = "matrix") -> PairwiseMatrix:
        """Validate ``raw`` (rows of numbers or "a/b" strings); any problem raises JudgmentError."""
        if not isinstance(raw, list | tuple) or not raw:
            raise JudgmentError("must be a non-empty list of rows", where=where)
        n = len(raw)
        rows: list[list[float]] = []
        for i, row in enumerate(raw, start=1):
            if not isinstance(row, list | tuple):
                raise JudgmentError(f"row {i} is not a list", where=where)
            if len(row) != n:
                raise JudgmentError(f"row {i} has {len(row)} entries but the matrix has {n} rows; "
                                    "it must be square", where=where)
            rows.append([parse_judgment(value, i, j, where) for j, value in enumerate(row, start=1)])
        if not MIN_SIZE <= n <= MAX_SIZE:
            raise JudgmentError(f"{n}×{n}: compare between {MIN_SIZE} and {MAX_SIZE} items", where=where)
        for i in range(n):
            if not math.isclose(rows[i][i], 1.0, rel_tol=1e-9):
                raise JudgmentError(f"the diagonal must be 1 (an item against itself), not {_show(rows[i][i])}",
                                    i + 1, i + 1, where)
        for i in range(n):
            for j in range(i + 1, n):
                product = rows[i][j] * rows[j][i]
                if abs(product - 1) > RECIPROCAL_TOLERANCE:
                    raise JudgmentError(
                        f"{_show(rows[i][j])} and ({j + 1}, {i + 1}) {_show(rows[j][i])} are not reciprocal "
                        f"(their product {_show(product)} is more than 0.5% from 1)", i + 1, j + 1, where)
        # Both triangles count equally: the geometric symmetrisation makes the pair exactly reciprocal.
        exact = tuple(tuple(1.0 if i == j else math.sqrt(rows[i][j] / rows[j][i]) for j in range(n))
                      for i in range(n))
        return cls(_labels(labels, n, where), exact)


def _labels(labels: Sequence[object] | None, n: int, where: str) -> tuple[str, ...]:
    if labels is None:
        return tuple(str(i) for i in range(1, n + 1))
    if not isinstance(labels, list | tuple) or len(labels) != n:
        count = len(labels) if isinstance(labels, list | tuple) else "no"
        raise JudgmentError(f"{count} labels for a {n}×{n} matrix; give one label per row", where=where)
    names = []
    for i, label in enumerate(labels, start=1):
        if not isinstance(label, str) or not label.strip():
            raise JudgmentError(f"label {i} must be a non-empty string", where=where)
        names.append(label.strip())
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise JudgmentError(f"labels must be unique; repeated: {', '.join(duplicates)}", where=where)
    return tuple(names)


@dataclass(frozen=True)
class Priorities:
    """What the AHP derives from one matrix: weights summing to 1, and how consistent the judgments were."""

    labels: tuple[str, ...]
    weights: tuple[float, ...]
    lambda_max: float
    ci: float
    cr: float
    random_index: float

    @property
    def consistent(self) -> bool:
        return self.cr <= CONSISTENCY_LIMIT  # compared as computed, never rounded first

    def by_label(self) -> dict[str, float]:
        return dict(zip(self.labels, self.weights, strict=True))


def principal_eigenvector(values: Sequence[Sequence[float]]) -> tuple[tuple[float, ...], float]:
    """The Perron eigenvector (summing to 1) and eigenvalue of a positive matrix, by power iteration.

    A positive matrix has a strictly dominant real eigenvalue, so the iteration converges; it starts
    from the normalised row geometric means, which are already exact for a consistent matrix.
    """
    n = len(values)
    start = [math.prod(row) ** (1 / n) for row in values]
    w = [x / sum(start) for x in start]
    eigenvalue, previous = float(n), math.inf
    for _ in range(100_000):
        product = [math.fsum(a * x for a, x in zip(row, w, strict=True)) for row in values]
        eigenvalue = math.fsum(product)  # w sums to 1, so the sum of A·w is λ once w is the eigenvector
        following = [x / eigenvalue for x in product]
        change = max(abs(a - b) for a, b in zip(following, w, strict=True))
        w = following
        # Done at full precision, or once rounding noise stops the change from shrinking any further.
        if change < 1e-15 or (change < 1e-13 and change >= previous):
            break
        previous = change
    return tuple(w), eigenvalue


def priorities(matrix: PairwiseMatrix) -> Priorities:
    """Priorities, λmax, CI = (λmax - n)/(n - 1) and CR = CI/RI(n) (0 when n ≤ 2)."""
    n = matrix.size
    weights, lambda_max = principal_eigenvector(matrix.values)
    ci = max(0.0, (lambda_max - n) / (n - 1))  # λmax ≥ n in theory; float noise must not go negative
    random_index = RANDOM_INDEX.get(n, 0.0)
    cr = ci / random_index if n > 2 else 0.0
    return Priorities(matrix.labels, weights, lambda_max, ci, cr, random_index)


def most_inconsistent_pair(matrix: PairwiseMatrix, result: Priorities) -> tuple[int, int]:
    """The (row, column), 0-based with row < column, whose judgment strays furthest from what the
    weights imply: the largest |ln(a_ij · w_j / w_i)|. Changing that judgment helps consistency most."""
    w = result.weights
    pairs = [(i, j) for i in range(matrix.size) for j in range(i + 1, matrix.size)]
    return max(pairs, key=lambda p: abs(math.log(matrix.values[p[0]][p[1]] * w[p[1]] / w[p[0]])))


# -- groups ------------------------------------------------------------------------------------

class GroupMethod(StrEnum):
    AIJ = "aij"  # aggregate individual judgments: weighted geometric mean of the matrices
    AIP = "aip"  # aggregate individual priorities: weighted geometric mean of each one's priorities


@dataclass(frozen=True)
class Assessor:
    name: str
    matrix: PairwiseMatrix
    weight: float | None = None


@dataclass(frozen=True)
class GroupPriorities:
    """The group's priorities by the chosen method, and each assessor's own figures.

    ``group`` is the analysis of the weighted geometric mean of the judgments (AIJ); with AIP its
    weights are replaced by the aggregated priorities, while λmax, CI and CR still describe that
    mean matrix, the only matrix the group as a whole has.
    """

    method: GroupMethod
    group: Priorities
    assessors: tuple[tuple[Assessor, Priorities], ...]
    weights: tuple[float, ...]  # each assessor's normalised weight


def assessor_weights(given: Sequence[float | None], names: Sequence[str] = ()) -> tuple[float, ...]:
    """Weights given for every assessor or for none (equal); non-negative, not all zero; normalised."""
    if all(w is None for w in given):
        return tuple(1 / len(given) for _ in given)
    missing = [names[i] if i < len(names) else str(i + 1) for i, w in enumerate(given) if w is None]
    if missing:
        raise JudgmentError(f"give a weight for every assessor or for none; missing for: {', '.join(missing)}",
                            where="assessors")
    numbers = [float(w) for w in given if w is not None]
    for i, w in enumerate(numbers):
        if not math.isfinite(w) or w < 0:
            raise JudgmentError(f"weight {_show(w)} of {names[i] if i < len(names) else i + 1} must be a "
                                "finite number ≥ 0", where="assessors")
    total = math.fsum(numbers)
    if total <= 0:
        raise JudgmentError("the assessors' weights are all zero", where="assessors")
    return tuple(w / total for w in numbers)


def aggregate_judgments(matrices: Sequence[PairwiseMatrix], weights: Sequence[float]) -> PairwiseMatrix:
    """Element-wise weighted geometric mean: reciprocal again, so the AHP applies to it as to one person."""
    n = matrices[0].size
    values = tuple(
        tuple(math.exp(math.fsum(wk * math.log(m.values[i][j]) for m, wk in zip(matrices, weights, strict=True)))
              for j in range(n))
        for i in range(n))
    return PairwiseMatrix(matrices[0].labels, values)


def group_priorities(assessors: Sequence[Assessor], method: GroupMethod = GroupMethod.AIJ) -> GroupPriorities:
    if not assessors:
        raise JudgmentError("at least one assessor is needed", where="assessors")
    names = [a.name for a in assessors]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise JudgmentError(f"assessor names must be unique; repeated: {', '.join(repeated)}", where="assessors")
    labels = assessors[0].matrix.labels
    for a in assessors:
        if a.matrix.labels != labels:
            raise JudgmentError(f"judges {a.matrix.size} items; every assessor must judge the same "
                                f"{len(labels)}", where=f"assessor '{a.name}'")
    weights = assessor_weights([a.weight for a in assessors], names)
    individual = tuple((a, priorities(a.matrix)) for a in assessors)
    group = priorities(aggregate_judgments([a.matrix for a in assessors], weights))
    if method is GroupMethod.AIP:
        means = [math.exp(math.fsum(wk * math.log(p.weights[i]) for (_, p), wk in zip(individual, weights,
                                                                                     strict=True)))
                 for i in range(len(labels))]
        total = math.fsum(means)
        group = Priorities(labels, tuple(m / total for m in means), group.lambda_max, group.ci, group.cr,
                           group.random_index)
    return GroupPriorities(method, group, individual, weights)


# -- hierarchies -------------------------------------------------------------------------------

@dataclass(frozen=True)
class HierarchyNode:
    """One comparison in a hierarchy; a child refines the parent's label it is named after."""

    name: str
    matrix: PairwiseMatrix
    children: tuple[HierarchyNode, ...] = ()


@dataclass(frozen=True)
class HierarchyPriorities:
    global_priorities: dict[str, float]  # leaf label → Σ over its paths of the product of local weights
    nodes: dict[str, Priorities] = field(default_factory=dict)  # by node name, each node's own figures


def hierarchy_priorities(root: HierarchyNode) -> HierarchyPriorities:
    """Global priority = Σ parent weight x child's local priority, down to the leaves; leaves with the
    same label under several parents (alternatives judged per criterion) add up."""
    nodes: dict[str, Priorities] = {}
    totals: dict[str, float] = {}

    def visit(node: HierarchyNode, weight: float, path: str) -> None:
        if node.name in nodes:
            raise JudgmentError(f"node name '{node.name}' is used twice; node names must be unique", where=path)
        local = priorities(node.matrix)
        nodes[node.name] = local
        children = {}
        for child in node.children:
            if child.name not in node.matrix.labels:
                raise JudgmentError(f"child '{child.name}' is not one of the labels of '{node.name}' "
                                    f"({', '.join(node.matrix.labels)})", where=path)
            if child.name in children:
                raise JudgmentError(f"'{child.name}' has two children", where=path)
            children[child.name] = child
        for label, local_weight in local.by_label().items():
            if label in children:
                visit(children[label], weight * local_weight, f"{path} > {label}")
            else:
                totals[label] = totals.get(label, 0.0) + weight * local_weight

    visit(root, 1.0, f"tree '{root.name}'")
    return HierarchyPriorities(totals, nodes)
