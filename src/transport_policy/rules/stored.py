"""Loaded policy versions and compiled rulesets, kept on disk between processes.

A one-shot command (``transport-policy decide CASE``) would otherwise parse and validate a
version's YAML and compile its conditions on every run: about a tenth of its time. What they
make is a pure function of the rule files' bytes and of this package's code, so it is kept in a
file named by a SHA-256 of both and read back when nothing changed:

* **the key** covers the kind of thing kept, the content (every rule file's path and bytes, or the
  conditions a ruleset is compiled from), the interpreter and pydantic versions, and a
  fingerprint of the source files that make it (each one's path, size and modification time, so
  an edit to the code of a source checkout is a new key too);
* **a file** holds a header, the SHA-256 of its body and the body (a pickle). A file whose header
  or checksum does not match (cut short, corrupted, made by other code) is ignored and made
  again; files are written to a temporary name and renamed, so a reader never sees half a file;
* **nothing fails because of it**: a folder that cannot be made or written, or a file that cannot
  be read, only means the work is done again. An error in the rules is never kept: only what
  loaded and compiled is.

The folder is ``$TRANSPORT_POLICY_CACHE_DIR``, or ``transport-policy`` in the user's cache folder
(``$XDG_CACHE_HOME``, else ``~/.cache``; ``%LOCALAPPDATA%`` on Windows). It is made readable by its
owner only: what it holds is read back as trusted code's output, as a virtualenv's files are.
``TRANSPORT_POLICY_NO_CACHE=1`` turns it off. Each kind of thing keeps at most
:data:`KEEP` files (the oldest removed first), so edits do not make the folder grow.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final, TypeVar

import pydantic

ENV_DIR: Final = "TRANSPORT_POLICY_CACHE_DIR"
ENV_OFF: Final = "TRANSPORT_POLICY_NO_CACHE"
KEEP: Final = 16
"""Files kept per kind; older ones are removed when a new one is written."""

_MAGIC: Final = b"transport-policy stored 1\n"
_PACKAGE: Final = Path(__file__).resolve().parents[1]

_T = TypeVar("_T")


def cache_dir() -> Path | None:
    """The folder kept results live in, or ``None`` when keeping is turned off."""
    if os.environ.get(ENV_OFF, "").strip().lower() not in ("", "0", "false", "no"):
        return None
    chosen = os.environ.get(ENV_DIR)
    if chosen:
        return Path(chosen)
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "transport-policy" / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "transport-policy"


MADE_BY: Final = (
    "__init__.py",
    "casefile.py",
    "digest.py",
    "errors.py",
    "engine",
    "model",
    "rules",
)
"""The package's files and folders whose code makes what is kept: the loader, the compiler and
every module they import (a test holds the imports to this list)."""

_code: bytes | None = None


def code_fingerprint() -> bytes | None:
    """The files of :data:`MADE_BY`: each one's path, size and modification time (once a
    process), with the interpreter's and pydantic's versions; ``None`` when they cannot be read
    (a package imported from an archive, say), and then nothing is kept."""
    global _code
    if _code is None:
        parts = [sys.version.encode(), pydantic.VERSION.encode()]
        try:
            for name in MADE_BY:
                path = _PACKAGE / name
                if name.endswith(".py"):
                    files = [str(path)]
                else:
                    with os.scandir(path) as entries:
                        files = sorted(e.path for e in entries if e.name.endswith(".py"))
                for file in files:
                    st = os.stat(file)
                    parts.append(os.fsencode(file) + f":{st.st_size}:{st.st_mtime_ns}".encode())
        except OSError:
            return None
        _code = hashlib.sha256(b"\0".join(parts)).digest()
    return _code


def files_key(paths: Iterable[str]) -> list[bytes]:
    """The key parts of some files: each one's path and bytes (a folder, or a file that cannot
    be read: its path alone; loading then reports the file)."""
    parts: list[bytes] = []
    for path in paths:
        parts.append(os.fsencode(path))
        try:
            parts.append(Path(path).read_bytes())
        except OSError:
            parts.append(b"-")
    return parts


def kept(kind: str, key: Iterable[bytes], make: Callable[[], _T]) -> _T:
    """What ``make()`` returns, read from the file of ``kind`` and ``key`` when there is one;
    otherwise made and written there. ``make``'s exceptions propagate and nothing is written."""
    folder, code = cache_dir(), code_fingerprint()
    if folder is None or code is None:
        return make()
    digest = hashlib.sha256(kind.encode() + b"\0" + code)
    for part in key:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    path = folder / f"{kind}-{digest.hexdigest()[:40]}.pickle"
    found = _read(path)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = make()
    _write(folder, path, kind, value)
    return value


def _read(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + 32
    if len(data) < head or not data.startswith(_MAGIC):
        return None
    body = memoryview(data)[head:]
    if hashlib.sha256(body).digest() != data[len(_MAGIC) : head]:
        return None
    try:
        return pickle.loads(body)
    except Exception:  # a file made by other code: made again
        return None


def _write(folder: Path, path: Path, kind: str, value: object) -> None:
    try:
        buffer = io.BytesIO()
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
        body = buffer.getvalue()
    except Exception:  # a value that cannot be pickled is not kept
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{kind}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(_MAGIC + hashlib.sha256(body).digest() + body)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _prune(folder, kind)
    except OSError:
        return


class _Pickler(pickle.Pickler):
    """Writes dataclasses and pydantic models as calls of their constructors.

    Objects read back the default way get their attributes from the file as a plain dict, whose
    keys are not the interned names the code looks up and which the interpreter cannot share
    between instances of a class: every attribute read on the hot path is then slower (about 1%
    of a decision made with a kept policy). Made by their constructors, they are laid out as
    loading makes them. Values a ``cached_property`` stored are kept as they were.
    """

    def reducer_override(self, obj: object) -> Any:
        kind = type(obj)
        if dataclasses.is_dataclass(kind) and not isinstance(obj, type):
            fields = dataclasses.fields(kind)
            given = {f.name: getattr(obj, f.name) for f in fields if f.init}
            names = {f.name for f in fields}
            extra = {k: v for k, v in vars(obj).items() if k not in names}
            return _dataclass, (kind, given, extra)
        if isinstance(obj, pydantic.BaseModel):
            return _model, (kind, dict(obj.__dict__), set(obj.model_fields_set))
        return NotImplemented


def _dataclass(kind: type[_T], given: dict[str, Any], extra: dict[str, Any]) -> _T:
    made = kind(**given)
    if extra:
        vars(made).update((sys.intern(k), v) for k, v in extra.items())
    return made


def _model(kind: type[pydantic.BaseModel], values: dict[str, Any], given: set[str]) -> Any:
    return kind.model_construct(_fields_set=given, **values)


def _prune(folder: Path, kind: str) -> None:
    """Remove all but the :data:`KEEP` newest files of ``kind``."""
    files = []
    for entry in os.scandir(folder):
        if entry.name.startswith(f"{kind}-") and entry.name.endswith(".pickle"):
            try:
                files.append((entry.stat().st_mtime_ns, entry.path))
            except OSError:
                continue
    for _, old in sorted(files, reverse=True)[KEEP:]:
        Path(old).unlink(missing_ok=True)
