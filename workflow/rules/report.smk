# One report per scenario over every method and seed. Its figures and tables also go into
# Snakemake's HTML report: `snakemake --report report.html`.


rule report:
    input:
        weights=every_seed(paths.weights),
        evaluations=every_seed(paths.evaluation),
    output:
        csv=report(paths.report_file("{scenario}", "results.csv"), caption="../report/results_csv.rst",
                   category="{scenario}", labels={"scenario": "{scenario}", "table": "results per method and unit"}),
        md=paths.report_file("{scenario}", "results.md"),
        html=report(paths.report_file("{scenario}", "results.html"), caption="../report/results_html.rst",
                    category="{scenario}", labels={"scenario": "{scenario}", "table": "results, weights and tests"}),
        chart=report(paths.report_file("{scenario}", "results.png"), caption="../report/results_png.rst",
                     category="{scenario}", labels={"scenario": "{scenario}", "figure": "results per method and unit"}),
        alpha=report(paths.report_file("{scenario}", "alpha.png"), caption="../report/alpha_png.rst",
                     category="{scenario}", labels={"scenario": "{scenario}", "figure": "DRO weights over iterations"}),
        weights=paths.report_file("{scenario}", "weights.md"),
        metrics=paths.report_file("{scenario}", "metrics.json"),
        plot=paths.report_file("{scenario}", "plot.csv"),
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
