"""balancebc.analysis.stats on simulated Bernoulli rollouts with a known structure: success probability
expit(b0 + method effect + u_replicate + v_policy), u ~ N(0, 0.3), v ~ N(0, 0.8) (SDs)."""
from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

from balancebc.analysis.stats import compare, format_design, holm, mixed_logit, rm_anova, verdict

SD_U, SD_V = 0.3, 0.8


def policy_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Per-episode outcomes -> one row per policy and behavior: its success rate and episode count."""
    keys = ["method", "behavior", "replicate", "seed"]
    return df.groupby(keys, as_index=False).agg(rate=("success", "mean"), episodes=("success", "size"))[keys + ["rate", "episodes"]]


def simulate(rng, replicates, seeds, episodes, effect, b0=0.0, behaviors=("lift",)):
    """Per-episode outcomes of methods "bc" (baseline) and "x" (+effect on the logit scale)."""
    frames = []
    for behavior in behaviors:
        u = rng.normal(0, SD_U, replicates)
        for method, eff in (("bc", 0.0), ("x", effect)):
            rep, seed = np.meshgrid(np.arange(replicates), np.arange(seeds), indexing="ij")
            logit = b0 + eff + u[rep] + rng.normal(0, SD_V, rep.shape)  # one v per policy
            y = rng.random((*rep.shape, episodes)) < expit(logit)[..., None]
            frames.append(pd.DataFrame({"success": y.ravel().astype(int), "method": method, "behavior": behavior,
                                        "replicate": np.repeat(rep.ravel(), episodes), "seed": np.repeat(seed.ravel(), episodes)}))
    return pd.concat(frames, ignore_index=True)


def paired_rates(df):
    """Per-policy rates of x and bc, aligned on (replicate, seed)."""
    wide = policy_rates(df).pivot_table(index=["replicate", "seed"], columns="method", values="rate")
    return wide["x"].to_numpy(), wide["bc"].to_numpy()


def fpr_interval(n_sims, level=0.05):
    """99% binomial interval of the rejection rate of a test at `level` over n_sims simulations."""
    lo, hi = stats.binom.interval(0.99, n_sims, level)
    return lo / n_sims, hi / n_sims


def quiet_mixed_logit(df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # VB's optimiser warns on some simulated data sets
        return mixed_logit(df, "bc")


# ---- recovery of a simulated effect ---------------------------------------------------------

def test_paired_compare_and_mixed_logit_recover_a_simulated_effect():
    beta, b0 = 1.2, -0.5
    mc = np.random.default_rng(99)
    u, v = mc.normal(0, SD_U, 400_000), mc.normal(0, SD_V, 400_000)
    true_diff = float(np.mean(expit(b0 + beta + u + v) - expit(b0 + u + v)))  # marginal, by Monte Carlo
    assert 0.22 < true_diff < 0.28

    df = simulate(np.random.default_rng(1), replicates=3, seeds=10, episodes=20, effect=beta, b0=b0)
    rates = policy_rates(df)
    assert len(rates) == 2 * 3 * 10 and (rates["episodes"] == 20).all()
    test = compare(*paired_rates(df), paired=True)
    assert test["n"] == 30 and test["p"] < 0.05
    assert test["ci95"][0] < true_diff < test["ci95"][1]
    json.dumps(test)  # plain floats, JSON-serialisable

    fit = quiet_mixed_logit(df)
    x = fit["methods"]["x"]
    # Not "within 2.5 posterior sd": VB's posterior sd is far too small. Measured over 40 data
    # sets of this design (seeds 0-39): mean estimate 1.18 (unbiased), sampling sd 0.24, mean
    # posterior sd 0.09, and only 24/40 estimates within 2.5 posterior sd of the truth. So the
    # bound is 2.5 sampling sd; this data set's estimate is 0.94 (2.8 posterior sd off).
    assert abs(x["log_odds"] - beta) < 2.5 * 0.24, x
    assert x["p"] < 0.05 and set(fit["variance_components"]) == {"replicate", "seed", "policy"}
    json.dumps(fit)


def test_mixed_logit_degenerate_inputs_report_an_error():
    df = simulate(np.random.default_rng(2), 2, 3, 5, effect=0.0)
    df["success"] = 1
    out = mixed_logit(df, "bc")
    assert out["methods"] == {} and "identical" in out["error"]
    out = mixed_logit(df.assign(success=[0, 1] * (len(df) // 2)), "no-such-baseline")
    assert out["methods"] == {} and out["error"]


# ---- false positives under no effect --------------------------------------------------------

def test_paired_t_false_positive_rate_is_nominal():
    rng, n_sims, replicates, seeds, episodes = np.random.default_rng(3), 1000, 2, 10, 10
    rejections = 0
    for _ in range(n_sims):
        u = rng.normal(0, SD_U, (replicates, 1))
        rates = [rng.binomial(episodes, expit(u + rng.normal(0, SD_V, (replicates, seeds)))).ravel() / episodes for _ in range(2)]
        rejections += compare(rates[1], rates[0], paired=True)["p"] < 0.05
    lo, hi = fpr_interval(n_sims)
    assert lo <= rejections / n_sims <= hi, rejections / n_sims  # measured: 0.044 (interval 0.033-0.069)


@pytest.mark.slow  # 200 GLMM fits: ~80 s
def test_mixed_logit_false_positive_rate():
    """Measured (200 sims, 2 replicates x 10 seeds x 10 episodes, seed 4): the GLMM rejects a true
    null in 0.405 of simulations (0.30-0.38 with other seeds), the paired t on the same data sets
    in 0.070 (99% binomial interval of 0.05 at n = 200: 0.015-0.095). The
    mean-field VB fit ignores the posterior correlation between the method effect and the
    policy effects, so its posterior sd is about half the estimate's sampling sd (0.15 vs 0.31);
    the Laplace fit (fit_map) is better but still ~0.17. So the GLMM's p-values are descriptive.
    This test pins that: its estimates are centred on 0, the paired t on the same data is
    calibrated, and the GLMM is not. If the last assertion ever fails, VB has become calibrated
    and the report's caveat about the GLMM p-values can go."""
    rng, n_sims = np.random.default_rng(4), 200
    glmm_rejections, t_rejections, estimates = 0, 0, []
    for _ in range(n_sims):
        df = simulate(rng, replicates=2, seeds=10, episodes=10, effect=0.0)
        x = quiet_mixed_logit(df)["methods"]["x"]
        glmm_rejections += x["p"] < 0.05
        estimates.append(x["log_odds"])
        t_rejections += compare(*paired_rates(df), paired=True)["p"] < 0.05
    lo, hi = fpr_interval(n_sims)
    print(f"false-positive rate over {n_sims} sims: mixed_logit {glmm_rejections / n_sims:.3f}, paired t {t_rejections / n_sims:.3f}")
    assert abs(np.mean(estimates)) < 3 * np.std(estimates) / math.sqrt(n_sims)
    assert lo <= t_rejections / n_sims <= hi
    assert glmm_rejections / n_sims > hi  # anti-conservative: see the docstring


