"""balancebc: behavior cloning from imbalanced demonstrations, as a reproducible pipeline."""
__version__ = "0.1.0"
