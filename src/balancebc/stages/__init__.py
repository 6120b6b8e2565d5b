"""Pipeline stages, one module each; every stage is one `balancebc <stage>` command."""