# ---- Holm ------------------------------------------------------------------------------------

def test_holm_against_a_hand_computed_example():
    # m = 4; sorted p 0.005, 0.01, 0.03, 0.04 times (4, 3, 2, 1) = 0.02, 0.03, 0.06, 0.04;
    # made monotone (running max) = 0.02, 0.03, 0.06, 0.06; back in the original order:
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # None passes through and is not in the family (still m = 4)
    out = holm([0.01, None, 0.04, 0.03, 0.005, None])
    assert out[1] is None and out[5] is None
    assert [out[i] for i in (0, 2, 3, 4)] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([None, 0.02, None]) == [None, pytest.approx(0.02), None]  # a family of one: unadjusted
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert holm([]) == [] and holm([None]) == [None]


# ---- compare: t-tests, equivalence, edge cases ----------------------------------------------

def test_welch_matches_the_textbook_formula():
    rng = np.random.default_rng(5)
    a, b = rng.normal(0.6, 0.05, 12), rng.normal(0.5, 0.15, 7)
    test = compare(a, b, paired=False)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))  # Welch-Satterthwaite
    half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    diff = a.mean() - b.mean()
    assert test["n"] == [12, 7] and test["effect"] == pytest.approx(diff)
    assert test["ci95"] == pytest.approx([diff - half, diff + half])
    assert test["p"] == pytest.approx(2 * stats.t.sf(abs(diff) / math.sqrt(va + vb), df))
    pooled = math.sqrt((11 * a.var(ddof=1) + 6 * b.var(ddof=1)) / 17)
    assert test["sd"] == pytest.approx(pooled)


