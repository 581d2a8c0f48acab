"""Computed columns (``compute: "sales - profit"``): a small arithmetic language, parsed, never ``eval``-ed.

An export often holds the parts of a figure, not the figure: cost of goods is sales minus profit,
revenue is quantity times unit price. An expression names the export's columns (after renaming) and
numbers, joined by ``+ - * /`` and parentheses; a column whose name is not a plain word goes in
backticks (`` `Unit Price` * quantity ``). It is parsed when the profile is loaded, so a typing error
stops the run before any data is read, and evaluated on numbers only: a cell that is not a number is a
problem naming the file, row, column and value, never a silent zero. Python's ``eval`` would run
whatever a profile says; this parser only knows arithmetic.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_TOKEN = re.compile(r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|`(?P<quoted>[^`]+)`|(?P<op>[-+*/()]))")
#: A cell that is a plain number: what ``numbers:`` cleaning leaves, or what the export wrote.
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


class ExpressionError(ValueError):
    """The expression's text is not arithmetic on columns and numbers; the message says where."""


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class ColumnRef:
    name: str


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Number | ColumnRef | Negate | Binary


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text (for messages), its tree and the columns it reads, in order."""
    text: str
    tree: Node
    columns: tuple[str, ...]


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            at = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise ExpressionError(f"{text[at]!r} at character {at + 1} is not a column, a number or + - * / ( ); "
                                  "put a column name with spaces or other signs in backticks: `Unit Price`")
        kind = match.lastgroup or "op"
        value = match.group(kind)
        out.append(("name" if kind == "quoted" else kind, value, match.start(kind) + 1))
        pos = match.end()
    return out


class _Parser:
    """Recursive descent: expr = term (+|- term)*; term = factor (*|/ factor)*; factor = -factor | atom."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionError("is empty")
        node = self.expr()
        extra = self.peek()
        if extra is not None:
            raise ExpressionError(f"'{extra[1]}' at character {extra[2]} follows a complete expression; "
                                  "an operator (+ - * /) is missing before it")
        return node

    def expr(self) -> Node:
        node = self.term()
        while (tok := self.peek()) is not None and tok[0] == "op" and tok[1] in "+-":
            self.pos += 1
            node = Binary(tok[1], node, self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while (tok := self.peek()) is not None and tok[0] == "op" and tok[1] in "*/":
            self.pos += 1
            node = Binary(tok[1], node, self.factor())
        return node

    def factor(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise ExpressionError("ends too early: a column or number is missing at the end")
        kind, value, at = tok
        self.pos += 1
        if kind == "number":
            return Number(float(value))
        if kind == "name":
            return ColumnRef(value)
        if value in "+-":
            operand = self.factor()
            return operand if value == "+" else Negate(operand)
        if value == "(":
            node = self.expr()
            close = self.peek()
            if close is None or close[1] != ")":
                raise ExpressionError(f"the '(' at character {at} is never closed")
            self.pos += 1
            return node
        raise ExpressionError(f"'{value}' at character {at} needs a column or number before it")


def _columns(node: Node) -> list[str]:
    if isinstance(node, ColumnRef):
        return [node.name]
    if isinstance(node, Negate):
        return _columns(node.operand)
    if isinstance(node, Binary):
        return _columns(node.left) + _columns(node.right)
    return []


def parse_expression(text: str) -> Expression:
    """The expression in ``text``, or :class:`ExpressionError` saying what is wrong and where."""
    tree = _Parser(text).parse()
    return Expression(text.strip(), tree, tuple(dict.fromkeys(_columns(tree))))


@dataclass
class Evaluated:
    """The result (float, NaN where empty) and the rows it could not compute, by reason."""
    values: pd.Series
    divided_by_zero: pd.Series        # bool per row
    empty_input: pd.Series            # bool per row: some column it reads is empty


def numeric_cells(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Cells as float64 (NaN where empty) and a mask of the cells that are filled but not a plain number.
    "nan", "inf" and "1,200" are not numbers here: the export's ``numbers:`` cleaning reads "1,200"."""
    text = values.astype(object).where(values.notna(), None)
    filled = text.notna()
    as_text = text[filled].astype(str).str.strip()
    ok = as_text.str.fullmatch(_NUMBER)
    numbers = pd.Series(np.nan, index=values.index, dtype="float64")
    numbers[ok[ok].index] = pd.to_numeric(as_text[ok], errors="coerce")
    bad = pd.Series(False, index=values.index)
    bad[ok[~ok].index] = True
    return numbers, bad


def evaluate(expression: Expression, inputs: dict[str, pd.Series], index: pd.Index) -> Evaluated:
    """Evaluate row by row (vectorised: each row's result depends on that row only) on float inputs.

    An empty input gives an empty result; a division by zero gives an empty result, flagged so the
    quality report can count it; a result too large to hold (inf) is left empty with them."""
    zero = pd.Series(False, index=index)

    def run(node: Node) -> pd.Series:
        nonlocal zero
        if isinstance(node, Number):
            return pd.Series(node.value, index=index, dtype="float64")
        if isinstance(node, ColumnRef):
            return inputs[node.name]
        if isinstance(node, Negate):
            return -run(node.operand)
        left, right = run(node.left), run(node.right)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        by_zero = left.notna() & (right == 0)
        zero |= by_zero
        with np.errstate(divide="ignore", invalid="ignore"):
            return (left / right.where(right != 0)).astype("float64")

    with np.errstate(over="ignore", invalid="ignore"):
        values = run(expression.tree)
    empty = pd.Series(False, index=index)
    for name in expression.columns:
        empty |= inputs[name].isna()
    values = values.where(np.isfinite(values))
    return Evaluated(values, zero & ~empty, empty)
