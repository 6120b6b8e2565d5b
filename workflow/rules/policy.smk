# Per method (and seed): weights → train a robomimic policy → evaluate it by rollouts.


rule weights:
    input:
        paths.labels("{scenario}"),
    output:
        paths.weights("{scenario}", "{method}"),
    params:
        method=lambda w: config["methods"][w.method],
    log:
        paths.log("weights", "{scenario}", "{method}"),
    shell:
        "balancebc weights --scenario {wildcards.scenario} --method {wildcards.method}"


rule train:
    input:
        paths.dataset("{scenario}"),
        paths.labels("{scenario}"),
        paths.weights("{scenario}", "{method}"),
    output:
        paths.checkpoint("{scenario}", "{method}", "{seed}"),
        paths.train_log("{scenario}", "{method}", "{seed}"),
    params:
        train=config["train"],
    log:
        paths.log("train", "{scenario}", "{method}", "{seed}"),
    shell:
        "balancebc train --scenario {wildcards.scenario} --method {wildcards.method} --seed {wildcards.seed}"


rule evaluate:
    input:
        paths.dataset("{scenario}"),
        paths.weights("{scenario}", "{method}"),
        paths.checkpoint("{scenario}", "{method}", "{seed}"),
    output:
        paths.evaluation("{scenario}", "{method}", "{seed}"),
    params:
        evaluate=config["evaluate"],
    threads: config["evaluate"]["workers"]
    log:
        paths.log("evaluate", "{scenario}", "{method}", "{seed}"),
    shell:
        "balancebc evaluate --scenario {wildcards.scenario} --method {wildcards.method} --seed {wildcards.seed}"
