# Per method, dataset replicate and seed (a policy): weights (with a DRO method's reference losses) → train a policy → evaluate it.


rule weights:
    input:
        dataset=paths.dataset("{scenario}", "{replicate}"),
        labels=paths.labels("{scenario}", "{replicate}"),
        labelled=paths.labelled("{scenario}", "{replicate}"),
    output:
        weights=paths.weights("{scenario}", "{method}", "{replicate}", "{seed}"),
        export=[f"{paths.export('{scenario}', '{method}', '{replicate}', '{seed}')}/{name}" for name in paths.EXPORT_FILES],
    params:
        **depends_on("weights"),
    log:
        paths.log("weights", "{scenario}", "{replicate}", "{method}", "{seed}"),
    benchmark:
        paths.benchmark("weights", "{scenario}", "{replicate}", "{method}", "{seed}")
    conda:
        "../envs/balancebc.yaml"
    resources:
        **requests("weights"),
    shell:
        "balancebc weights --scenario {wildcards.scenario} --replicate {wildcards.replicate} --method {wildcards.method} --seed {wildcards.seed}"


rule train:
    input:
        dataset=paths.dataset("{scenario}", "{replicate}"),
        labelled=paths.labelled("{scenario}", "{replicate}"),
        weights=paths.weights("{scenario}", "{method}", "{replicate}", "{seed}"),
    output:
        checkpoints=CHECKPOINTS,
        train_log=paths.train_log("{scenario}", "{method}", "{replicate}", "{seed}"),
    params:
        **depends_on("train"),
    log:
        paths.log("train", "{scenario}", "{replicate}", "{method}", "{seed}"),
    benchmark:
        paths.benchmark("train", "{scenario}", "{replicate}", "{method}", "{seed}")
    conda:
        "../envs/balancebc.yaml"
    resources:
        **requests("train"),
    shell:
        "balancebc train --scenario {wildcards.scenario} --replicate {wildcards.replicate} --method {wildcards.method} --seed {wildcards.seed}"


rule evaluate:
    input:
        dataset=paths.dataset("{scenario}", "{replicate}"),
        labelled=paths.labelled("{scenario}", "{replicate}"),
        weights=paths.weights("{scenario}", "{method}", "{replicate}", "{seed}"),
        checkpoints=CHECKPOINTS,
    output:
        evaluation=paths.evaluation("{scenario}", "{method}", "{replicate}", "{seed}"),
    params:
        **depends_on("evaluate"),
    threads: config["evaluate"]["workers"]
    log:
        paths.log("evaluate", "{scenario}", "{replicate}", "{method}", "{seed}"),
    benchmark:
        paths.benchmark("evaluate", "{scenario}", "{replicate}", "{method}", "{seed}")
    conda:
        "../envs/balancebc.yaml"
    resources:
        **requests("evaluate"),
    shell:
        "balancebc evaluate --scenario {wildcards.scenario} --replicate {wildcards.replicate} --method {wildcards.method} --seed {wildcards.seed}"
