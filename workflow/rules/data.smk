# Dataset stages: one robomimic file per scenario, then its behavior labels.


rule generate:
    input:
        source=imported_source,
    output:
        dataset=paths.dataset("{scenario}"),
    params:
        **depends_on("generate"),
    threads: lambda wildcards: scenario_kind(wildcards).threads(scenario_params(wildcards))
    log:
        paths.log("generate", "{scenario}"),
    benchmark:
        paths.benchmark("generate", "{scenario}")
    conda:
        "../envs/balancebc.yaml"
    resources:
        **requests("generate"),
    shell:
        "balancebc generate --scenario {wildcards.scenario}"


rule label:
    input:
        dataset=paths.dataset("{scenario}"),
    output:
        labels=paths.labels("{scenario}"),
        labelled=paths.labelled("{scenario}"),
    params:
        **depends_on("label"),
    log:
        paths.log("label", "{scenario}"),
    benchmark:
        paths.benchmark("label", "{scenario}")
    conda:
        "../envs/balancebc.yaml"
    resources:
        **requests("label"),
    shell:
        "balancebc label --scenario {wildcards.scenario}"
