"""Compare two builds of the same quarter: are the figures and the page texts the same?

    .venv/bin/python tools/compare_builds.py OLD_QUARTER_FOLDER NEW_QUARTER_FOLDER

Checks that ``accounts.csv`` and ``roi.csv`` are byte-identical and that every PDF (each pack and
the book) has the same number of pages with the same text on each page. The footer's short inputs
hash (``inputs 1a2b3c4d``) fingerprints the code too, so it is masked before comparing: a refactor
changes it by design. Prints one line per file and exits 1 on any difference.
"""
from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

INPUTS_HASH = re.compile(r"inputs [0-9a-f]{8}")


def page_texts(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [INPUTS_HASH.sub("inputs ########", page.extract_text() or "") for page in PdfReader(pdf).pages]


def compare_pdf(old: Path, new: Path) -> list[str]:
    a, b = page_texts(old), page_texts(new)
    problems = []
    if len(a) != len(b):
        problems.append(f"{len(a)} pages before, {len(b)} after")
    for number, (before, after) in enumerate(zip(a, b), start=1):
        if before != after:
            diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            shown = [line for line in diff if not line.startswith(("---", "+++", "@@"))][:6]
            problems.append(f"page {number} differs: " + " | ".join(shown))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="a quarter folder, e.g. output/2026Q3 of the earlier build")
    parser.add_argument("new", type=Path, help="the same quarter folder of the later build")
    args = parser.parse_args(argv)
    failures = 0
    for name in ("accounts.csv", "roi.csv"):
        same = (args.old / name).read_bytes() == (args.new / name).read_bytes()
        failures += not same
        print(f"{'identical' if same else 'DIFFERENT'}  {name} (bytes)")
    old_pdfs = sorted(p.relative_to(args.old) for p in args.old.rglob("*.pdf"))
    new_pdfs = sorted(p.relative_to(args.new) for p in args.new.rglob("*.pdf"))
    for missing in sorted(set(old_pdfs) ^ set(new_pdfs)):
        failures += 1
        print(f"MISSING    {missing} (in only one build)")
    for rel in sorted(set(old_pdfs) & set(new_pdfs)):
        problems = compare_pdf(args.old / rel, args.new / rel)
        failures += bool(problems)
        pages = len(page_texts(args.new / rel))
        print(f"{'identical' if not problems else 'DIFFERENT'}  {rel} ({pages} pages, text of every page)")
        for problem in problems:
            print(f"           {problem}")
    print(f"\n{'no differences' if not failures else f'{failures} file(s) differ'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
