"""Values given with `--at`: `.npz` files (never pickles) or `NAME=JSON` literals.

A scalar is a 0-d array, a vector 1-d, a matrix 2-d. Internally every value becomes a 2-D float
array (vector → n×1, scalar → 1×1). A function of t takes its derivatives as `A'`, `A''` (or `A′`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mcalc.errors import InputError

Array = Any
MAX_JSON_CHARS = 10_000_000
MAX_MEMBERS = 10_000  # arrays in one .npz file
MAX_RATIO = 1_000  # uncompressed / compressed size of one member past which it is a zip bomb
HEADER_SLACK = 4_096  # bytes of .npy header per member
# What numpy and zipfile raise on a malformed archive (with zipfile.BadZipFile and tokenize.TokenError,
# imported where a file is read): a header nested 200 deep is a TokenError from numpy's header parser,
# an unknown compression method NotImplementedError (each was an internal error)
NOT_NPZ: tuple[type[Exception], ...] = (
    OSError, ValueError, EOFError, RuntimeError, NotImplementedError, SyntaxError, RecursionError,
)  # fmt: skip
MAX_DIGITS = 300  # digits of one number in a JSON literal, as in an expression (README § Limits)


def _normalise_name(name: str) -> str:
    name = name.strip()
    primes = 0
    while name.endswith("'") or name.endswith("′"):
        name = name[:-1]
        primes += 1
    return name + "′" * primes


def _check_array(name: str, raw: Any) -> Array:
    import numpy as np

    arr = np.asarray(raw)
    if arr.dtype == object:
        raise InputError(f"value of {name} is not a numeric array")
    if arr.dtype.kind == "c":
        raise InputError(f"value of {name} is complex; mcalc works with real numbers")
    if arr.dtype.kind == "b":
        raise InputError(f"value of {name} is boolean; give numbers")
    if arr.dtype.kind not in "iuf":
        raise InputError(f"value of {name} is not numeric (dtype {arr.dtype})")
    if arr.ndim > 2:
        raise InputError(f"value of {name} has {arr.ndim} dimensions; at most 2 (a matrix)")
    if arr.size == 0:
        raise InputError(f"value of {name} is empty")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"value of {name} contains NaN or infinity")
    return arr


def load_npz(path: str) -> dict[str, Array]:
    import tokenize
    import zipfile  # here, not at the top: every diff imports this module (json_value), few read a file

    import numpy as np

    not_npz: tuple[type[Exception], ...] = (*NOT_NPZ, zipfile.BadZipFile, tokenize.TokenError)
    p = Path(path)
    try:
        exists = p.is_file()
    except OSError as exc:  # a name too long for the file system, ...
        raise InputError(f"cannot read {path[:60]}…: {exc.strerror or type(exc).__name__}") from exc
    if not exists:  # a directory or a device (/dev/zero) is there, but not a file
        raise InputError(f"cannot read {path}: {'not a regular file' if p.exists() else 'no such file'}")
    try:
        with open(p, "rb") as fh:  # ours to close, whatever np.load makes of the bytes
            is_zip = zipfile.is_zipfile(fh)
            fh.seek(0)  # is_zipfile reads the end of the file and leaves the position there
            if is_zip:
                _inspect_archive(path, fh)
                fh.seek(0)
            loaded = np.load(fh, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):  # a bare .npy array under an .npz name
                raise InputError(f"{path} is one array, not an .npz archive of named arrays (use np.savez)")
            return _read_archive(path, loaded)
    except InputError:
        raise
    except OSError as exc:  # the system refused a read (EIO, EACCES, ...): numpy's own complaints carry no errno
        if exc.errno is None:
            raise InputError(f"cannot read {path}: not a valid .npz file ({type(exc).__name__})") from exc
        raise InputError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from exc
    except not_npz as exc:
        raise InputError(f"cannot read {path}: not a valid .npz file ({type(exc).__name__})") from exc


def _inspect_archive(path: str, fh: Any) -> None:
    import zipfile

    """Size an .npz before reading it: member count, the sizes the zip directory declares (a zip bomb
    declares far more than it stores), and each array's shape from its .npy header; all within the
    element budget, so nothing large is decompressed or allocated before it is refused."""
    from mcalc.numeric import budget

    with zipfile.ZipFile(fh) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise InputError(f"{path} holds {len(infos):,} arrays; at most {MAX_MEMBERS:,}")
        total = sum(info.file_size for info in infos)
        cap = 8 * budget.max_elements() + HEADER_SLACK * len(infos)
        if total > cap:
            raise budget.refuse(f"{path} (it unpacks to {total:,} bytes)", total // 8)
        for info in infos:
            if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise InputError(
                    f"{path}: {info.filename} unpacks {info.file_size // max(info.compress_size, 1):,} times "
                    f"larger than it is stored (at most {MAX_RATIO:,}); refusing a zip bomb"
                )
            if info.flag_bits & 0x1:  # zipfile would raise RuntimeError asking for a password
                raise InputError(f"{path}: {info.filename} is encrypted; mcalc reads unencrypted .npz files")
            with zf.open(info) as member:
                shape, itemsize = _header_shape(member)
                budget.npz_member(path, info.filename.removesuffix(".npy"), shape, itemsize)


def _header_shape(member: Any) -> tuple[tuple[int, ...], int]:
    """The shape an .npy header declares and the bytes per entry (numpy caps the header at 10,000 bytes):
    a `V999999999` dtype makes 10 entries 9 GB."""
    from numpy.lib import format as npy

    version = npy.read_magic(member)
    read = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
    shape, _, dtype = read(member)
    return tuple(int(n) for n in shape), dtype.itemsize


def _read_archive(path: str, loaded: Any) -> dict[str, Array]:
    with loaded as data:
        out: dict[str, Array] = {}
        for key in data.files:
            try:
                raw = data[key]
            except ValueError as exc:
                if "allow_pickle" in str(exc):
                    raise InputError(f"{path}: {key} holds Python objects; refusing to unpickle") from exc
                # a header that does not fit its data (5 entries declared, 2 stored), a version numpy lacks
                raise InputError(f"cannot read {path}: {key} is not a valid .npy array ({str(exc)[:80]})") from exc
            out[_normalise_name(key)] = _check_array(key, raw)
        return out


def parse_literal(spec: str) -> tuple[str, Array]:
    import json

    name, sep, text = spec.partition("=")
    if not sep or not name.strip():
        raise InputError(f"bad --at {spec!r}: expected FILE.npz or NAME=JSON, such as x=[1,2]")
    if len(text) > MAX_JSON_CHARS:
        raise InputError(f"value of {name.strip()} is too large for a literal; use an .npz file")
    try:
        raw = json.loads(text, parse_int=lambda digits: _json_int(name.strip(), digits))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"value of {name.strip()} is not valid JSON: {exc}") from exc
    _check_regular(name.strip(), raw)
    return _normalise_name(name), _check_array(name.strip(), raw)


def _json_int(name: str, digits: str) -> int | float:
    """A JSON integer: past int64 numpy would keep it as a Python object (`[99999999999999999999, 1]`
    was 'not a numeric array'), so a long one is read as the float it stands for; past the digit limit of
    numbers in expressions it is refused by that limit."""
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise InputError(f"value of {name} has a number of {len(digits.lstrip('-')):,} digits; at most {MAX_DIGITS}")
    return int(digits) if len(digits) < 19 else float(digits)


def _check_regular(name: str, raw: Any) -> None:
    if isinstance(raw, bool) or raw is None or isinstance(raw, (str, dict)):
        raise InputError(f"value of {name} must be a number or a (nested) list of numbers")
    if isinstance(raw, list):
        if not raw:
            raise InputError(f"value of {name} is empty")
        if all(isinstance(r, list) for r in raw):
            lengths = {len(r) for r in raw}
            if len(lengths) != 1:
                raise InputError(f"value of {name} is ragged: rows of lengths {sorted(lengths)}")
            for r in raw:
                for x in r:
                    if isinstance(x, list):
                        raise InputError(f"value of {name} has more than 2 dimensions")
                    _check_number(name, x)
        else:
            for x in raw:
                if isinstance(x, list):
                    raise InputError(f"value of {name} is ragged: mixes numbers and lists")
                _check_number(name, x)
    else:
        _check_number(name, raw)


def _check_number(name: str, x: Any) -> None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise InputError(f"value of {name} must contain only numbers, found {type(x).__name__}")


def load_values(specs: Iterable[str], spell: Callable[[str], str] = str) -> dict[str, Array]:
    """All --at arguments merged, each name as `spell` reads it (`theta` → θ, from mcalc.declare). A
    NAME=JSON value overrides the same name from an earlier .npz file (README § Values); any other name
    given twice is refused, naming both places: twice as NAME=JSON, in two .npz files, in an .npz file
    after NAME=JSON, or under two spellings (λ=1 and lambda=2; an .npz holding theta and θ): which was
    meant? (One silently won: the spellings were merged after the check.)"""
    out: dict[str, Array] = {}
    given: dict[str, str] = {}  # name → where its value came from, as the user wrote it
    for spec in specs:
        if "=" in spec and not spec.lower().endswith(".npz"):
            typed, arr = parse_literal(spec)
            name, here = spell(typed), f"--at {spec.partition('=')[0].strip()}=…"
            if name in given and not given[name].endswith(".npz"):
                raise InputError(f"--at gives {name} twice ({given[name]} and {here}); give each value once")
            given[name] = here
            out[name] = arr
            continue
        in_file: dict[str, str] = {}
        for typed, arr in load_npz(spec).items():
            name = spell(typed)
            if name in in_file:
                raise InputError(f"{spec} holds {name} twice, as {in_file[name]} and {typed}; keep one")
            if name in given:
                raise InputError(
                    f"--at gives {name} twice ({given[name]} and {typed} in {spec}); give each value once "
                    "(a NAME=JSON after an .npz file overrides its value)"
                )
            in_file[name] = typed
            out[name] = arr
        given.update(dict.fromkeys(in_file, spec))
    return out


def to_internal(arr: Array) -> Array:
    """0-d → 1×1, 1-d → n×1 column, 2-d unchanged."""
    if arr.ndim == 0:
        return arr.reshape(1, 1)
    if arr.ndim == 1:
        return arr.reshape(-1, 1)
    return arr


def json_value(array: Array) -> Any:
    """An array as nested lists for JSON and text: -0.0 (a sign left by `−2x` at x = 0) reads as 0.0,
    since a user cannot tell a signed zero from a bug, and the value is the same."""
    import numpy as np

    return (np.asarray(array, dtype=float) + 0.0).tolist()
