"""The patches `benchmarks/bench_build.py --patch` compares against (README, Performance) still apply:
every line a patch removes is in today's file, so a benchmark never silently measures a patch that
failed to apply."""
from __future__ import annotations

import re

from tests.conftest import ROOT


def test_every_line_a_benchmark_patch_removes_is_in_the_code():
    patches = sorted((ROOT / "benchmarks" / "patches").glob("*.diff"))
    assert patches
    for patch in patches:
        text = patch.read_text(encoding="utf-8")
        targets = re.findall(r"^\+\+\+ b/(\S+)", text, flags=re.MULTILINE)
        assert targets, patch.name
        for target in targets:
            code = (ROOT / target).read_text(encoding="utf-8").splitlines()
            removed = [line[1:] for line in text.splitlines() if line.startswith("-") and not line.startswith("---")]
            assert removed and all(line in code for line in removed), (patch.name, target)
