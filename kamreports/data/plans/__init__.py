"""Account plans: the team's judgement per account, one YAML file each (``<account_id>.yaml``).

:mod:`.sections` declares what a plan holds (format 2; format 1 files are read unchanged),
:mod:`.reader` reads and checks the files.
"""
from __future__ import annotations

from .reader import load_plan, parse_plan, plan_files, plan_path, safe_plan_name, validate_plan_files
from .sections import (
    PLAN_FORMAT,
    Action,
    Ask,
    Business,
    Competitor,
    Decision,
    Goal,
    Governance,
    Meeting,
    PlanInputs,
    Risk,
    TeamMember,
    ValueDelivered,
    ValueItem,
    is_done,
)

__all__ = ["PLAN_FORMAT", "Action", "Ask", "Business", "Competitor", "Decision", "Goal", "Governance", "Meeting",
           "PlanInputs", "Risk", "TeamMember", "ValueDelivered", "ValueItem", "is_done", "load_plan", "parse_plan",
           "plan_files", "plan_path", "safe_plan_name", "validate_plan_files"]
