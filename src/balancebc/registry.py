"""Registries by name, robomimic-style (``algo_factory``, ``config_factory``): each scenario
kind, weighting method kind and policy is one module that registers itself here when its
package is imported, and every stage looks it up by the name written in params.yaml."""
from __future__ import annotations

from typing import Generic, TypeVar

from balancebc.errors import BalanceBCError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, what: str):
        self.what = what
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        """Add ``entry`` under its ``name``; a second entry with the same name is a bug."""
        name = entry.name
        if name in self._entries:
            raise ValueError(f"{self.what} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def __getitem__(self, name: str) -> T:
        load_builtins()
        try:
            return self._entries[name]
        except KeyError:
            raise BalanceBCError(f"unknown {self.what} {name!r}; expected one of {sorted(self._entries)}") from None

    def __iter__(self):
        load_builtins()
        return iter(list(self._entries.values()))

    def names(self) -> list[str]:
        load_builtins()
        return list(self._entries)


SCENARIOS: Registry = Registry("scenario kind")
METHODS: Registry = Registry("weighting method kind")
POLICIES: Registry = Registry("policy")

# The packages whose modules register the built-in kinds, imported on first use (by name,
# as a plugin loader would, so that this module stays below them).
BUILTIN_PACKAGES = ("balancebc.scenarios", "balancebc.balance.methods", "balancebc.policies")


def load_builtins() -> None:
    """Import the built-in kinds' packages (once; later calls cost a dictionary lookup)."""
    import importlib
    import sys
    for package in BUILTIN_PACKAGES:
        if package not in sys.modules:
            importlib.import_module(package)
