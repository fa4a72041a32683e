"""kiyaku: service-agreement terms as data, rules as data, and an evaluator that cites them.

The library's entry point is `Judge` (kiyaku.replay.judge): events in, rulings out. Bad events raise
`InputError`, terms or rules that do not check raise `DefinitionError`; both carry `findings`, each
with a file, a line and a message. See "Python API" in the README.
"""

from typing import Any

__all__ = ["DefinitionError", "InputError", "Judge", "KiyakuError"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `import kiyaku.x` (every command) does not load the engine.
    if name == "Judge":
        from kiyaku.replay.judge import Judge

        return Judge
    if name in ("DefinitionError", "InputError", "KiyakuError"):
        from kiyaku import errors

        return getattr(errors, name)
    raise AttributeError(name)
