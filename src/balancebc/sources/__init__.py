"""Data sources other than the simulated scenarios: datasets imported into robomimic's format."""
