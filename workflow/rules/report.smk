# One report per scenario over every method and seed.


rule report:
    input:
        lambda w: [paths.weights(w.scenario, m, s) for m in METHODS for s in SEEDS],
        lambda w: [paths.evaluation(w.scenario, m, s) for m in METHODS for s in SEEDS],
    output:
        paths.report_files("{scenario}"),
    params:
        methods=METHODS,
        seeds=SEEDS,
    threads: 1
    log:
        paths.log("report", "{scenario}"),
    benchmark:
        paths.benchmark("report", "{scenario}"),
    resources:
        **requests("report"),
    shell:
        "balancebc report --scenario {wildcards.scenario}"
