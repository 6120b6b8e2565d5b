"""Scenarios: named ways to obtain a labelled dataset and to evaluate each behavior."""
