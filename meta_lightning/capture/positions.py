"""Which token positions to read in each example.

Accepted forms:
- ``"last"``: the last token;
- ``"last:K"``: the last K tokens (an example shorter than K is an error);
- ``"tail:K"``: the last K tokens, or every token of a shorter example: a multi-position reading of bounded
  cost that covers short conversations whole;
- ``"all"``: every token (examples then differ in length);
- ``"assistant"``: the first token of the last assistant turn (its header), where the model starts to reply;
- a list of ints: explicit indices, negative from the end;
- ``"system+"`` before any of the named forms (``"system+tail:32"``): also every token before the first user
  message, where a system prompt lives (or the chat template's default one), however long the conversation.
  ``"system"`` alone reads only those.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

from meta_lightning.errors import ConfigError

PositionSpec = Union[str, int, Sequence[int]]

_FIX = "Use 'last', 'last:K', 'tail:K', 'all', 'assistant', 'system', 'system+' before one of those, or a list of token indices"


@dataclass(frozen=True)
class Positions:
    kind: str  # last | tail | all | assistant | indices | none (only the system part)
    count: int = 1
    indices: tuple[int, ...] = ()
    system: bool = False
    """Also read every token before the first user message (the system prompt)."""

    def canonical(self) -> str:
        """A stable text form, for cache keys and logs."""
        if self.system:
            return "system" if self.kind == "none" else "system+" + Positions(self.kind, self.count).canonical()
        if self.kind == "last":
            return "last" if self.count == 1 else f"last:{self.count}"
        if self.kind == "tail":
            return f"tail:{self.count}"
        if self.kind == "indices":
            return "indices:" + ",".join(map(str, self.indices))
        return self.kind

    @property
    def fixed_count(self) -> "int | None":
        """Positions read per example, or None when it depends on the example's length (``all``; ``tail:K`` reads
        at most K)."""
        if self.system:
            return None
        return {"last": self.count, "indices": len(self.indices), "assistant": 1}.get(self.kind)

    @property
    def at_most(self) -> "int | None":
        """The most positions one example gives, or None for ``all`` and the system part (its length varies)."""
        if self.system:
            return None
        return self.count if self.kind == "tail" else self.fixed_count

    def resolve(self, length: int, assistant_start: Optional[int] = None, field: str = "positions",
                system_end: Optional[int] = None) -> list[int]:
        """Token indices (0-based, unpadded, ascending) for one example of ``length`` tokens; ``system_end`` is
        the number of tokens before its first user message (:class:`~meta_lightning.capture.encode.EncodedText`)."""
        if not self.system:
            return self._resolve(length, assistant_start, field)
        if system_end is None:
            raise ConfigError(field, "'system' needs examples encoded from chat messages with a user message",
                              "Encode with encode_chat, or drop 'system'")
        rest = [] if self.kind == "none" else self._resolve(length, assistant_start, field)
        out = sorted(set(range(min(system_end, length))) | set(rest))
        if not out:
            raise ConfigError(field, "an example has no token before its first user message", "Drop 'system' or add 'tail:K'")
        return out

    def _resolve(self, length: int, assistant_start: Optional[int], field: str) -> list[int]:
        if self.kind == "last":
            if self.count > length:
                raise ConfigError(field, f"last:{self.count} asks for more tokens than an example of {length} has",
                                  "Use a smaller K")
            return list(range(length - self.count, length))
        if self.kind == "tail":
            return list(range(max(0, length - self.count), length))
        if self.kind == "all":
            return list(range(length))
        if self.kind == "assistant":
            if assistant_start is None:
                raise ConfigError(field, "'assistant' needs examples encoded from chat messages",
                                  "Encode with encode_chat, or use 'last'")
            return [assistant_start]
        out = []
        for i in self.indices:
            j = i + length if i < 0 else i
            if not 0 <= j < length:
                raise ConfigError(field, f"index {i} is outside an example of {length} tokens", _FIX)
            out.append(j)
        return out


def parse_positions(spec: PositionSpec, field: str = "positions") -> Positions:
    if isinstance(spec, Positions):
        return spec
    if isinstance(spec, bool):
        raise ConfigError(field, f"cannot read {spec!r}", _FIX)
    if isinstance(spec, int):
        return Positions("indices", indices=(spec,))
    if isinstance(spec, (list, tuple)):
        if not spec or not all(isinstance(i, int) and not isinstance(i, bool) for i in spec):
            raise ConfigError(field, f"cannot read {spec!r}: a list must hold token indices", _FIX)
        return Positions("indices", indices=tuple(spec))
    text = str(spec).strip()
    if text == "system":
        return Positions("none", system=True)
    if text.startswith("system+"):
        rest = parse_positions(text[len("system+"):], field)
        if rest.system or rest.kind == "indices":
            raise ConfigError(field, f"cannot read {text!r}: 'system+' goes before one named form", _FIX)
        return Positions(rest.kind, rest.count, system=True)
    if text in ("last", "all", "assistant"):
        return Positions(text)
    kind, _, number = text.partition(":")
    if kind in ("last", "tail") and number:
        try:
            count = int(number)
        except ValueError:
            raise ConfigError(field, f"cannot read {text!r}", _FIX) from None
        if count < 1:
            raise ConfigError(field, f"{text!r} must ask for at least one token", _FIX)
        return Positions(kind, count=count)
    raise ConfigError(field, f"cannot read {text!r}", _FIX)
