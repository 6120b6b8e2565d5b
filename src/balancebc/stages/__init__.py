"""Pipeline stages, one module per `balancebc <stage>` command, each with a
``run(params, scenario[, method, seed])``: generate → label → weights → train → evaluate →
report."""
