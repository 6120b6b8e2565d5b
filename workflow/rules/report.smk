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
    log:
        paths.log("report", "{scenario}"),
    shell:
        "balancebc report --scenario {wildcards.scenario}"
