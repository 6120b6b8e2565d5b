"""Pipeline stages, one module per `balancebc <stage>` command: generate → label → weights
→ train → evaluate → report → claims. Each has a ``run(params, ...)`` taking the job's
wildcards (scenario, replicate, method, seed) and stays thin: it reads the job's inputs,
calls the library (``scenarios``, ``sim``, ``sources``, ``labels``, ``balance``,
``policies``, ``analysis``) and writes its outputs."""
