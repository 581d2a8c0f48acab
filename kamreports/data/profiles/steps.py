"""Column steps: how one canonical column is got from the export, parsed and checked.

A column is an export column's name, one step, or a list of steps applied in turn. The first step
gives a value (``column``, ``id``, ``value``, ``lookup``, ``aggregate``, ``compute``); the others
change it (``lookup``, ``map``, ``fill``, ``scale``). In a table made with ``one_row_per``, any step
of the column may also say ``repeated:``, the rule that picks one value when a key's rows differ.
:mod:`.apply` evaluates the steps; :mod:`.language` parses the rest of the profile.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .checker import Checker
from .expressions import Expression, ExpressionError, parse_expression

HOWS = ("min", "max", "sum", "count", "first", "last", "top")
#: How a table made with ``one_row_per`` picks one value from a key's rows (:mod:`.combine`).
REPEATED = ("first", "last", "most_frequent", "min", "max", "sum", "count")
SOURCE_OPS = ("column", "id", "value", "lookup", "aggregate", "compute")
TRANSFORM_OPS = ("lookup", "map", "fill", "scale")
MODIFIERS = {"id": ("prefix",), "map": ("other",), "fill": ("reason",)}
LOOKUP_KEYS = ("table", "key", "value", "by")
AGGREGATE_KEYS = ("table", "by", "match", "value", "how", "weight", "where")


@dataclass
class Step:
    op: str
    arg: Any
    options: dict[str, Any] = field(default_factory=dict)
    path: str = ""


def _export_table(arg: dict, where: str, op: str, exports: dict, chk: Checker) -> bool:
    if arg["table"] in exports:
        return True
    chk.add(f"{where}.{op}.table", f"names an export table not listed under 'exports' "
                                   f"({', '.join(exports) or 'none'})", arg["table"])
    return False


def _parse_one(op: str, arg: Any, options: dict[str, Any], where: str, first: bool, exports: dict,
               chk: Checker) -> Any:
    """The checked argument of one step, or None (the problem recorded) when it cannot be used."""
    if op in ("column", "id"):
        if chk.text(arg, f"{where}.{op}") is None:
            return None
        if op == "id" and not isinstance(options.get("prefix", ""), str):
            chk.add(f"{where}.prefix", "must be text", options["prefix"])
    elif op == "value":
        if isinstance(arg, (dict, list)):
            chk.add(f"{where}.value", "must be a single value", arg)
            return None
    elif op == "compute":
        if not isinstance(arg, str):
            chk.add(f"{where}.compute", "must be an expression as text, such as \"sales - profit\" "
                                        "(a constant is {value: ...})", arg)
            return None
        try:
            return parse_expression(arg)
        except ExpressionError as exc:
            chk.add(f"{where}.compute", f"is not arithmetic on columns and numbers: the expression {exc}", arg)
            return None
    elif op == "lookup":
        arg = chk.mapping(arg, f"{where}.lookup", LOOKUP_KEYS)
        need = ("table", "key", "value") + (("by",) if first else ())
        if any(chk.text(arg.get(k), f"{where}.lookup.{k}") is None for k in need):
            return None
        if not _export_table(arg, where, op, exports, chk):
            return None
    elif op == "aggregate":
        arg = dict(chk.mapping(arg, f"{where}.aggregate", AGGREGATE_KEYS))
        if any(chk.text(arg.get(k), f"{where}.aggregate.{k}") is None for k in ("table", "by", "how")):
            return None
        if arg["how"] not in HOWS:
            chk.add(f"{where}.aggregate.how", f"must be one of {', '.join(HOWS)}", arg["how"])
            return None
        if arg["how"] != "count" and chk.text(arg.get("value"), f"{where}.aggregate.value") is None:
            return None
        if not _export_table(arg, where, op, exports, chk):
            return None
        arg["where"] = chk.where(arg.get("where"), f"{where}.aggregate.where")
    elif op == "map":
        if not isinstance(arg, dict) or not arg:
            chk.add(f"{where}.map", "must be a mapping of export values to values", arg)
            return None
        arg = {str(k): (None if v is None else str(v)) for k, v in arg.items()}
        if isinstance(options.get("other", "keep"), (dict, list)) or options.get("other", "keep") is None:
            chk.add(f"{where}.other", "must be keep, empty, or the value for every unlisted value",
                    options.get("other"))
    elif op == "fill":
        arg = parse_steps(arg, f"{where}.fill", exports, chk, nested=True)
        if options.get("reason") is not None and not isinstance(options["reason"], str):
            chk.add(f"{where}.reason", "must be text", options["reason"])
    elif op == "scale":
        if isinstance(arg, bool) or not isinstance(arg, (int, float)):
            chk.add(f"{where}.scale", "must be a number", arg)
            return None
    return arg


def parse_steps(raw: Any, path: str, exports: dict, chk: Checker, nested: bool = False) -> list[Step]:
    """The steps of one column. ``nested``: the steps inside a ``fill``, which take no ``repeated``
    (the rule is the column's, and applies to its final value)."""
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        chk.add(path, "is an empty list of steps")
        return []
    steps: list[Step] = []
    all_ops = tuple(dict.fromkeys(SOURCE_OPS + TRANSFORM_OPS))
    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(raw, list) else path
        if isinstance(item, str):
            item = {"column": item}
        if not isinstance(item, dict):
            chk.add(where, "must be an export column name or a mapping such as {id: account}", item)
            continue
        ops = [k for k in item if k in all_ops]
        allowed = SOURCE_OPS if i == 0 else TRANSFORM_OPS
        if len(ops) != 1:
            chk.add(where, f"must have exactly one step of: {', '.join(all_ops)}", ", ".join(map(str, item)) or None)
            continue
        op = ops[0]
        if op not in allowed:
            first = "start a column (the first step)" if i == 0 else "follow another step"
            chk.add(where, f"'{op}' cannot {first}; use one of: {', '.join(allowed)}")
            continue
        known = (op,) + MODIFIERS.get(op, ()) + (() if nested else ("repeated",))
        for key in (k for k in item if k not in known):
            chk.add(f"{where}.{key}", f"is an unknown key for '{op}' (known: {', '.join(known)})")
        options = {k: item[k] for k in known[1:] if k in item}
        if "repeated" in options and options["repeated"] not in REPEATED:
            chk.add(f"{where}.repeated", f"must be one of {', '.join(REPEATED)}", options["repeated"])
            del options["repeated"]
        arg = _parse_one(op, item[op], options, where, i == 0, exports, chk)
        if arg is None and op != "value":
            continue
        steps.append(Step(op, arg, options, where))
    return steps


def step_refs(steps: list[Step], base: str | None, use: Callable[[str | None, Any, str], None]) -> None:
    """Report each export column the steps read: ``use(export table, column, key path)``."""
    for i, step in enumerate(steps):
        if step.op in ("column", "id"):
            use(base, step.arg, step.path)
        elif step.op == "compute":
            expression: Expression = step.arg
            for name in expression.columns:
                use(base, name, f"{step.path}.compute")
        elif step.op == "lookup":
            use(step.arg["table"], step.arg["key"], step.path)
            use(step.arg["table"], step.arg["value"], step.path)
            if i == 0:
                use(base, step.arg.get("by"), step.path)
        elif step.op == "aggregate":
            arg = step.arg
            use(base, arg["by"], step.path)
            for key in ("match", "value", "weight"):
                use(arg["table"], arg.get(key) if key != "match" else arg.get("match", arg["by"]), step.path)
            for col in arg.get("where", {}):
                use(arg["table"], col, step.path)
        elif step.op == "fill":
            step_refs(step.arg, base, use)
