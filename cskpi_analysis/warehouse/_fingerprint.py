"""What a warehouse was built from: the folder's files, the build parameters and the code version."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from collections.abc import Callable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from cskpi_analysis.warehouse._parameters import _jsonable

_HASH_CHUNK = 1 << 22

_CODE_FILES = ("contract", "validate", "sources.py", "models.py", "warehouse", "config.py")
"""The modules that shape a build, hashed into :func:`code_version`; a folder (``contract``, ``validate``,
``warehouse``) stands for every module in it."""


def _file_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _listing(data_dir: Path) -> dict[str, tuple[int, int]]:
    """Every visible top-level file of the folder: name -> (size, mtime in ns)."""
    out = {}
    for path in sorted(data_dir.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        stat = path.stat()
        out[path.name] = (stat.st_size, stat.st_mtime_ns)
    return out


def _module_digest(function: Callable[..., Any]) -> str:
    """A short hash of the code that defines ``function``: its module's file, or for a module of a
    subpackage (``survival/``, ``indicators/``) every module of that subpackage and ``stats.py``,
    which they share, so a change to a helper recomputes the results that use it."""
    function = getattr(function, "func", function)  # a functools.partial: the function it wraps
    module = sys.modules.get(getattr(function, "__module__", ""), None)
    source = getattr(module, "__file__", None)
    if not source or not Path(source).is_file():
        return "nosource"
    folder = Path(source).parent
    files = [Path(source)]
    if folder.name != "cskpi_analysis" and folder.parent.name == "cskpi_analysis":
        files = sorted(folder.glob("*.py")) + [folder.parent / "stats.py"]
    digest = hashlib.blake2b(digest_size=6)
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def code_version() -> str:
    """The package version and a hash of the SQL models and the modules that shape a build."""
    from cskpi_analysis import __version__

    digest = hashlib.blake2b(digest_size=12)
    package = resources.files("cskpi_analysis")
    sql = package.joinpath("sql")
    names = sorted(p.name for p in sql.iterdir() if p.name.endswith(".sql"))
    names += sorted("checks/" + p.name for p in sql.joinpath("checks").iterdir() if p.name.endswith((".sql", ".toml")))
    for name in names:
        digest.update(name.encode())
        digest.update(sql.joinpath(name).read_bytes())
    for entry in _CODE_FILES:
        files = [entry] if entry.endswith(".py") else _modules_of(package.joinpath(entry), entry)
        for name in files:
            digest.update(name.encode())
            digest.update(package.joinpath(name).read_bytes())
    return f"{__version__}+{digest.hexdigest()}"


def _modules_of(folder: Traversable, prefix: str) -> list[str]:
    """The ``.py`` files of a package folder, as sorted ``prefix/name`` paths (no ``__pycache__``)."""
    return sorted(f"{prefix}/{p.name}" for p in folder.iterdir() if p.name.endswith(".py"))


@dataclasses.dataclass(frozen=True)
class Inputs:
    """What a warehouse was built from: the folder's files, with size, time and content hash."""

    files: dict[str, tuple[int, int, str]]

    @classmethod
    def read(cls, data_dir: Path, known: Inputs | None = None) -> Inputs:
        """The folder's files; a hash is reused from ``known`` when size and time are unchanged."""
        files = {}
        for name, (size, mtime) in _listing(data_dir).items():
            previous = known.files.get(name) if known else None
            if previous and previous[0] == size and previous[1] == mtime:
                files[name] = previous
            else:
                files[name] = (size, mtime, _file_hash(data_dir / name))
        return cls(files)

    def same_content(self, other: Inputs) -> bool:
        """Same file names with the same sizes and hashes (times may differ)."""
        mine = {n: (s, h) for n, (s, _, h) in self.files.items()}
        theirs = {n: (s, h) for n, (s, _, h) in other.files.items()}
        return mine == theirs

    def unchanged_since(self, data_dir: Path) -> bool:
        """True when every file has the recorded size and time (no hashing)."""
        return {n: (s, m) for n, (s, m, _) in self.files.items()} == _listing(data_dir)

    def digest(self) -> str:
        text = json.dumps({n: [s, h] for n, (s, _, h) in sorted(self.files.items())})
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def fingerprint(inputs: Inputs, parameters: dict[str, Any], code: str) -> str:
    """One hash of the inputs' contents, the build parameters and the code version."""
    text = json.dumps({"inputs": inputs.digest(), "parameters": _jsonable(parameters), "code": code}, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
