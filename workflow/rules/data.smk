# Dataset stages: one robomimic file per scenario, then its behavior labels.


rule generate:
    input:
        lambda w: imported_source(w.scenario),
    output:
        paths.dataset("{scenario}"),
    params:
        scenario=lambda w: config["scenarios"][w.scenario],
    threads: lambda w: config["scenarios"][w.scenario].get("workers", 1)
    log:
        paths.log("generate", "{scenario}"),
    benchmark:
        paths.benchmark("generate", "{scenario}"),
    resources:
        **requests("generate"),
    shell:
        "balancebc generate --scenario {wildcards.scenario}"


rule label:
    input:
        paths.dataset("{scenario}"),
    output:
        paths.labels("{scenario}"),
        paths.labelled("{scenario}"),
    params:
        scenario=lambda w: config["scenarios"][w.scenario],
    threads: 1
    log:
        paths.log("label", "{scenario}"),
    benchmark:
        paths.benchmark("label", "{scenario}"),
    resources:
        **requests("label"),
    shell:
        "balancebc label --scenario {wildcards.scenario}"
