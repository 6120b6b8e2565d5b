# Dataset stages: one robomimic file per scenario, then its behavior labels.


rule generate:
    output:
        paths.dataset("{scenario}"),
    params:
        scenario=lambda w: config["scenarios"][w.scenario],
    threads: lambda w: config["scenarios"][w.scenario]["workers"]
    log:
        paths.log("generate", "{scenario}"),
    shell:
        "balancebc generate --scenario {wildcards.scenario}"


rule label:
    input:
        paths.dataset("{scenario}"),
    output:
        paths.labels("{scenario}"),
    params:
        regions=lambda w: config["scenarios"][w.scenario]["regions"],
    log:
        paths.log("label", "{scenario}"),
    shell:
        "balancebc label --scenario {wildcards.scenario}"