@pytest.mark.parametrize("paired", [True, False])
def test_tost_is_the_larger_one_sided_p(paired):
    rng = np.random.default_rng(6)
    a, b = rng.normal(0.55, 0.1, 15), rng.normal(0.5, 0.1, 15)
    test = compare(a, b, paired=paired, margin=0.1)
    if paired:
        lower = stats.ttest_1samp(a - b, -0.1, alternative="greater").pvalue
        upper = stats.ttest_1samp(a - b, 0.1, alternative="less").pvalue
    else:
        lower = stats.ttest_ind(a - (-0.1), b, equal_var=False, alternative="greater").pvalue
        upper = stats.ttest_ind(a - 0.1, b, equal_var=False, alternative="less").pvalue
    assert test["tost_p"] == pytest.approx(max(lower, upper))


def test_equivalence_accepts_and_rejects_where_it_should():
    rng = np.random.default_rng(7)
    control = rng.uniform(0.3, 0.7, 60)
    tiny = compare(control + rng.normal(0.01, 0.05, 60), control, paired=True, margin=0.1)
    assert tiny["equivalent"] and tiny["tost_p"] < 0.05
    big = compare(control + rng.normal(0.2, 0.05, 60), control, paired=True, margin=0.1)
    assert not big["equivalent"] and big["p"] < 0.05
    # three policies, mean difference -0.003, sd 0.068: the 90% CI (t with 2 df) is wider than +-0.1
    few = compare([0.45, 0.42, 0.62], [0.4, 0.5, 0.6], paired=True, margin=0.1)
    assert abs(few["effect"]) < 0.01 and not few["equivalent"]
    unpaired = compare(rng.normal(0.51, 0.05, 60), rng.normal(0.5, 0.05, 60), paired=False, margin=0.1)
    assert unpaired["equivalent"]


def test_compare_edge_cases():
    small = compare([0.5], [0.3], paired=True)
    assert small["effect"] == pytest.approx(0.2) and small["n"] == 1
    assert small["p"] is small["ci95"] is small["tost_p"] is small["mde"] is None and small["equivalent"] is False
    assert compare([0.5, 0.6, 0.7], [0.3], paired=False)["p"] is None
    same = compare([0.1, 0.2, 0.3], [0.1, 0.2, 0.3], paired=True)
    assert same["p"] == 1.0 and same["ci95"] == [0.0, 0.0] and same["mde"] is None
    # no variance says nothing about equivalence (e.g. every policy at 0/10 in both arms)
    assert same["tost_p"] is None and not same["equivalent"]
    shifted = compare([0.2, 0.3, 0.4], [0.1, 0.2, 0.3], paired=True)  # zero variance, nonzero difference
    assert shifted["p"] is None and shifted["ci95"] is None and shifted["sd"] == 0.0 and not shifted["equivalent"]
    with pytest.raises(ValueError):
        compare([0.1, 0.2], [0.1, 0.2, 0.3], paired=True)


