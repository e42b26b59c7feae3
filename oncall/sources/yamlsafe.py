"""YAML loading that refuses alias bombs and self-referencing documents.

`yaml.safe_load` builds aliased nodes as shared objects, so a "billion laughs" file
loads quickly and small; the blow-up comes later, when anything walks or prints the
value (`str()` of a list nested nine times nine wide). Counting the expanded size of
the node graph before constructing Python objects stops that at the door, whichever
field the bomb hides in. Aliases that point back into their own anchor make cyclic
values no consumer expects, so they are refused too.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, SequenceNode

# A catalog of a thousand components is a few hundred thousand nodes at most.
MAX_EXPANDED_NODES = 1_000_000


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that checks each composed document before constructing it."""

    def compose_document(self) -> Node | None:
        node: Node | None = super().compose_document()
        if node is not None:
            check_expansion(node)
        return node


def safe_load(text: str) -> Any:
    """Like `yaml.safe_load`, refusing documents whose aliases expand too far."""
    return yaml.load(text, Loader=_GuardedLoader)


def safe_load_all(text: str) -> list[Any]:
    """Like `list(yaml.safe_load_all(...))`, with the same guard per document."""
    return list(yaml.load_all(text, Loader=_GuardedLoader))


def check_expansion(root: Node, limit: int = MAX_EXPANDED_NODES) -> None:
    """Raises a `ConstructorError` when the expanded tree exceeds `limit` nodes or
    refers to itself. Iterative, with sizes memoised per shared node, so the check
    itself stays linear in the size of the file."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            sizes[key] = min(total, limit + 1)
            if total > limit:
                raise ConstructorError(
                    None, None,
                    f"aliases expand to more than {limit:,} values (an alias bomb?)",
                    node.start_mark,
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise ConstructorError(None, None, "an alias refers to its own anchor",
                                   node.start_mark)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []
