"""A deterministic sample company: Northwind Components, a B2B supplier.

The sample exists so that every report meets realistic data, including its
flaws: revenue is heavy-tailed (a log-normal spread of account sizes puts
roughly three quarters of revenue in the top fifth), a few accounts are
subsidiaries of others, and some accounts have gaps — no stakeholders, no
targets, or a single quarter of history — so every section must cope with
missing data. The same seed always gives the same tables.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..periods import parse_quarter, quarter_range
from .dataset import Dataset
from .loaders import tables_from_frames

PRODUCTS = (
    # id, name, family, list price, gross margin share
    ("P01", "Core Platform", "Software", 48000, 0.64),
    ("P02", "Analytics Suite", "Software", 26000, 0.72),
    ("P03", "Integration Services", "Services", 15000, 0.36),
    ("P04", "Support Plus", "Services", 9000, 0.55),
    ("P05", "Training Academy", "Services", 4000, 0.45),
    ("P06", "Sensor Hardware", "Hardware", 12000, 0.24),
    ("P07", "Managed Operations", "Services", 30000, 0.31),
)

_STEMS = (
    "Acme", "Apex", "Arcadia", "Atlas", "Aurora", "Beacon", "Birch", "Bluewater", "Boreal", "Brightline",
    "Cascade", "Cedar", "Cobalt", "Condor", "Crescent", "Delta", "Elm", "Ember", "Everest", "Falcon",
    "Fjord", "Frontier", "Galena", "Garnet", "Granite", "Harbor", "Helix", "Highland", "Horizon", "Ironwood",
    "Juniper", "Keystone", "Kestrel", "Lakeside", "Lumen", "Magnolia", "Maple", "Meridian", "Mesa", "Monarch",
    "Nimbus", "Northgate", "Oakridge", "Onyx", "Orion", "Pacifica", "Pinnacle", "Polaris", "Quarry", "Radiant",
    "Redwood", "Ridgeline", "Sable", "Sequoia", "Sierra", "Silverline", "Solstice", "Summit", "Tidewater", "Timber",
    "Trident", "Tundra", "Vantage", "Vertex", "Willow", "Zenith",
)
_SUFFIXES = (
    "Logistics", "Foods", "Energy", "Health", "Manufacturing", "Retail", "Telecom", "Pharma", "Automotive",
    "Chemicals", "Aerospace", "Utilities", "Financial", "Media", "Mining", "Textiles",
)
_INDUSTRY_OF = {
    "Logistics": "Transport & Logistics", "Foods": "Food & Beverage", "Energy": "Energy", "Health": "Healthcare",
    "Manufacturing": "Manufacturing", "Retail": "Retail", "Telecom": "Telecommunications",
    "Pharma": "Life Sciences", "Automotive": "Automotive", "Chemicals": "Chemicals", "Aerospace": "Aerospace",
    "Utilities": "Utilities", "Financial": "Financial Services", "Media": "Media", "Mining": "Mining",
    "Textiles": "Manufacturing",
}
_REGIONS = ("North America", "EMEA", "APAC", "LATAM")
_OWNERS = ("Maria Lopez", "James Chen", "Aisha Okafor", "Tom Becker", "Priya Nair", "Lars Eriksen",
           "Sofia Rossi", "Daniel Kim")
_FIRST = ("Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kara", "Liam",
          "Mei", "Nora", "Omar", "Paula", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yara", "Zoe")
_LAST = ("Adams", "Baker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Khan",
         "Larsen", "Moreau", "Novak", "Olsen", "Patel", "Quinn", "Reyes", "Schmidt", "Tanaka", "Ueda", "Vogel",
         "Weber", "Young", "Zhang")
_TITLES = (
    # title, level, likely roles
    ("Chief Executive Officer", "executive", ("economic_buyer", "decision_maker")),
    ("Chief Financial Officer", "executive", ("economic_buyer",)),
    ("Chief Operating Officer", "executive", ("decision_maker", "economic_buyer")),
    ("Chief Information Officer", "executive", ("decision_maker", "technical")),
    ("VP Procurement", "management", ("decision_maker", "influencer")),
    ("VP Operations", "management", ("champion", "decision_maker")),
    ("Head of IT Architecture", "management", ("technical",)),
    ("Director of Supply Chain", "management", ("champion", "influencer")),
    ("Procurement Manager", "operational", ("influencer",)),
    ("Plant Manager", "operational", ("end_user", "champion")),
    ("Systems Engineer", "operational", ("technical", "end_user")),
    ("Operations Analyst", "operational", ("end_user",)),
)


@dataclass(frozen=True)
class SampleSpec:
    """What to generate. ``accounts`` scales the company (benchmarks use thousands)."""

    seed: int = 7
    accounts: int = 150
    end_quarter: str = "2026Q3"
    quarters: int = 12


def _account_names(n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    combos = [(s, x) for s in _STEMS for x in _SUFFIXES]
    order = rng.permutation(len(combos))
    names = [(f"{combos[i][0]} {combos[i][1]}", combos[i][1]) for i in order[: min(n, len(combos))]]
    k = 2
    while len(names) < n:  # large benchmark portfolios: numbered divisions keep names unique
        names += [(f"{name} {k}", suffix) for name, suffix in names[: n - len(names)] if " " in name]
        k += 1
    return names[:n]


def generate_sample(spec: SampleSpec | None = None) -> dict[str, pd.DataFrame]:
    """Raw canonical tables (typed values, not yet validated) for the sample company."""
    spec = spec or SampleSpec()
    rng = np.random.default_rng(spec.seed)
    n = spec.accounts
    quarters = quarter_range(spec.end_quarter, spec.quarters)
    first_q = parse_quarter(quarters[0])
    last_q = parse_quarter(quarters[-1])

    # --- accounts -------------------------------------------------------------------------
    ids = [f"ACC-{i + 1:04d}" for i in range(n)]
    names = _account_names(n, rng)
    # Quarterly revenue run-rate, log-normal: sigma 1.6 puts ~78% in the top 20%.
    size = np.sort(np.exp(rng.normal(np.log(60_000), 1.6, n)))[::-1]
    tenure_years = rng.uniform(0.5, 16, n)
    newcomers = rng.choice(np.arange(n // 3, n), size=max(1, n // 50), replace=False)  # one quarter of history
    start = [last_q.start_time - pd.Timedelta(days=int(365.25 * t)) for t in tenure_years]
    for i in newcomers:
        start[i] = last_q.start_time + pd.Timedelta(days=int(rng.integers(0, 30)))
    strategic_boost = rng.random(n) < 0.08  # small accounts with strategic promise
    # The accounts the company already manages as key: the largest ~13% and a few strategic small ones.
    # They get KAM cost, full stakeholder maps, better fit scores, and (the programme's effect) faster growth.
    keyish = (np.arange(n) < max(3, int(n * 0.13))) | strategic_boost
    accounts = pd.DataFrame({
        "account_id": ids,
        "name": [nm for nm, _ in names],
        "parent_id": pd.Series([None] * n, dtype="object"),
        "industry": [_INDUSTRY_OF[sfx] for _, sfx in names],
        "region": rng.choice(_REGIONS, n, p=[0.4, 0.33, 0.18, 0.09]),
        "owner": [_OWNERS[i % 3] if keyish[i] else _OWNERS[int(rng.integers(0, len(_OWNERS)))]
                  for i in range(n)],
        "start_date": start,
        "wallet_estimate": np.round(size * 4 / rng.uniform(0.15, 0.8, n), -3),
        "product_fit": np.where(keyish, rng.integers(6, 11, n), rng.integers(3, 9, n)).astype(float),
        "solvency": rng.integers(4, 11, n).astype(float),
        "strategic_value": np.where(strategic_boost, rng.integers(8, 11, n), rng.integers(2, 9, n)).astype(float),
    })
    for col in ("product_fit", "solvency", "strategic_value"):  # analyst scores are not always entered
        accounts.loc[rng.random(n) < 0.1, col] = np.nan
    # Parent/subsidiary pairs: a subsidiary carries its parent's name (a substring case).
    for parent, child in ((0, n - 1), (3, n - 2), (10, n - 3), (25, n - 4))[: max(0, min(4, n // 10))]:
        region = ["Nordic", "Iberia", "Asia", "Canada"][parent % 4]
        accounts.loc[child, "name"] = f"{accounts.loc[parent, 'name']} {region}"
        accounts.loc[child, "parent_id"] = ids[parent]
        accounts.loc[child, "industry"] = accounts.loc[parent, "industry"]

    # --- revenue by account, product and quarter -----------------------------------------
    growth = rng.normal(0.05, 0.12, n) + np.where(keyish, 0.05, 0.0)  # key accounts grow faster
    n_products = len(PRODUCTS)
    breadth = np.clip(np.round(1 + np.log10(size / 5_000) * 1.6 + rng.normal(0, 0.8, n)), 1, n_products).astype(int)
    rows = []
    for i in range(n):
        bought = rng.choice(n_products, size=breadth[i], replace=False)
        mix = rng.dirichlet(np.ones(breadth[i]) * 2)
        acct_start = pd.Period(start[i], freq="Q")
        for qi, q in enumerate(quarters):
            period = parse_quarter(q)
            if period < acct_start:
                continue
            years_from_end = (len(quarters) - 1 - qi) / 4
            level = size[i] / (1 + growth[i]) ** years_from_end
            season = 1.08 if period.quarter == 4 else 1.0
            for j, share in zip(bought, mix):
                amount = level * share * season * rng.lognormal(0, 0.08)
                if amount < 50:
                    continue
                margin = PRODUCTS[j][4] + rng.normal(0, 0.03)
                rows.append((ids[i], period.start_time + pd.Timedelta(days=int(rng.integers(10, 80))),
                             PRODUCTS[j][0], round(amount, 2), round(amount * (1 - margin), 2)))
    revenue = pd.DataFrame(rows, columns=["account_id", "date", "product_id", "revenue", "cogs"])

    # --- targets: last year's revenue plus planned growth; some accounts have none --------
    by_q = revenue.assign(quarter=revenue["date"].dt.to_period("Q")).groupby(["account_id", "quarter"])["revenue"].sum()
    no_targets = set(rng.choice(ids[: n // 5], size=max(1, n // 75), replace=False)) | set(
        rng.choice(ids[n // 5:], size=max(1, n // 50), replace=False))
    trows = []
    for (acct, period), value in by_q.items():
        if acct in no_targets:
            continue
        prior = by_q.get((acct, period - 4))
        base = prior if prior is not None else value / (1 + rng.normal(0.05, 0.05))
        trows.append((acct, f"{period.year}Q{period.quarter}", round(base * 1.08, -2)))
    # The plan covers the whole year: targets for the quarters still to come, from last year's revenue.
    for q in range(last_q.quarter + 1, 5):
        future = pd.Period(year=last_q.year, quarter=q, freq="Q")
        for acct in sorted({a for a, _ in by_q.index} - no_targets):
            prior = by_q.get((acct, future - 4))
            if prior is not None:
                trows.append((acct, f"{future.year}Q{future.quarter}", round(prior * 1.08, -2)))
    targets = pd.DataFrame(trows, columns=["account_id", "quarter", "target"])

    # --- opportunities -------------------------------------------------------------------
    orows = []
    span_days = (last_q.end_time - first_q.start_time).days
    for i in range(n):
        for k in range(int(rng.poisson(2 + 6 * keyish[i]))):
            created = first_q.start_time + pd.Timedelta(days=int(rng.integers(0, span_days)))
            close = created + pd.Timedelta(days=int(rng.integers(30, 240)))
            stage = "open" if close > last_q.end_time else ("won" if rng.random() < 0.45 else "lost")
            orows.append((f"OPP-{i + 1:04d}-{k + 1:02d}", ids[i], PRODUCTS[int(rng.integers(0, n_products))][0],
                          stage, round(size[i] * rng.uniform(0.1, 0.8), -2), created, close,
                          round(float(rng.uniform(0.1, 0.9)), 2) if stage == "open"
                          else (1.0 if stage == "won" else 0.0)))
    opportunities = pd.DataFrame(orows, columns=["opportunity_id", "account_id", "product_id", "stage", "amount",
                                                 "created_date", "close_date", "probability"])
    # where an open deal stands, from its probability (no random draw: the other tables stay as they were)
    stages = pd.cut(opportunities["probability"], [0, 0.3, 0.6, 1.0], labels=["Qualify", "Propose", "Negotiate"])
    opportunities["pipeline_stage"] = stages.astype("object").where(opportunities["stage"] == "open", None)

    # --- stakeholders: 3-12 for key accounts, a few (or none) for the rest ----------------
    silent = set(rng.choice(np.flatnonzero(keyish), size=min(2, int(keyish.sum())), replace=False))
    srows = []
    as_of = last_q.end_time
    for i in range(n):
        if i in silent:
            continue
        count = int(rng.integers(3, 13)) if keyish[i] else int(rng.choice([0, 0, 1, 2, 3]))
        used: set[str] = set()
        for t in rng.permutation(len(_TITLES))[:count]:
            title, level, roles = _TITLES[t]
            while True:
                person = f"{_FIRST[int(rng.integers(0, len(_FIRST)))]} {_LAST[int(rng.integers(0, len(_LAST)))]}"
                if person not in used:
                    used.add(person)
                    break
            srows.append((ids[i], person, title, roles[int(rng.integers(0, len(roles)))], level,
                          int(rng.integers(1, 6)) if level != "executive" else int(rng.integers(3, 6)),
                          int(rng.choice([-2, -1, 0, 1, 1, 2, 2])),
                          as_of - pd.Timedelta(days=int(rng.exponential(60)))))
    stakeholders = pd.DataFrame(srows, columns=["account_id", "name", "title", "role", "level", "influence",
                                                "sentiment", "last_contact"])

    # --- KAM cost to serve, NPS ----------------------------------------------------------
    q_rev = by_q.reset_index()
    kam_share = np.where(keyish, 0.05, 0.015)
    fixed = np.where(keyish, 6_000, 500)
    idx = {a: i for i, a in enumerate(ids)}
    pos = q_rev["account_id"].map(idx).to_numpy()
    kam_costs = pd.DataFrame({
        "account_id": q_rev["account_id"],
        "quarter": [f"{p.year}Q{p.quarter}" for p in q_rev["quarter"]],
        "cost": np.round(q_rev["revenue"].to_numpy() * kam_share[pos]
                         + fixed[pos] * rng.uniform(0.8, 1.2, len(q_rev)), 2),
    })
    frows = []
    for i in range(n):
        if rng.random() < 0.35:
            continue
        base = 8.2 if keyish[i] else 7.0
        for _ in range(int(rng.integers(1, 5))):
            when = first_q.start_time + pd.Timedelta(days=int(rng.integers(0, span_days)))
            frows.append((ids[i], when, int(np.clip(round(rng.normal(base, 1.6)), 0, 10))))
    feedback = pd.DataFrame(frows, columns=["account_id", "date", "nps"])

    products = pd.DataFrame([p[:4] for p in PRODUCTS], columns=["product_id", "name", "family", "list_price"])
    return {"accounts": accounts, "products": products, "revenue": revenue, "targets": targets,
            "opportunities": opportunities, "stakeholders": stakeholders, "kam_costs": kam_costs,
            "feedback": feedback}


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[col] = values.dt.strftime("%Y-%m-%d").fillna("")
        else:
            out[col] = values.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else
                                  (f"{v:.0f}" if isinstance(v, float) and float(v).is_integer() else str(v)))
    return out


def sample_dataset(spec: SampleSpec | None = None) -> Dataset:
    """The sample company, validated through the same path as user data."""
    raw = {name: _as_text(frame) for name, frame in generate_sample(spec).items()}
    return tables_from_frames(raw, {name: f"sample:{name}" for name in raw}, origin="sample")
