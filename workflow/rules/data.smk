# Dataset stages: one robomimic file per scenario and dataset replicate, then its behavior labels.


rule generate:
    input:
        source=imported_source,
    output:
        dataset=paths.dataset("{scenario}", "{replicate}"),
    params:
        **depends_on("generate"),
    threads: lambda wildcards: scenario_kind(wildcards).threads(scenario_params(wildcards))
    log:
        paths.log("generate", "{scenario}", "{replicate}"),
    benchmark:
        paths.benchmark("generate", "{scenario}", "{replicate}")
    conda:
        "../envs/balancebc.yaml"
    resources:
        **requests("generate"),
    shell:
        "balancebc generate --scenario {wildcards.scenario} --replicate {wildcards.replicate}"


rule label:
    input:
        dataset=paths.dataset("{scenario}", "{replicate}"),
    output:
        labels=paths.labels("{scenario}", "{replicate}"),
        labelled=paths.labelled("{scenario}", "{replicate}"),
    params:
        **depends_on("label"),
    log:
        paths.log("label", "{scenario}", "{replicate}"),
    benchmark:
        paths.benchmark("label", "{scenario}", "{replicate}")
    conda:
        "../envs/balancebc.yaml"
    resources:
        **requests("label"),
    shell:
        "balancebc label --scenario {wildcards.scenario} --replicate {wildcards.replicate}"
