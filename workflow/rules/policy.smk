# Per method and seed: reference losses → weights → train a policy → evaluate it.


rule reference:
    input:
        paths.dataset("{scenario}"),
        paths.labels("{scenario}"),
    output:
        paths.reference("{scenario}", "{method}", "{seed}"),
    params:
        method=lambda w: config["methods"][w.method],
        balance=lambda w: balance_settings(w.method),
    threads: 1
    log:
        paths.log("reference", "{scenario}", "{method}", "{seed}"),
    benchmark:
        paths.benchmark("reference", "{scenario}", "{method}", "{seed}"),
    resources:
        **requests("reference"),
    shell:
        "balancebc reference --scenario {wildcards.scenario} --method {wildcards.method} --seed {wildcards.seed}"


rule weights:
    input:
        paths.dataset("{scenario}"),
        paths.labels("{scenario}"),
        paths.reference("{scenario}", "{method}", "{seed}"),
    output:
        paths.weights("{scenario}", "{method}", "{seed}"),
    params:
        method=lambda w: config["methods"][w.method],
        balance=lambda w: balance_settings(w.method),
    threads: 1
    log:
        paths.log("weights", "{scenario}", "{method}", "{seed}"),
    benchmark:
        paths.benchmark("weights", "{scenario}", "{method}", "{seed}"),
    resources:
        **requests("weights"),
    shell:
        "balancebc weights --scenario {wildcards.scenario} --method {wildcards.method} --seed {wildcards.seed}"


rule train:
    input:
        paths.dataset("{scenario}"),
        paths.labels("{scenario}"),
        paths.weights("{scenario}", "{method}", "{seed}"),
    output:
        paths.checkpoint("{scenario}", "{method}", "{seed}"),
        paths.train_log("{scenario}", "{method}", "{seed}"),
    params:
        train=config["train"],
        scenario=lambda w: config["scenarios"][w.scenario],
    threads: 1
    log:
        paths.log("train", "{scenario}", "{method}", "{seed}"),
    benchmark:
        paths.benchmark("train", "{scenario}", "{method}", "{seed}"),
    resources:
        **requests("train"),
    shell:
        "balancebc train --scenario {wildcards.scenario} --method {wildcards.method} --seed {wildcards.seed}"


rule evaluate:
    input:
        paths.dataset("{scenario}"),
        paths.weights("{scenario}", "{method}", "{seed}"),
        paths.checkpoint("{scenario}", "{method}", "{seed}"),
    output:
        paths.evaluation("{scenario}", "{method}", "{seed}"),
    params:
        evaluate=config["evaluate"],
        scenario=lambda w: config["scenarios"][w.scenario],
    threads: config["evaluate"]["workers"]
    log:
        paths.log("evaluate", "{scenario}", "{method}", "{seed}"),
    benchmark:
        paths.benchmark("evaluate", "{scenario}", "{method}", "{seed}"),
    resources:
        **requests("evaluate"),
    shell:
        "balancebc evaluate --scenario {wildcards.scenario} --method {wildcards.method} --seed {wildcards.seed}"
