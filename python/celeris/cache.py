"""The compile cache on disk: artifacts of `celeris.compile` and object code
of the CPU path (`celeris.host`) keyed by what determines them, so a second
call — or a second process, even on a machine without the compiler — pays
no compile.

Key: SHA-256 of the source text, the chip, the binary format, the schedule
overrides and the cache layout version (GPU artifacts); of the source text,
the entry, the lowering options and the host's triple, CPU and features
(CPU object code, which runs only on a host like the one that compiled it). An entry is a directory
`<cache>/<key>/` holding the artifact and `entry.json`, which records the
SHA-256 of every artifact file and the identity of the compiler that wrote
it (the SHA-256 of its binary: celeris-compile, or the _celeris_host
extension). An entry is used only when every file is
present with its recorded hash and, where the compiler is available, it
was written by the same compiler; otherwise it is rebuilt. Entries are
written into a temporary directory and renamed into place, so a crash or a
concurrent writer never leaves a half-written entry behind.

The cache directory is $CELERIS_CACHE_DIR, else ~/.cache/celeris.
"""

import hashlib
import json
import os
import shutil
import tempfile

LAYOUT_VERSION = 1
_ENTRY = "entry.json"
_tool_hashes = {}


def default_dir():
    return os.environ.get("CELERIS_CACHE_DIR",
                          os.path.join(os.path.expanduser("~"), ".cache", "celeris"))


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def compiler_identity(tool):
    """The SHA-256 of the compiler binary `tool` (None when there is none),
    computed once per process."""
    if tool is None:
        return None
    stat = os.stat(tool)
    key = (tool, stat.st_mtime_ns, stat.st_size)
    if key not in _tool_hashes:
        _tool_hashes[key] = _sha256_file(tool)
    return _tool_hashes[key]


def key(source_text, chip, binary_format, schedule):
    text = json.dumps({"layout": LAYOUT_VERSION, "source": source_text, "chip": chip,
                       "format": binary_format, "schedule": schedule or ""},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def host_key(source_text, entry, options, host_target):
    """The key of the CPU object code of function `entry` of `source_text`
    lowered with `options` (a dict) for `host_target`."""
    text = json.dumps({"layout": LAYOUT_VERSION, "target": "host", "source": source_text,
                       "entry": entry or "", "options": options, "host": host_target},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def lookup(cache_dir, entry_key, compiler, main="manifest.txt"):
    """The path of file `main` of a valid entry, or None (missing, corrupt or
    stale)."""
    entry = os.path.join(cache_dir, entry_key)
    try:
        with open(os.path.join(entry, _ENTRY)) as f:
            record = json.load(f)
        if record.get("layout") != LAYOUT_VERSION:
            return None
        if compiler is not None and record.get("compiler") != compiler:
            return None
        files = record["files"]
        if main not in files:
            return None
        for name, digest in files.items():
            if _sha256_file(os.path.join(entry, name)) != digest:
                return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return os.path.join(entry, main)


def store(cache_dir, entry_key, compiler, build, main="manifest.txt"):
    """Builds an entry with `build(directory)` (which writes the artifact
    there) and moves it into place; returns the path of its file `main`."""
    os.makedirs(cache_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{entry_key[:16]}-", dir=cache_dir)
    try:
        build(staging)
        files = {name: _sha256_file(os.path.join(staging, name))
                 for name in sorted(os.listdir(staging))}
        with open(os.path.join(staging, _ENTRY), "w") as f:
            json.dump({"layout": LAYOUT_VERSION, "compiler": compiler, "files": files}, f)
        entry = os.path.join(cache_dir, entry_key)
        # Replace a corrupt or stale entry; a concurrent writer that won the
        # race leaves a valid entry, which is then used as it is.
        if os.path.isdir(entry):
            if lookup(cache_dir, entry_key, compiler, main) is not None:
                return os.path.join(entry, main)
            shutil.rmtree(entry, ignore_errors=True)
        try:
            os.rename(staging, entry)
        except OSError:
            if lookup(cache_dir, entry_key, compiler, main) is None:
                raise
        return os.path.join(entry, main)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