def test_power_at_the_mde_is_nominal():
    rng, n, sd, n_sims = np.random.default_rng(8), 20, 0.15, 400
    d = rng.normal(size=n)
    d = (d - d.mean()) / d.std(ddof=1) * sd  # a sample whose sd is exactly `sd`
    mde = compare(d, np.zeros(n), paired=True)["mde"]
    assert 0.08 < mde < 0.12  # ~0.66 sd at n = 20
    rejections = sum(compare(rng.normal(mde, sd, n), np.zeros(n), paired=True)["p"] < 0.05 for _ in range(n_sims))
    lo, hi = stats.binom.interval(0.99, n_sims, 0.8)
    assert lo <= rejections <= hi, rejections / n_sims
    assert compare(rng.normal(0, 1, 10), rng.normal(0, 1, 30), paired=False)["mde"] > 0


# ---- verdict ---------------------------------------------------------------------------------

def _test(effect, ci95, equivalent, margin=0.1):
    return {"effect": effect, "ci95": ci95, "equivalent": equivalent, "margin": margin}


@pytest.mark.parametrize("expect, test, p_adjusted, expected", [
    ("increase", _test(0.2, [0.1, 0.3], False), 0.01, "reproduced"),
    ("increase", _test(-0.2, [-0.3, -0.1], False), 0.01, "contradicted"),  # significant, wrong sign
    ("increase", _test(0.01, [-0.03, 0.05], True), 0.6, "contradicted"),  # TOST excludes an effect >= margin
    ("increase", _test(0.1, [-0.1, 0.3], False), 0.3, "inconclusive"),
    ("increase", _test(0.1, [-0.1, 0.3], False), None, "inconclusive"),
    ("decrease", _test(-0.2, [-0.3, -0.1], False), 0.01, "reproduced"),
    ("decrease", _test(0.2, [0.1, 0.3], False), 0.01, "contradicted"),
    ("decrease", _test(-0.01, [-0.04, 0.02], True), 0.5, "contradicted"),
    ("decrease", _test(-0.2, [-0.3, -0.1], False), 0.08, "inconclusive"),  # significant before Holm only
    ("equivalent", _test(0.01, [-0.03, 0.05], True), 0.6, "reproduced"),
    ("equivalent", _test(0.25, [0.15, 0.35], False), 0.001, "contradicted"),
    ("equivalent", _test(0.15, [0.05, 0.25], False), 0.01, "inconclusive"),  # significant, but CI overlaps the margin
    ("equivalent", _test(0.0, [-0.3, 0.3], False), 1.0, "inconclusive"),
])
def test_verdict_branches(expect, test, p_adjusted, expected):
    assert verdict(test, p_adjusted, expect) == expected


def test_verdict_rejects_an_unknown_claim():
    with pytest.raises(ValueError):
        verdict(_test(0.1, [0, 0.2], False), 0.01, "bigger")


# ---- repeated-measures ANOVA -----------------------------------------------------------------

def _rm_frame(df):
    rates = policy_rates(df)
    return rates.assign(subject=rates["replicate"].astype(str) + ":" + rates["seed"].astype(str))


def test_rm_anova_finds_a_big_method_effect():
    df = simulate(np.random.default_rng(9), replicates=2, seeds=5, episodes=20, effect=1.5, b0=-0.5, behaviors=("lift", "push"))
    rows = {r["effect"]: r for r in rm_anova(_rm_frame(df))}
    assert set(rows) == {"method", "behavior", "method:behavior"}
    assert rows["method"]["p"] < 0.05 and rows["method"]["df_num"] == 1 and rows["method"]["df_den"] == 9
    json.dumps(list(rows.values()))


def test_rm_anova_returns_empty_when_it_cannot_fit():
    frame = _rm_frame(simulate(np.random.default_rng(10), 2, 5, 10, effect=1.0, behaviors=("lift", "push")))
    assert rm_anova(frame[frame["subject"] == "0:0"]) == []  # one subject
    assert rm_anova(frame.iloc[1:]) == []  # unbalanced
    assert rm_anova(frame.assign(rate=0.5)) == []  # zero variance


def test_design_text_counts_singular_and_plural():
    assert format_design(1, 1) == "1 dataset replicate × 1 training seed"
    assert format_design(2, 10) == "2 dataset replicates × 10 training seeds"
