"""Statistics of the report, from per-episode rollout outcomes of trained policies.

The unit of replication is a trained policy (a dataset replicate x a training seed); its
episodes are clustered within it, so tests on episodes as if independent would overstate n.

* :func:`compare` - the primary test, on per-policy success rates. Paired t on the
  differences when both arms share dataset replicate and training seed (the pairing removes
  their variance); Welch t otherwise (no equal-variance assumption). It also gives the
  TOST equivalence test with bounds +-margin (a non-significant difference is not evidence
  of no difference: only TOST can exclude an effect as large as the margin) and the minimum
  detectable effect at this n (what the design could have found, at the given power).
* :func:`holm` - Holm-Bonferroni over the family of claims: controls the family-wise error
  rate under any dependence between the tests.
* :func:`verdict` - reproduced / contradicted / inconclusive from a test and its adjusted p.
* :func:`mixed_logit` - a check that uses every episode: a logistic GLMM with variance
  components for replicate, seed within replicate and policy, fitted by variational Bayes.
  VB posterior sds tend to be too small, so its p-values are descriptive (see tests).
* :func:`rm_anova` - the original paper's repeated-measures ANOVA (method x behavior within
  replicate:seed subjects), reported for comparison with the paper.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM
from statsmodels.stats.anova import AnovaRM
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestIndPower, TTestPower
from statsmodels.stats.weightstats import ttost_ind, ttost_paired

_TINY = 1e-12  # below this an sd or a mean difference counts as exactly zero (float noise)


def format_p(p: float | None) -> str:
    """A p-value for a table: three decimals, ``<0.001``, or ``n/a`` when undefined."""
    return "n/a" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}")


def format_design(replicates: int, seeds: int) -> str:
    """'2 dataset replicates × 10 training seeds': the policies behind each cell."""
    def n(k, what):
        return f"{k} {what}{'s' if k != 1 else ''}"
    return f"{n(replicates, 'dataset replicate')} × {n(seeds, 'training seed')}"


def holm(pvalues: list[float | None]) -> list[float | None]:
    """Holm-adjusted p-values; None entries stay None and are not counted in the family."""
    idx = [i for i, p in enumerate(pvalues) if p is not None]
    out: list[float | None] = [None] * len(pvalues)
    if idx:
        adjusted = multipletests([pvalues[i] for i in idx], method="holm")[1]
        for i, p in zip(idx, adjusted):
            out[i] = float(p)
    return out


def compare(treated, control, paired: bool, margin: float = 0.10, alpha: float = 0.05, power: float = 0.8) -> dict:
    """Compare per-policy success rates of two methods (see the module docstring)."""
    t, c = np.asarray(treated, dtype=float), np.asarray(control, dtype=float)
    if paired and t.shape != c.shape:
        raise ValueError(f"paired comparison needs equal lengths, got {t.size} and {c.size}")
    effect = float(t.mean() - c.mean()) if t.size and c.size else None
    out = {"effect": effect, "ci95": None, "p": None, "n": int(t.size) if paired else [int(t.size), int(c.size)],
           "sd": None, "tost_p": None, "equivalent": False, "mde": None, "margin": margin}
    if min(t.size, c.size) < 2:
        return out
    if paired:
        sd = float(np.std(t - c, ddof=1))
    else:
        n1, n2 = t.size, c.size
        sd = math.sqrt(((n1 - 1) * t.var(ddof=1) + (n2 - 1) * c.var(ddof=1)) / (n1 + n2 - 2))
    out["sd"] = sd if sd >= _TINY else 0.0
    if sd < _TINY:  # no variance: only "all differences exactly 0" is defined
        # ... and says nothing about equivalence: every policy at the same floor or ceiling
        # (e.g. all 0/10) is a design that cannot measure a difference, not evidence of none
        if abs(effect) < _TINY:
            out.update(effect=0.0, p=1.0, ci95=[0.0, 0.0])
        return out
    res = stats.ttest_rel(t, c) if paired else stats.ttest_ind(t, c, equal_var=False)
    ci = res.confidence_interval(0.95)
    tost = ttost_paired(t, c, -margin, margin) if paired else ttost_ind(t, c, -margin, margin, usevar="unequal")
    if paired:
        d_std = TTestPower().solve_power(nobs=t.size, alpha=alpha, power=power)
    else:
        d_std = TTestIndPower().solve_power(nobs1=t.size, ratio=c.size / t.size, alpha=alpha, power=power)
    out.update(ci95=[float(ci.low), float(ci.high)], p=float(res.pvalue), tost_p=float(tost[0]),
               equivalent=bool(tost[0] < alpha), mde=float(sd * np.asarray(d_std).item()))
    return out


def against_level(values, level: float, margin: float = 0.10) -> dict:
    """Per-policy success rates against a fixed rate ``level``: the effect (mean − level)
    with a t interval, and a two-sided sign test (policies above vs below the level; ties
    dropped), which stays defined when every policy has the same rate."""
    v = np.asarray(values, dtype=float)
    above, below = int((v > level + _TINY).sum()), int((v < level - _TINY).sum())
    effect = float(v.mean() - level)
    sd = float(np.std(v, ddof=1)) if v.size > 1 else 0.0
    ci = [effect, effect] if sd < _TINY else [float(x) - level for x in
                                              stats.ttest_1samp(v, level).confidence_interval(0.95)]
    p = float(stats.binomtest(above, above + below, 0.5).pvalue) if above + below else 1.0
    return {"effect": effect, "ci95": ci, "p": p, "n": int(v.size), "sd": sd, "tost_p": None, "equivalent": False,
            "mde": None, "margin": margin}


def verdict(test: dict, p_adjusted: float | None, expect: str, alpha: float = 0.05) -> str:
    """'reproduced', 'contradicted' or 'inconclusive' for a claim that the effect is an
    'increase', a 'decrease' or 'equivalent' (within +-margin)."""
    significant = p_adjusted is not None and p_adjusted < alpha
    effect = test.get("effect") or 0.0
    if expect in ("increase", "decrease"):
        sign = 1 if expect == "increase" else -1
        if significant and effect * sign > 0:
            return "reproduced"
        if (significant and effect * sign < 0) or test.get("equivalent"):
            return "contradicted"
        return "inconclusive"
    if expect == "equivalent":
        if test.get("equivalent"):
            return "reproduced"
        ci, m = test.get("ci95"), test["margin"]
        if significant and ci is not None and (ci[0] > m or ci[1] < -m):
            return "contradicted"
        return "inconclusive"
    raise ValueError(f"expect must be 'increase', 'decrease' or 'equivalent', not {expect!r}")


def mixed_logit(df: pd.DataFrame, baseline: str) -> dict:
    """Logistic GLMM of per-episode success for one behavior: fixed effect of method (vs the
    baseline), variance components for replicate, seed within replicate and policy."""
    d = df.copy()
    d["success"] = d["success"].astype(float)
    d["method"] = d["method"].astype(str)
    d["pair"] = d["replicate"].astype(str) + ":" + d["seed"].astype(str)
    d["policy"] = d["method"] + ":" + d["pair"]
    if d["success"].nunique() < 2:
        return {"methods": {}, "error": "every outcome is identical: no log-odds can be estimated"}
    # a component with fewer than 2 levels, or no more levels than the one it nests in
    # (one seed per replicate: seed-within-replicate is the replicate), is left out
    vcs, levels = {}, 1
    for name, col in (("replicate", "replicate"), ("seed", "pair"), ("policy", "policy")):
        if d[col].nunique() >= 2 and (d[col].nunique() > levels or name == "replicate"):
            vcs[name] = f"0 + C({col})"
        levels = max(levels, d[col].nunique())
    fixed = f"success ~ C(method, Treatment({baseline!r}))"
    try:
        model = BinomialBayesMixedGLM.from_formula(fixed, vcs, d)
        fit = model.fit_vb()
    except Exception as exc:  # a failed fit is reported, not raised
        return {"methods": {}, "error": f"{type(exc).__name__}: {exc}"}
    methods = {}
    prefix = f"C(method, Treatment({baseline!r}))[T."
    for name, coef, sd in zip(model.exog_names, fit.fe_mean, fit.fe_sd):
        if name.startswith(prefix):
            z = float(coef / sd)
            methods[name[len(prefix):-1]] = {"log_odds": float(coef), "sd": float(sd), "z": z, "p": float(2 * stats.norm.sf(abs(z)))}
    return {"methods": methods,
            "variance_components": {name: float(np.exp(m)) for name, m in zip(model.vcp_names, fit.vcp_mean)},
            "model": f"{fixed} + random intercepts ({', '.join(vcs)}); BinomialBayesMixedGLM, variational Bayes; "
                     "variance components as exp(posterior mean of log SD)"}


def rm_anova(df: pd.DataFrame) -> list[dict]:
    """Repeated-measures ANOVA of per-policy rates (columns rate, method, behavior, subject),
    within factors method and behavior; [] when it cannot be fitted."""
    within = [f for f in ("method", "behavior") if df[f].nunique() >= 2]
    if df["subject"].nunique() < 2 or not within or df["rate"].std() < _TINY:
        return []
    try:
        table = AnovaRM(df, depvar="rate", subject="subject", within=within).fit().anova_table
    except Exception:  # unbalanced or degenerate designs
        return []
    rows = [{"effect": str(name), "F": float(r["F Value"]), "df_num": float(r["Num DF"]), "df_den": float(r["Den DF"]),
             "p": float(r["Pr > F"])} for name, r in table.iterrows()]
    return rows if all(math.isfinite(r["F"]) and r["F"] >= 0 and math.isfinite(r["p"]) for r in rows) else []
