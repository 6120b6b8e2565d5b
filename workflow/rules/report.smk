# One report per scenario over every method and policy, and the claims table across
# scenarios. Their figures and tables also go into Snakemake's HTML report:
# `snakemake --report report.html`.


rule report:
    input:
        weights=every_policy(paths.weights),
        evaluations=every_policy(paths.evaluation),
    output:
        csv=report(paths.report_file("{scenario}", "results.csv"), caption="../report/results_csv.rst",
                   category="{scenario}", labels={"scenario": "{scenario}", "table": "results per method and unit"}),
        md=paths.report_file("{scenario}", "results.md"),
        html=report(paths.report_file("{scenario}", "results.html"), caption="../report/results_html.rst",
                    category="{scenario}", labels={"scenario": "{scenario}", "table": "results, weights and tests"}),
        chart=report(paths.report_file("{scenario}", "results.png"), caption="../report/results_png.rst",
                     category="{scenario}", labels={"scenario": "{scenario}", "figure": "results per method and unit"}),
        curve=report(paths.report_file("{scenario}", "curve.png"), caption="../report/curve_png.rst",
                     category="{scenario}", labels={"scenario": "{scenario}", "figure": "learning curve"}),
        alpha=report(paths.report_file("{scenario}", "alpha.png"), caption="../report/alpha_png.rst",
                     category="{scenario}", labels={"scenario": "{scenario}", "figure": "DRO weights over iterations"}),
        weights=paths.report_file("{scenario}", "weights.md"),
        metrics=paths.report_file("{scenario}", "metrics.json"),
        plot=paths.report_file("{scenario}", "plot.csv"),
        outcomes=paths.record_file("{scenario}", "outcomes.csv"),
        weights_csv=paths.record_file("{scenario}", "weights.csv"),
    params:
        **depends_on("report"),
    log:
        paths.log("report", "{scenario}"),
    benchmark:
        paths.benchmark("report", "{scenario}")
    conda:
        "../envs/balancebc.yaml"
    resources:
        **requests("report"),
    shell:
        "balancebc report --scenario {wildcards.scenario}"


rule claims:
    input:
        records=[paths.record_files(s) for s in SCENARIOS],
    output:
        md=report(paths.claims_file("claims.md"), caption="../report/claims_md.rst", category="claims",
                  labels={"table": "the papers' claims, tested"}),
        csv=paths.claims_file("claims.csv"),
    params:
        **depends_on("claims"),
    log:
        paths.log("claims", "all"),
    benchmark:
        paths.benchmark("claims", "all")
    conda:
        "../envs/balancebc.yaml"
    resources:
        **requests("report"),
    shell:
        "balancebc claims"
