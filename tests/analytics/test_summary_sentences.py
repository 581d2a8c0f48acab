"""Every summary sentence of the portfolio review and of its ROI page, against an independent computation.

Each test works its figures out from the raw tables (revenue, KAM costs, accounts) with plain pandas,
not with ``kamreports.analytics``, builds the sentence the page must print, and compares it with what
the page's sentences say. Hand-made portfolios (``tests.conftest.small_company``) hit each edge: no
manager, one manager, no loss-making account, every account growing, one declining, all NPS missing,
a negative ROI, an account with no recent revenue, a key account that started buying inside the prior
window; the sample company is checked the same way.

Percentages are formatted here by hand ("+3.3%", "0.0%": a value that rounds to zero has no sign);
money with ``kamreports.formatting.money``, which has its own tests.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamreports.analytics.narrative import portfolio_sentences
from kamreports.formatting import money
from kamreports.model import Portfolio, build_portfolio
from kamreports.periods import parse_quarter
from tests.conftest import Q, small_company, small_settings

# --- independent figures from the raw tables ---------------------------------------------------------


def pct(value: float, signed: bool = False, decimals: int = 0) -> str:
    v = value * 100
    if round(v, decimals) == 0:
        return f"{0:.{decimals}f}%"
    return f"{v:+.{decimals}f}%" if signed else f"{v:.{decimals}f}%"


def quarters_back(quarter: str, n: int, skip: int = 0) -> list[str]:
    """The ``n`` quarters ending ``skip`` quarters before ``quarter``, oldest first."""
    end = parse_quarter(quarter) - skip
    return [str(end - i) for i in range(n - 1, -1, -1)]


def by_account(portfolio: Portfolio) -> pd.DataFrame:
    """Per account, from the raw revenue and KAM-cost tables: revenue, gross profit and cost in the
    current and prior windows, the first quarter with revenue, key flag and owner."""
    ds, quarter = portfolio.dataset, portfolio.quarter
    current, prior = quarters_back(quarter, 4), quarters_back(quarter, 4, 4)
    rev = ds.revenue.assign(q=ds.revenue["date"].dt.to_period("Q").astype(str),
                            gp=ds.revenue["revenue"] - ds.revenue["cogs"].fillna(0))
    cost = ds.kam_costs.assign(q=ds.kam_costs["quarter"].astype(str))
    ids = sorted(set(rev["account_id"]) | set(cost["account_id"]))
    out = pd.DataFrame(index=pd.Index(ids, name="account_id"))
    for label, window in (("cur", current), ("pri", prior)):
        part = rev[rev["q"].isin(window)].groupby("account_id")
        out[f"rev_{label}"] = part["revenue"].sum().reindex(ids).fillna(0.0)
        out[f"gp_{label}"] = part["gp"].sum().reindex(ids).fillna(0.0)
        out[f"cost_{label}"] = cost[cost["q"].isin(window)].groupby("account_id")["cost"].sum().reindex(ids).fillna(0.0)
    selling = rev[rev["revenue"] > 0]
    out["first"] = selling.groupby("account_id")["q"].min().reindex(ids)
    data_start = min(selling["q"], key=parse_quarter)
    cutoff = max(prior[0], data_start, key=parse_quarter)
    out["established"] = out["first"].map(lambda q: isinstance(q, str) and parse_quarter(q) <= parse_quarter(cutoff))
    accounts = ds.accounts.set_index("account_id")
    out["owner"] = accounts["owner"].reindex(ids)
    out["name"] = accounts["name"].reindex(ids)
    out["is_key"] = portfolio.summary["is_key"].reindex(ids).fillna(False).astype(bool)
    return out


def expected_portfolio_sentences(portfolio: Portfolio) -> list[str]:
    ds, quarter = portfolio.dataset, portfolio.quarter
    t4q = ds.revenue[ds.revenue["date"].dt.to_period("Q").astype(str).isin(quarters_back(quarter, 4))] \
        .groupby("account_id")["revenue"].sum()
    active = t4q[t4q > 0].sort_values(ascending=False)
    n, total = len(active), active.sum()
    k = max(1, math.ceil(0.2 * n - 1e-9))
    left_out = len(portfolio.summary) - n
    window = f"{quarters_back(quarter, 4)[0]}-{quarter}"
    first = (f"{n} account{'s' if n != 1 else ''} had revenue in the last four quarters ({window}): "
             f"{money(total)} in all.")
    if left_out:
        first += (f" {left_out} account{'s' if left_out != 1 else ''} with revenue only before then "
                  f"{'is' if left_out == 1 else 'are'} not counted in these figures.")
    who = "the largest account" if k == 1 else f"the {k} largest by that revenue"
    keys = portfolio.summary.index[portfolio.summary["is_key"]]
    key_share = active.reindex(keys).fillna(0).sum() / total
    subject = "The key account" if len(keys) == 1 else f"The {len(keys)} key accounts"
    out = [first, f"The top 20% of them ({who}) brought {active.head(k).sum() / total:.0%} of it.",
           f"{subject} brought {key_share:.0%} of it."]
    # a key account with no stakeholder mapped is in no quadrant: counted apart, never as a quadrant
    mapped = pd.Index(keys).isin(portfolio.dataset.stakeholders["account_id"])
    quad = portfolio.summary.loc[pd.Index(keys)[mapped], "quadrant"].value_counts()
    unplaced = int((~mapped).sum())
    if len(keys) == 1 and len(quad):
        out.append(f"On the KAM matrix the key account sits in the {quad.index[0]} quadrant.")
    elif len(quad):
        parts = [f"{c} {q}" for q, c in quad.items()]
        out.append("On the KAM matrix the key accounts sit as: "
                   + (parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]) + ".")
    if unplaced:
        if unplaced < len(keys):
            subject = f"{unplaced} of the {len(keys)} key accounts {'has' if unplaced == 1 else 'have'}"
        else:
            subject = {1: "The key account has", 2: "Both key accounts have"}.get(
                len(keys), f"All {len(keys)} key accounts have")
        out.append(f"{subject} no stakeholders mapped: relationship not assessed, in no quadrant of the KAM matrix.")
    return out


def expected_programme(portfolio: Portfolio) -> dict:
    """The programme ROI worked out from :func:`by_account`: the ROI's cohort is the accounts that were
    customers for the whole prior window; peers by size band (3 equal-count bands of prior revenue, at
    least 3 peers, else all non-key) or all non-key accounts, as the settings say; extra cost."""
    s = portfolio.settings.roi
    f = by_account(portfolio)
    cohort = f[(f["rev_pri"] > 0) & f["established"]].copy()
    rank = cohort["rev_pri"].rank(method="average")
    cohort["band"] = (np.floor((rank - 1) * s.size_bands / len(cohort)) + 1).clip(1, s.size_bands).astype(int)
    keys, peers = cohort[cohort["is_key"]], cohort[~cohort["is_key"]]

    def rates(group: pd.DataFrame) -> tuple[float, float, float]:
        return (group["gp_cur"].sum() / group["gp_pri"].sum() - 1, group["rev_cur"].sum() / group["rev_pri"].sum() - 1,
                group["cost_cur"].sum() / group["rev_cur"].sum())

    rows = []
    for _, k in keys.iterrows():
        group = peers[peers["band"] == k["band"]] if s.match == "size" else peers
        if s.match == "size" and (len(group) < s.min_peers or group["gp_pri"].sum() <= 0):
            group = peers
        g, rg, rate = rates(group)
        rows.append({"gp_pri": k["gp_pri"], "gp_cur": k["gp_cur"], "rev_pri": k["rev_pri"], "rev_cur": k["rev_cur"],
                     "baseline": k["gp_pri"] * (1 + g), "base_rev": k["rev_pri"] * (1 + rg),
                     "extra": k["cost_cur"] - k["rev_cur"] * rate})
    m = pd.DataFrame(rows)
    incremental = m["gp_cur"].sum() - m["baseline"].sum()
    cost = m["extra"].sum()
    return {"keys": len(m), "left_out": int(f["is_key"].sum()) - len(m), "incremental": incremental, "cost": cost,
            "roi": (incremental - cost) / cost,
            "key_rev_growth": m["rev_cur"].sum() / m["rev_pri"].sum() - 1,
            "key_gp_growth": m["gp_cur"].sum() / m["gp_pri"].sum() - 1,
            "peer_rev_growth": m["base_rev"].sum() / m["rev_pri"].sum() - 1,
            "peer_gp_growth": m["baseline"].sum() / m["gp_pri"].sum() - 1,
            "payback": cost / (incremental / 12) if incremental > 0 else float("nan")}


def expected_roi_sentences(portfolio: Portfolio) -> list[str]:
    """Every ROI finding, in order, from :func:`by_account` and :func:`expected_programme`."""
    quarter, s = portfolio.quarter, portfolio.settings.roi
    current, prior = quarters_back(quarter, 4), quarters_back(quarter, 4, 4)
    cw, pw = f"{current[0]}-{current[-1]}", f"{prior[0]}-{prior[-1]}"
    f = by_account(portfolio)
    p = expected_programme(portfolio)
    out = [f"Key accounts in the ROI against their matched peers, last four quarters against the four before "
           f"({cw} vs {pw}, ratios of sums): the {p['keys']} key account{'s' if p['keys'] != 1 else ''} grew revenue "
           f"{pct(p['key_rev_growth'], True, 1)} and gross profit {pct(p['key_gp_growth'], True, 1)}; the non-key "
           f"accounts matched with them {pct(p['peer_rev_growth'], True, 1)} and {pct(p['peer_gp_growth'], True, 1)}."]
    if p["cost"] <= 0:
        out.append("The programme's return cannot be computed: no programme cost: key accounts cost no more to "
                   "serve per revenue dollar than their peers.")
    elif p["incremental"] < 0:
        out.append(f"In {cw} key accounts earned {money(-p['incremental'])} less gross profit than their baseline, "
                   f"on top of {money(p['cost'])} of extra KAM cost (ROI {pct(p['roi'], True)}).")
    elif p["roi"] >= 0:
        out.append(f"In {cw} the programme returned {p['roi'] + 1:.1f}× its cost: {money(p['incremental'])} of gross "
                   f"profit above the baseline for {money(p['cost'])} of extra KAM cost (ROI {pct(p['roi'], True)}).")
    else:
        out.append(f"In {cw} the programme did not cover its cost: {money(p['incremental'])} of gross profit above "
                   f"the baseline for {money(p['cost'])} of extra KAM cost (ROI {pct(p['roi'], True)}).")
    if p["cost"] > 0:
        out.append(f"Payback: {p['payback']:.1f} months of incremental gross profit cover the programme cost."
                   if p["incremental"] > 0 else
                   "The programme does not pay back: it earned no gross profit above the baseline.")
    # retention: the cohort of the prior window (revenue then), per group
    ret = {}
    for label, g in (("key", f[f["is_key"]]), ("other", f[~f["is_key"]])):
        c = g[g["rev_pri"] > 0]
        start = c["rev_pri"].sum()
        expansion = (c["rev_cur"] - c["rev_pri"]).clip(lower=0).sum()
        contraction = (c["rev_pri"] - c["rev_cur"]).clip(lower=0).where(c["rev_cur"] > 0, 0).sum()
        churn = c["rev_pri"].where(c["rev_cur"] <= 0, 0).sum()
        ret[label] = ((start - contraction - churn) / start, (start + expansion - contraction - churn) / start)
        rev = g["rev_cur"].sum()
        ret[label] += (g["cost_cur"].sum() / rev, (g["gp_cur"].sum() - g["cost_cur"].sum()) / rev)
    (kg, kn, kc, kp), (og, on, oc, op) = ret["key"], ret["other"]
    out.append(f"Of the revenue they brought in the four quarters before ({pw}), key accounts kept "
               f"{pct(kg, decimals=1)} leaving out expansion (GRR) and {pct(kn, decimals=1)} with it (NRR); other "
               f"accounts {pct(og, decimals=1)} and {pct(on, decimals=1)}.")
    out.append(f"In {cw} key accounts cost {pct(kc, decimals=1)} of revenue to serve and kept {pct(kp, decimals=1)} of "
               f"revenue as profit after it; other accounts {pct(oc, decimals=1)} and {pct(op, decimals=1)}.")
    # whale: accounts with revenue or cost now, by profit, most profitable first (ties by id)
    active = f[(f["rev_cur"] != 0) | (f["cost_cur"] != 0)].assign(profit=lambda d: d["gp_cur"] - d["cost_cur"])
    ranked = active.sort_index().sort_values("profit", ascending=False, kind="mergesort")
    n, losers = len(ranked), int((ranked["profit"] < 0).sum())
    population = f"{n} account{'s' if n != 1 else ''} with revenue or KAM cost in {cw}"
    if losers == 0:
        text = f"No account loses money after cost to serve: all {population} made a profit or broke even"
    else:
        lost = -ranked.loc[ranked["profit"] < 0, "profit"].sum()
        peak = ranked["profit"].cumsum().max()
        text = (f"{losers} of the {population} ({pct(losers / n)}) {'loses' if losers == 1 else 'lose'} money after "
                f"cost to serve: {money(lost)} in all, against {money(peak)} earned by the others")
    key_ranks = [i + 1 for i, key in enumerate(ranked["is_key"]) if key]
    text += (f". The key accounts' median rank by profit is {float(np.median(key_ranks)):g} of {n} "
             "(1 = the most profitable)." if len(key_ranks) > 1 else
             f". The key account ranks {key_ranks[0]} of {n} by profit (1 = the most profitable).")
    out.append(text)
    out.append(expected_manager_sentence(f, s.min_key_accounts, s.max_key_accounts))
    # this quarter against the previous one and a year earlier, key accounts' revenue
    rev = portfolio.dataset.revenue
    key_rev = rev[rev["account_id"].isin(f.index[f["is_key"]])]
    by_q = key_rev.groupby(key_rev["date"].dt.to_period("Q").astype(str))["revenue"].sum()
    now, before, year_ago = (by_q.get(q, 0.0) for q in (quarter, str(parse_quarter(quarter) - 1),
                                                        str(parse_quarter(quarter) - 4)))
    out.append(f"This quarter ({quarter}) key accounts' revenue was {pct(now / before - 1, True, 1)} on the previous "
               f"quarter and {pct(now / year_ago - 1, True, 1)} on the same quarter last year.")
    return out


def expected_manager_sentence(f: pd.DataFrame, low: int, high: int) -> str:
    owners = f["owner"].where(f["owner"].notna() & (f["owner"] != ""))
    keys_per = f[f["is_key"]].groupby(owners[f["is_key"]])["is_key"].size()
    key_revenue = f[f["is_key"]].groupby(owners[f["is_key"]])["rev_cur"].sum()
    managers = set(owners.dropna())
    unassigned = int((f["is_key"] & owners.isna()).sum())
    others = len(managers - set(keys_per.index))
    guide = f"the guideline of {low}-{high} key accounts each"
    if keys_per.empty:
        text = "No manager looks after a key account"
        if unassigned:
            text += (": the key account has" if unassigned == 1 else f": all {unassigned} key accounts have") \
                + " no manager in the accounts table"
        text += "."
    elif len(keys_per) == 1:
        name, count = keys_per.index[0], int(keys_per.iloc[0])
        where = "above" if count > high else "below" if count < low else "within"
        total = int(f["is_key"].sum())
        share = (f"all {count} key account{'s' if count != 1 else ''}" if count == total
                 else f"{count} of the {total} key accounts")
        text = f"One manager, {name}, looks after {share}: {where} {guide}."
    else:
        # as the load table lists them: most key accounts first, then the larger key-account revenue
        order = pd.DataFrame({"n": keys_per, "rev": key_revenue}).sort_values(["n", "rev"], ascending=False)["n"]
        within = order[(order >= low) & (order <= high)]
        over, below = order[order > high], order[order < low]

        def who(part: pd.Series) -> str:
            names = [f"{name} with {int(c)}" for name, c in part.items()]
            return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

        parts = ([f"{len(within)} within it"] if len(within) else []) + \
            ([f"{len(over)} above it ({who(over)})"] if len(over) else []) + \
            ([f"{len(below)} below it ({who(below)})"] if len(below) else [])
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        text = f"{len(keys_per)} managers look after key accounts, against {guide}: {listed}."
    if others:
        text += f" {others} other manager{'s' if others != 1 else ''} look{'s' if others == 1 else ''} after only " \
                "non-key accounts."
    if unassigned and not keys_per.empty:
        text += f" {unassigned} key account{'s' if unassigned != 1 else ''} {'has' if unassigned == 1 else 'have'} " \
                "no manager."
    return text


def texts(portfolio: Portfolio) -> list[str]:
    return [finding.text for finding in portfolio.roi.sentences]


# --- the hand-made portfolios, one edge each -----------------------------------------------------------

def company(accounts: list[dict], keys: list[str], nps: dict | None = None, **roi: object) -> Portfolio:
    return build_portfolio(small_company(accounts, nps), small_settings(keys, **roi), Q)


NO_MANAGER = [dict(id="K1", owner=None, prior=100, current=120, cost=5),
              dict(id="K2", owner=None, prior=200, current=230, cost=6),
              dict(id="O1", owner="Bob", prior=50, current=52, cost=1),
              dict(id="O2", owner="Bob", prior=80, current=81, cost=1),
              dict(id="O3", owner="Cy", prior=40, current=44)]
ONE_MANAGER = [dict(id="K1", owner="Ann", prior=300, current=330, cost=80),
               dict(id="K2", owner="Ann", prior=200, current=220, cost=60),
               dict(id="K3", owner="Ann", prior=100, current=95, cost=30),     # the one declining: -5%
               dict(id="O1", owner="Bob", prior=90, current=99, cost=1),
               dict(id="O2", owner="Bob", prior=60, current=60, cost=40),       # loses money: 30 - 40 a quarter
               dict(id="O3", owner="Bob", prior=50, current=52)]
NEGATIVE = [dict(id="K1", owner="Ann", prior=100, current=80, cost=10),
            dict(id="K2", owner="Ben", prior=100, current=90, cost=10),
            dict(id="O1", owner="Ann", prior=100, current=120, cost=1),
            dict(id="O2", owner="Cy", prior=100, current=110, cost=1)]


def test_no_manager_no_loss_every_account_growing():
    p = company(NO_MANAGER, ["K1", "K2"])
    assert texts(p) == expected_roi_sentences(p)
    assert texts(p)[6] == ("No manager looks after a key account: all 2 key accounts have no manager in the accounts "
                           "table. 2 other managers look after only non-key accounts.")
    # every account made a profit: said with the population, no "profitable ones earn 100%"
    assert texts(p)[5].startswith("No account loses money after cost to serve: all 5 accounts with revenue or KAM "
                                  "cost in 2025Q3-2026Q2 made a profit or broke even.")
    assert portfolio_sentences(p.summary, p.top20_share, Q, money) == expected_portfolio_sentences(p)


def test_one_manager_one_declining_one_loss_maker():
    p = company(ONE_MANAGER, ["K1", "K2", "K3"])
    assert texts(p) == expected_roi_sentences(p)
    assert texts(p)[6] == ("One manager, Ann, looks after all 3 key accounts: below the guideline of 5-15 key accounts "
                           "each. 1 other manager looks after only non-key accounts.")
    # O2: gross profit 4 x 30 = 120 against cost 4 x 40 = 160: a loss of $40; one of six accounts
    assert texts(p)[5].startswith("1 of the 6 accounts with revenue or KAM cost in 2025Q3-2026Q2 (17%) loses money "
                                  "after cost to serve: $40 in all, against ")
    assert portfolio_sentences(p.summary, p.top20_share, Q, money) == expected_portfolio_sentences(p)
    # K3 shrank 5%: below the review threshold, so it is not to review, but it is named as declining
    promote, review = p.candidates
    assert review.empty
    from kamreports.analytics.selection import declining_key_accounts
    falling = declining_key_accounts(p.key_accounts, review.index)
    assert list(falling.index) == ["K3"] and falling.loc["K3", "t4q_growth"] == pytest.approx(95 / 100 - 1)


def test_negative_roi_and_all_nps_missing():
    p = company(NEGATIVE, ["K1", "K2"])
    # peers' gross profit grew (4 x 60 + 4 x 55) / (4 x 50 + 4 x 50) - 1 = 15%: baseline 4 x 100 x 1.15 = 460;
    # key accounts earned 4 x (40 + 45) = 340: $120 less; extra cost 80 - 680 x 8 / 920 > 0
    assert p.roi.programme.incremental_gross_profit == pytest.approx(-120.0)
    assert texts(p) == expected_roi_sentences(p)
    assert texts(p)[1].startswith("In 2025Q3-2026Q2 key accounts earned $120 less gross profit than their baseline, "
                                  "on top of $")
    assert texts(p)[2] == "The programme does not pay back: it earned no gross profit above the baseline."
    assert p.roi.programme.roi < 0
    # no feedback table: no NPS anywhere in the sentences, and the group figure is missing, not zero
    assert not any("NPS" in t or "nan" in t for t in texts(p))
    assert p.roi.groups["nps"].isna().all()
    # two managers with one key account each, one of them (Ann) also with a non-key account
    assert texts(p)[6] == ("2 managers look after key accounts, against the guideline of 5-15 key accounts each: "
                           "2 below it (Ben with 1 and Ann with 1). 1 other manager looks after only non-key accounts.")
    # (listed as the load table lists them: Ben's key account brings more revenue than Ann's)


def test_positive_roi_that_does_not_cover_its_cost():
    accounts = [dict(id="K1", owner="Ann", prior=100, current=104, cost=30),
                dict(id="O1", owner="Bob", prior=100, current=100, cost=1),
                dict(id="O2", owner="Bob", prior=100, current=100, cost=1)]
    p = company(accounts, ["K1"])
    assert 0 < p.roi.programme.incremental_gross_profit < p.roi.programme.programme_cost
    assert texts(p) == expected_roi_sentences(p)
    assert texts(p)[1].startswith("In 2025Q3-2026Q2 the programme did not cover its cost: $8 of gross profit above")


def test_no_programme_cost_is_said_with_its_reason():
    # the key account costs less per revenue dollar than its peers: no extra cost, so no ROI
    accounts = [dict(id="K1", owner="Ann", prior=100, current=110, cost=1),
                dict(id="O1", owner="Bob", prior=100, current=100, cost=20),
                dict(id="O2", owner="Bob", prior=100, current=100, cost=20)]
    p = company(accounts, ["K1"])
    assert p.roi.programme.reason.startswith("no programme cost")
    assert texts(p) == expected_roi_sentences(p)
    assert texts(p)[1] == ("The programme's return cannot be computed: no programme cost: key accounts cost no more "
                           "to serve per revenue dollar than their peers.")
    assert not any("Payback" in t or "pay back" in t for t in texts(p))


def test_an_account_without_recent_revenue_is_left_out_of_every_concentration_figure():
    accounts = [dict(id="K1", owner="Ann", prior=500, current=600, cost=5),
                dict(id="O1", owner="Bob", prior=100, current=110, cost=1),
                dict(id="O2", owner="Bob", prior=80, current=70, cost=1),
                dict(id="O3", owner="Bob", prior=60, current=66),
                dict(id="D1", owner="Bob", old=900.0)]                   # sold in 2024Q2 only
    p = company(accounts, ["K1"])
    sentences = portfolio_sentences(p.summary, p.top20_share, Q, money)
    assert sentences == expected_portfolio_sentences(p)
    # four accounts with revenue (4 x 846 = 3,384); the top 20% is ceil(0.8) = 1 account: K1's 2,400
    assert sentences[:2] == ["4 accounts had revenue in the last four quarters (2025Q3-2026Q2): $3.4K in all. "
                             "1 account with revenue only before then is not counted in these figures.",
                             "The top 20% of them (the largest account) brought 71% of it."]
    assert p.top20_share == pytest.approx(2400 / 3384)
    assert pd.isna(p.summary.loc["D1", "abc_class"]) and p.summary["abc_class"].notna().sum() == 4
    assert len(p.pareto) == 4 and "D1" not in p.pareto.index


def test_a_key_account_that_started_inside_the_prior_window_is_left_out_of_the_roi():
    accounts = [dict(id="K1", owner="Ann", prior=100, current=110, cost=5),
                dict(id="K2", owner="Ann", prior=100, current=120, cost=5, start="2025Q2"),  # one prior quarter
                dict(id="O1", owner="Bob", prior=100, current=100, cost=1),
                dict(id="O2", owner="Bob", prior=100, current=105, cost=1)]
    p = company(accounts, ["K1", "K2"])
    prog = p.roi.programme
    assert (prog.key_accounts, prog.new_key_accounts) == (1, 1)
    # K2's 100 in 2025Q2 against 480 now would have counted as +380 of growth: it is not in the ROI
    assert prog.incremental_gross_profit == pytest.approx(4 * 55 - 4 * 50 * (4 * 51.25 / (4 * 50)))
    assert texts(p) == expected_roi_sentences(p)
    assert "the 1 key account grew revenue +10.0%" in texts(p)[0]


def test_nps_is_a_score_on_the_page_and_a_ratio_in_roi_csv():
    from kamreports.present.roi import group_measures_table

    # key: 10, 9 promoters, 3 detractor -> (2 - 1) / 3; other: 5, 6 detractors -> -1; all (2 - 3) / 5
    p = company(ONE_MANAGER, ["K1", "K2", "K3"], nps={"K1": [10, 9], "K2": [3], "O1": [5], "O2": [6]})
    groups = p.roi.groups
    assert groups.loc["key", "nps"] == pytest.approx(1 / 3) and groups.loc["all", "nps"] == pytest.approx(-0.2)
    table = p.roi.table.set_index(["group", "metric"])
    assert table.loc[("key", "nps"), "value"] == pytest.approx(1 / 3)
    assert "the page shows it x 100" in table.loc[("key", "nps"), "definition"]
    html = group_measures_table(groups, p.roi.programme.window, p.formats).data
    assert "<td class=\"\">NPS (-100 to +100)</td><td class=\"num\">+33</td><td class=\"num\">-100</td>" \
           "<td class=\"num\">-20</td>" in html


# --- the sample company ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample() -> Portfolio:
    from kamreports.config import Settings
    from kamreports.data.sample import sample_dataset

    return build_portfolio(sample_dataset(), Settings(), "2026Q3")


def test_the_sample_company_sentences(sample: Portfolio):
    assert portfolio_sentences(sample.summary, sample.top20_share, "2026Q3", money) == \
        expected_portfolio_sentences(sample)
    assert texts(sample) == expected_roi_sentences(sample)


def test_the_sample_company_sentences_as_printed(sample: Portfolio):
    """The figures the issue quoted, now each with its population and window."""
    s = texts(sample)
    assert s[0].startswith("Key accounts in the ROI against their matched peers, last four quarters against the four "
                           "before (2025Q4-2026Q3 vs 2024Q4-2025Q3, ratios of sums): the 18 key accounts grew revenue")
    assert s[-1] == ("This quarter (2026Q3) key accounts' revenue was +2.1% on the previous quarter and +11.8% on the "
                     "same quarter last year.")
    assert s[-2] == ("4 managers look after key accounts, against the guideline of 5-15 key accounts each: 3 within it "
                     "and 1 below it (Lars Eriksen with 1). 4 other managers look after only non-key accounts.")
    assert not any("idle" in t or "100% of total profit" in t or "All 0" in t for t in s)


def _with_stakeholders(portfolio: Portfolio, accounts: list[str]) -> Portfolio:
    """The same company with one stakeholder mapped at each of ``accounts``."""
    import dataclasses

    ds = portfolio.dataset
    people = pd.DataFrame([{"account_id": a, "name": f"Contact at {a}", "title": "Chief Executive Officer",
                            "role": "decision_maker", "level": "executive", "influence": 4, "sentiment": 1,
                            "last_contact": pd.Timestamp("2026-06-01")} for a in accounts],
                          columns=ds.stakeholders.columns)
    return build_portfolio(dataclasses.replace(ds, stakeholders=people.astype(ds.stakeholders.dtypes.to_dict())),
                           portfolio.settings, Q)


@pytest.mark.parametrize(("keys", "mapped", "said"), [
    (["K1"], [], "The key account has no stakeholders mapped"),
    (["K1", "K2"], [], "Both key accounts have no stakeholders mapped"),
    (["K1", "K2"], ["K1"], "1 of the 2 key accounts has no stakeholders mapped"),
    (["K1", "K2", "K3"], [], "All 3 key accounts have no stakeholders mapped"),
    (["K1", "K2", "K3"], ["K1"], "2 of the 3 key accounts have no stakeholders mapped"),
    (["K1", "K2", "K3"], ["K1", "K2"], "1 of the 3 key accounts has no stakeholders mapped"),
    (["K1", "K2", "K3"], ["K1", "K2", "K3"], None),
])
def test_key_accounts_without_stakeholders_are_counted_in_plain_words(keys, mapped, said):
    # written out by hand: none, one, some and all of the key accounts without a stakeholder
    p = _with_stakeholders(company(ONE_MANAGER, keys), mapped)
    sentences = portfolio_sentences(p.summary, p.top20_share, Q, money)
    unmapped = [s for s in sentences if "no stakeholders mapped" in s]
    if said is None:
        assert unmapped == []
    else:
        assert unmapped == [f"{said}: relationship not assessed, in no quadrant of the KAM matrix."]
