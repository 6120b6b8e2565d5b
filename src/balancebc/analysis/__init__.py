"""Analysis: what the report and the claims table compute from a scenario's outcomes
(``balancebc.io.outcomes``) and weights files.

- ``stats``: the tests (paired / Welch, Holm, TOST, MDE, verdicts, the mixed-effects
  logistic model, the repeated-measures ANOVA);
- ``summary``: a report's numbers (per-method summaries, comparisons with the baseline,
  the models, the learning curve);
- ``tables``: those numbers as Markdown, CSV and HTML;
- ``figures``: the report's charts;
- ``claims``: the papers' claims tested across scenarios, from their records.
"""
