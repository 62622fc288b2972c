"""``oddseq stream --checkpoint FILE``: the stream's state on disk, so that a stopped
stream (a deploy, a crash, Ctrl-C, the end of its input) resumes where it stopped.

A checkpoint file (format 2) is a line naming the format, a line of JSON (what wrote it:
the oddseq release, the model file's SHA-256, the options that change the scores, the
counts at the time: the lines the last run read of its input, and those of the source
read in all runs since the first), the payload: the :class:`StreamScorer` as pickle
makes it (its C++ state as versioned, checksummed bytes), without the fitted pipeline,
which is the --model file's (checked by its hash), pickled straight into the file; and
the size and SHA-256 of all that came before (40 bytes). Everything that can refuse a
file is read from the JSON line and the hash before the payload is unpickled. A
checkpoint holds Python state: it is read as a file the stream itself wrote (keep it
where only the service writes; a new one is made readable by its owner alone, a file
replaced keeps its mode), as a model file is not.

Written atomically: to ``FILE.tmp`` beside it (made anew: a stale one, left by a kill
mid-write, is removed, and a link in its place is not followed), flushed to disk, then
renamed over FILE, so a crash mid-write leaves the previous checkpoint whole. FILE is the
path a link given as --checkpoint leads to. ``FILE.lock`` (empty) is held while a stream
runs: a second stream on the same FILE is refused. Where that lock does not hold (a
network filesystem mounted without locks, two machines), a stream that finds FILE
replaced since it read or wrote it does not overwrite it (:class:`Overtaken`).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import struct
import sys
import time as clock
from pathlib import Path

__all__ = ["Checkpoint", "Overtaken", "read_header"]

MAGIC = b"oddseq stream checkpoint\n"
# 2: the trailer's SHA-256 covers the header line too, and the header says the lines of
# the source read in all runs (lines_in_all). 1 (session 26) is refused with words.
FORMAT = 2
_PIPELINE = "pipeline"  # the persistent id of the fitted pipeline (the --model file's)
UNSET = "(not given)"
GIVEN = "(given)"  # a flag's text where it is given


def read_header(path) -> dict:
    """The JSON line of the checkpoint at ``path`` (what wrote it, and when)."""
    with open(path, "rb") as f:
        head = f.read(len(MAGIC))
        if head != MAGIC:
            raise ValueError("not an oddseq stream checkpoint")
        return json.loads(f.readline())


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _with(option: str, shown: str) -> str:
    """``with --ttl 1h``, ``with --drop-duplicates`` (a flag: shown ``(given)``),
    ``without --ttl``."""
    if shown == UNSET:
        return f"without {option}"
    return f"with {option}" if shown == GIVEN else f"with {option} {shown}"


# What closes a checkpoint file: the payload's size (bytes) and SHA-256.
_TRAILER = struct.Struct("<Q32s")


class Overtaken(OSError):
    """FILE replaced since this stream read or wrote it: another stream writes it (where
    FILE.lock does not hold), or a file was put in its place; it is not overwritten."""


def _identity(path):
    """What tells a file apart from the one put in its place: (device, inode, size,
    modification time), or None where there is none."""
    try:
        got = os.stat(path)
    except FileNotFoundError:
        return None
    return _identity_of(got)


def _identity_of(got):
    return (got.st_dev, got.st_ino, got.st_size, got.st_mtime_ns)


def _made_anew(path, mode: int) -> int:
    """A descriptor of ``path`` created for writing: a stale one (a kill mid-write left
    it) removed first, and a link in its place removed, not followed."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        os.fchmod(fd, mode)  # (as asked, not as the umask leaves it)
    except OSError:
        pass
    return fd


class _Hashing:
    """A file's ``write`` that counts and hashes what goes through it."""

    def __init__(self, file):
        self.file, self.n, self.digest = file, 0, hashlib.sha256()

    def write(self, data) -> int:
        self.digest.update(data)
        self.n += len(memoryview(data).cast("B"))
        return self.file.write(data)


