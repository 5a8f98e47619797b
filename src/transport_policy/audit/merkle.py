"""Merkle tree hashes (RFC 6962, section 2.1) over rows, computed as they stream past.

A row's leaf hash is ``SHA-256(0x00 || bytes)``, an inner node's ``SHA-256(0x01 || left ||
right)``, and the tree over ``n`` leaves splits them at the largest power of two below ``n``; the
hash of no leaves is ``SHA-256("")``. Because of that split, when rows are cut into partitions of
``2**k`` rows (the last may hold fewer), each partition's root is a subtree of the tree over all
rows: the root over every row is computed from the partition roots alone (:class:`TreeHash`'s
:meth:`~TreeHash.add_subtree`), and it is the same whatever the partition size.

Only one hash per level is kept (a binary counter of complete subtrees), so memory does not grow
with the number of rows.
"""

from __future__ import annotations

import hashlib
from typing import Final

PREFIX: Final = "sha256:"
EMPTY: Final = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def as_text(digest: bytes) -> str:
    return PREFIX + digest.hex()


def from_text(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix(PREFIX))


class TreeHash:
    """The RFC 6962 tree hash of a sequence of leaves, added in order."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        """Roots of complete subtrees, largest first, with their sizes (powers of two)."""
        self.size = 0

    def add(self, data: bytes) -> None:
        """Add one leaf (a row's bytes)."""
        self.add_subtree(1, leaf_hash(data))

    def add_subtree(self, size: int, root: bytes) -> None:
        """Add the root of a complete subtree of ``size`` leaves (a power of two no larger than
        the smallest subtree added so far: partitions of ``2**k`` rows, say)."""
        if size & (size - 1) or size <= 0 or (self._stack and self._stack[-1][0] < size):
            raise ValueError(f"a subtree of {size} leaves cannot follow these")
        self.size += size
        self._stack.append((size, root))
        while len(self._stack) > 1 and self._stack[-1][0] == self._stack[-2][0]:
            (n, right), (_, left) = self._stack.pop(), self._stack.pop()
            self._stack.append((2 * n, node_hash(left, right)))

    def root(self, last: bytes | None = None) -> bytes:
        """The tree hash of every leaf added so far (``SHA-256("")`` when none was); with
        ``last``, of those leaves followed by a smaller, incomplete subtree whose root it is."""
        stack = [*self._stack, (0, last)] if last is not None else self._stack
        if not stack:
            return EMPTY
        digest = stack[-1][1]
        for _, left in reversed(stack[:-1]):
            digest = node_hash(left, digest)
        return digest


def tree_hash(leaves: list[bytes]) -> bytes:
    """The RFC 6962 tree hash of ``leaves`` by its recursive definition (a reference for tests
    and for readers re-implementing it)."""
    if not leaves:
        return EMPTY
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(tree_hash(leaves[:split]), tree_hash(leaves[split:]))


def combine(partition_rows: int, roots: list[tuple[int, bytes]]) -> bytes:
    """The root over every row from the partitions' ``(rows, root)`` in order: each partition
    but the last holds exactly ``partition_rows`` rows, a power of two."""
    tree = TreeHash()
    for n, (rows, root) in enumerate(roots):
        if rows == partition_rows:
            tree.add_subtree(rows, root)
        elif n == len(roots) - 1 and 0 < rows < partition_rows:
            return tree.root(last=root)
        else:
            raise ValueError(f"partition {n + 1} holds {rows} rows, not {partition_rows}")
    return tree.root()
