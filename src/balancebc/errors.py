class BalanceBCError(Exception):
    """An error the user can fix (bad params, missing or corrupt input): the CLI prints
    its message alone, without a traceback."""
