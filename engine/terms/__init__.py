"""The agreements as citable, versioned data (terms/)."""

from engine.terms.loader import load_terms
from engine.terms.model import Agreement, Parameter, Provision, Terms, Version

__all__ = ["Agreement", "Parameter", "Provision", "Terms", "Version", "load_terms"]
