# Per method and seed: weights (with a DRO method's reference losses) → train a policy → evaluate it.


rule weights:
    input:
        dataset=paths.dataset("{scenario}"),
        labels=paths.labels("{scenario}"),
        labelled=paths.labelled("{scenario}"),
    output:
        weights=paths.weights("{scenario}", "{method}", "{seed}"),
    params:
        **depends_on("weights"),
    log:
        paths.log("weights", "{scenario}", "{method}", "{seed}"),
    benchmark:
        paths.benchmark("weights", "{scenario}", "{method}", "{seed}")
    conda:
        "../envs/balancebc.yaml"
    resources:
        **requests("weights"),
    shell:
        "balancebc weights --scenario {wildcards.scenario} --method {wildcards.method} --seed {wildcards.seed}"


rule train:
    input:
        dataset=paths.dataset("{scenario}"),
        labelled=paths.labelled("{scenario}"),
        weights=paths.weights("{scenario}", "{method}", "{seed}"),
    output:
        checkpoint=paths.checkpoint("{scenario}", "{method}", "{seed}"),
        train_log=paths.train_log("{scenario}", "{method}", "{seed}"),
    params:
        **depends_on("train"),
    log:
        paths.log("train", "{scenario}", "{method}", "{seed}"),
    benchmark:
        paths.benchmark("train", "{scenario}", "{method}", "{seed}")
    conda:
        "../envs/balancebc.yaml"
    resources:
        **requests("train"),
    shell:
        "balancebc train --scenario {wildcards.scenario} --method {wildcards.method} --seed {wildcards.seed}"


rule evaluate:
    input:
        dataset=paths.dataset("{scenario}"),
        labelled=paths.labelled("{scenario}"),
        weights=paths.weights("{scenario}", "{method}", "{seed}"),
        checkpoint=paths.checkpoint("{scenario}", "{method}", "{seed}"),
    output:
        evaluation=paths.evaluation("{scenario}", "{method}", "{seed}"),
    params:
        **depends_on("evaluate"),
    threads: config["evaluate"]["workers"]
    log:
        paths.log("evaluate", "{scenario}", "{method}", "{seed}"),
    benchmark:
        paths.benchmark("evaluate", "{scenario}", "{method}", "{seed}")
    conda:
        "../envs/balancebc.yaml"
    resources:
        **requests("evaluate"),
    shell:
        "balancebc evaluate --scenario {wildcards.scenario} --method {wildcards.method} --seed {wildcards.seed}"
