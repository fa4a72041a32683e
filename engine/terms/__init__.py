"""The agreements as citable, versioned data (terms/)."""

from typing import Any

from kiyaku.terms.model import Agreement, Parameter, Provision, Terms, Version

__all__ = ["Agreement", "Parameter", "Provision", "Terms", "Version", "load_terms"]


def __getattr__(name: str) -> Any:
    # The loader brings in the YAML and JSON Schema machinery; a run served from the cache
    # (engine.definitions) never needs it, so it is imported on first use.
    if name == "load_terms":
        from kiyaku.terms.loader import load_terms

        return load_terms
    raise AttributeError(name)