class _Pickler(pickle.Pickler):
    def __init__(self, file, pipeline):
        super().__init__(file, protocol=5)
        self._pipeline = pipeline

    def persistent_id(self, obj):
        return _PIPELINE if obj is self._pipeline else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, pipeline):
        super().__init__(file)
        self._pipeline = pipeline

    def persistent_load(self, pid):
        if pid != _PIPELINE:
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        return self._pipeline


class Checkpoint:
    """The --checkpoint file of one run: checked before the input is read
    (:meth:`check`), resumed from (:meth:`resume`), written every ``every_s`` seconds
    while the stream runs (:meth:`tick`) and at its end (:meth:`write`).

    ``options``: the options that change the scores, {option: (value compared, text
    shown)}; ``model_sha256``: the --model file's hash."""

    def __init__(self, path_text: str, every_s: float, model_text: str, model_sha256, options):
        self.text = path_text
        # The file a link leads to: written there (a rename over the link would put a
        # file in its place), its lock beside it (one lock however FILE is named).
        self.path = Path(os.path.realpath(Path(path_text).expanduser()))
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self.every_s = every_s  # 0: at the end and on a signal only
        self.model_text, self.model_sha256 = model_text, model_sha256
        self.options = options
        self.last_at = clock.monotonic()
        self.last_progress = None  # the progress (lines read) at the last write
        self.n_written = 0
        self.failed = None  # the last periodic write's error, said once per kind
        self.written_s = 0.0  # seconds spent writing, all writes
        self.n_bytes = 0
        self.last_s = 0.0  # seconds the last write took
        self.seen = None  # FILE's identity as this stream last read or wrote it
        self.overtaken = None  # the Overtaken error, once FILE was replaced under it

    # ---- before the input is read

    def _fix(self) -> str:
        return (
            f"to start fresh (every entity new), remove it (rm {self.text}) or give "
            "another --checkpoint path"
        )

    def check(self) -> bool:
        """Whether FILE exists (to resume from); refused (ValueError) where it cannot
        be a checkpoint or cannot be written: a folder, a missing folder, no rights."""
        path = self.path
        if path.is_dir():
            raise ValueError(
                f"--checkpoint {self.text} is a folder; give a file path in it, e.g. "
                f"--checkpoint {os.path.join(self.text, 'stream.ckpt')}"
            )
        parent = path.parent
        if not parent.is_dir():
            what = "is not a folder" if parent.exists() else "does not exist"
            raise ValueError(
                f"--checkpoint {self.text}: its folder {str(parent)!r} {what}; give a file "
                "path in an existing folder (mkdir -p it first)"
            )
        self._lock()
        exists = path.exists()
        if exists and not path.is_file():
            raise ValueError(
                f"--checkpoint {self.text} is not a regular file; give a file path for "
                "the stream's checkpoint"
            )
        try:  # written as it will be: FILE.tmp beside it (a stale one removed)
            os.close(_made_anew(self.tmp, 0o600))
            os.unlink(self.tmp)
        except OSError as error:
            raise ValueError(
                f"--checkpoint {self.text}: cannot write beside it ({error.strerror or error}:"
                f" {self.tmp}); give a path in a folder the stream may write to"
            ) from None
        self.seen = _identity(path)
        return exists

    def _lock(self) -> None:
        """FILE.lock held (an advisory lock, released when the stream ends): a second
        stream on the same FILE (a restart while the old one still writes its last
        checkpoint, two services) is refused rather than overwriting the other's."""
        import fcntl

        lock = self.path.with_name(self.path.name + ".lock")
        try:
            handle = open(lock, "a+b")
        except OSError as error:
            raise ValueError(
                f"--checkpoint {self.text}: cannot write beside it ({error.strerror or error}:"
                f" {lock}); give a path in a folder the stream may write to"
            ) from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise ValueError(
                f"--checkpoint {self.text} is in use by another oddseq stream (it holds "
                f"{lock}): stop that one first (it writes FILE as it ends), or give this "
                "stream another --checkpoint path"
            ) from None
        self._held = handle

    def close(self) -> None:
        """The lock released (FILE.lock stays, empty)."""
        held, self._held = getattr(self, "_held", None), None
        if held is not None:
            held.close()

    def _judge(self, header: dict, fix: str) -> None:
        """FILE's header refused (ValueError) where it was written by another release
        series or format, another model, or other options that change the scores."""
        from .. import __version__
        from ._scorer import _series

        written_by = header.get("oddseq")
        if header.get("format") == 1 and _series(written_by) == _series(__version__):
            lines = header.get("lines_read")
            said = f"; its last run read {lines:,} lines" if isinstance(lines, int) else ""
            raise ValueError(
                f"--checkpoint {self.text} is of checkpoint format 1 (written by an earlier "
                f"build of oddseq {written_by}{said}); this oddseq reads format {FORMAT} "
                "(which counts the lines of all runs and checks its header too) and cannot "
                f"carry that state over: {fix}"
            )
        if header.get("format") != FORMAT or _series(written_by) != _series(__version__):
            raise ValueError(
                f"--checkpoint {self.text} was written by oddseq {written_by} (checkpoint "
                f"format {header.get('format')}); this oddseq {__version__} resumes format "
                f"{FORMAT} of its own release series only: resume with the oddseq that wrote "
                f"it, or, {fix}"
            )
        if header.get("model_sha256") != self.model_sha256:
            raise ValueError(
                f"--checkpoint {self.text} was written with another model (--model "
                f"{header.get('model')}, SHA-256 {str(header.get('model_sha256'))[:12]}...; "
                f"--model {self.model_text} is {self.model_sha256[:12]}...): its entities' "
                "states are of that model's features and cut; resume with that --model, or, "
                f"{fix}"
            )
        then = header.get("options") or {}
        for option, (value, shown) in self.options.items():
            old_value, old_shown = then.get(option, (None, UNSET))
            if old_value != value:
                was = _with(option, old_shown)
                raise ValueError(
                    f"--checkpoint {self.text} was written {was}, and this run is "
                    f"{_with(option, shown)}: the entities' states follow the options they "
                    f"were kept with; resume {was}, or, {fix}"
                )

    def resume(self, pipeline):
        """(the scorer, the shell's own state, the header) of FILE, with ``pipeline``
        (the --model's) in place of the one it was written with; refused (ValueError,
        with the option that differs and how to start fresh) where FILE is of another
        model, release, or options, or not whole."""
        fix = self._fix()
        try:
            f = open(self.path, "rb")
        except OSError as error:
            raise ValueError(
                f"--checkpoint {self.text}: cannot read it ({error.strerror or error}); {fix}"
            ) from None
        with f:
            head = f.read(len(MAGIC))
            if head != MAGIC:
                raise ValueError(
                    f"--checkpoint {self.text} is not an oddseq stream checkpoint (it starts "
                    f"{head[:24]!r}, not {MAGIC.strip()!r}); give the file an earlier oddseq "
                    f"stream --checkpoint wrote, or, {fix}"
                )
            line = f.readline(1 << 20)
            try:
                header = json.loads(line) if line.endswith(b"\n") else None
            except ValueError:
                header = None
            if not isinstance(header, dict):
                raise ValueError(
                    f"--checkpoint {self.text} is not a whole checkpoint (its header line is "
                    f"cut short or altered); {fix}"
                )
            self._judge(header, fix)
            begin = f.tell()
            end = f.seek(0, os.SEEK_END) - _TRAILER.size
            whole = end >= begin
            if whole:  # (the header and the state, hashed from the file's start)
                f.seek(end)
                n_hashed, digest = _TRAILER.unpack(f.read(_TRAILER.size))
                f.seek(0)
                hashed = hashlib.sha256()
                for block in iter(lambda: f.read(min(1 << 20, end - f.tell())), b""):
                    hashed.update(block)
                whole = n_hashed == end and hashed.digest() == digest
            if not whole:
                raise ValueError(
                    f"--checkpoint {self.text} is not a whole checkpoint (cut short or altered: "
                    f"its header and state's bytes do not match the size and SHA-256 written "
                    f"after them); {fix}"
                )
            self.seen = _identity_of(os.fstat(f.fileno()))
            f.seek(begin)
            try:
                state = _Unpickler(f, pipeline).load()
                scorer, shell = state["scorer"], state["shell"]
            except Exception as error:  # (pickle's and the scorer's own refusals)
                raise ValueError(
                    f"--checkpoint {self.text}: its state cannot be read back ({error}); {fix}"
                ) from None
        self.last_progress = 0
        return scorer, shell, header

    # ---- while the stream runs

    def wait(self, progress) -> float | None:
        """Seconds until the next periodic write is due (0: due), or None (none
        pending: no periodic writes, or nothing new since the last one)."""
        if not self.every_s or progress == self.last_progress or self.overtaken is not None:
            return None
        return max(0.0, self.last_at + self.every_s - clock.monotonic())

    def due(self, progress) -> bool:
        return self.wait(progress) == 0.0

    def tick(self, progress, state) -> None:
        """The periodic write where it is due; ``state()`` gives (scorer, shell state,
        counts). A failure is said on stderr (once per kind) and the stream goes on."""
        if not self.due(progress):
            return
        try:
            self.write(progress, *state())
        except Overtaken as error:
            self.overtaken = error  # (not tried again: FILE is another's now)
            print(
                f"oddseq stream: warning: {error}; the stream goes on without writing it",
                file=sys.stderr,
            )
        except (OSError, MemoryError) as error:  # a full disk, no rights, no memory
            self.last_at = clock.monotonic()  # tried again a period later
            said = f"{type(error).__name__}: {error}"
            if said != self.failed:
                self.failed = said
                print(
                    f"oddseq stream: warning: the checkpoint {self.text} could not be "
                    f"written ({said}); the stream goes on and tries again every "
                    f"{self.every_s:g} s",
                    file=sys.stderr,
                )

    def write(self, progress, scorer, shell, counts) -> int:
        """FILE written atomically (FILE.tmp, flushed to disk, renamed over FILE): the
        bytes written. ``progress``: the lines read so far (this run's input)."""
        from .. import __version__

        if self.overtaken is not None:
            raise self.overtaken
        now = _identity(self.path)
        # (FILE removed meanwhile holds no one's state: written again)
        if now is not None and now != self.seen:
            self.overtaken = Overtaken(
                f"--checkpoint {self.text} was "
                + ("made" if self.seen is None else "replaced")
                + " since this stream "
                + ("started" if self.seen is None else "read or wrote it")
                + " (another oddseq stream writes it where FILE.lock does not hold: another "
                "machine on a network filesystem mounted without locks; or a file was put "
                "in its place): this stream does not overwrite it"
            )
            raise self.overtaken
        started = clock.perf_counter()
        header = {
            "format": FORMAT,
            "oddseq": __version__,
            "model": self.model_text,
            "model_sha256": self.model_sha256,
            "options": self.options,
            "written_at": clock.strftime("%Y-%m-%dT%H:%M:%SZ", clock.gmtime()),
            "lines_read": progress,
            **counts,
        }
        # A file replaced keeps its mode (an operator's chmod); a new one is its owner's.
        mode = 0o600 if now is None else os.stat(self.path).st_mode & 0o7777
        try:
            with os.fdopen(_made_anew(self.tmp, mode), "wb") as f:
                # The header and the state pickled straight into the file (the C++
                # state's bytes are not copied again), hashed on the way; their size and
                # hash close the file.
                hashing = _Hashing(f)
                hashing.write(MAGIC)
                hashing.write(json.dumps(header).encode() + b"\n")
                _Pickler(hashing, scorer.pipeline).dump({"scorer": scorer, "shell": shell})
                f.write(_TRAILER.pack(hashing.n, hashing.digest.digest()))
                f.flush()
                os.fsync(f.fileno())
                size = f.tell()
            os.replace(self.tmp, self.path)
        except BaseException:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass
            raise
        try:  # the rename itself on disk (where the system allows a folder's fsync)
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        except OSError:
            pass
        self.seen = _identity(self.path)
        self.last_at, self.last_progress = clock.monotonic(), progress
        self.n_written += 1
        self.n_bytes = size
        self.last_s = clock.perf_counter() - started
        self.written_s += self.last_s
        self.failed = None
        return self.n_bytes
