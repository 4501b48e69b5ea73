"""The app's one audio output: a sound device (through miniaudio) playing a :class:`Mixer`.

miniaudio (PyPI ``miniaudio``: wheels for Linux, macOS and Windows, no system packages)
opens the system's default output (PulseAudio/PipeWire, ALSA, Core Audio, WASAPI...) and
asks for a buffer of samples every :data:`BUFFER_MS` milliseconds; the mixer renders it.
Its null backend plays into nothing at the same pace, so tests and CI need no sound card.

The output maps the session's clock onto samples (:meth:`AudioOutput.sample_at`): a sound
for a deadline starts on the sample that is heard at that deadline, or at the next buffer
when the deadline is already past. ``mixer.stop()`` is heard within one buffer.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Generator, Iterator
from typing import Any

from backtimer.sound.mixer import Mixer
from backtimer.sound.tones import SAMPLE_RATE

BUFFER_MS = 20  # one device buffer: how late a stop can be heard, at most


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Keep a C library's complaints (ALSA's "cannot find card") off the terminal while a
    device is looked for: they would scribble over the full-screen app."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


#: What miniaudio imports for its internet radio client only (urllib.request brings
#: http.client, email and ssl: about 1.3 MiB of a session's peak memory, and 10 ms).
_RADIO_MODULES = ("urllib.request", "html")


def load_miniaudio() -> Any:
    """The miniaudio module. The modules it imports for streaming from the internet are
    put in as stand-ins while it loads: each is imported for real the first time anything
    uses it (backtimer never does)."""
    loaded = sys.modules.get("miniaudio")
    if loaded is not None:
        return loaded
    for name in _RADIO_MODULES:
        if name not in sys.modules:
            _lazy_module(name)
    import miniaudio  # type: ignore[import-not-found,import-untyped,unused-ignore]

    return miniaudio


# Not importlib.util.LazyLoader: on Python 3.11 an ``import urllib.request`` of a module it
# made reads the module's ``__spec__``, which loads it at once.
class _OnFirstUse(types.ModuleType):
    """Stands in ``sys.modules`` for a module until something uses one of its names: then
    the module is imported for real (replacing this one there and in its package), and this
    one takes its names, so that a reference kept to it works from then on."""

    def __getattr__(self, attr: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)


def _lazy_module(name: str) -> None:
    """``name`` in ``sys.modules`` as a module that is imported on first use, also as an
    attribute of its package (``urllib.request``)."""
    spec = importlib.util.find_spec(name)
    if spec is None:
        return
    module = _OnFirstUse(name)
    module.__spec__ = spec  # an import of it finds a module that is not being loaded
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


class ClockMap:
    """Maps the session's clock onto the mixer's samples: each buffer the device asks for
    anchors "this sample plays now"; a later time is that many samples further on."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._anchor: tuple[float, int] | None = None
        self._lock = threading.Lock()

    def anchor(self, when: float, position: int) -> None:
        with self._lock:
            self._anchor = (when, position)

    def sample_at(self, when: float | None) -> int | None:
        """The sample heard at clock time ``when`` (None: unknown, play at once)."""
        if when is None:
            return None
        with self._lock:
            anchor = self._anchor
        if anchor is None:
            return None
        at, position = anchor
        return position + round((when - at) * self.sample_rate)


class AudioOutput:
    """A running sound device fed by ``mixer``. Use :func:`open_output` to get one."""

    def __init__(
        self,
        mixer: Mixer,
        *,
        null: bool = False,
        clock: Callable[[], float] = time.monotonic,
        buffer_ms: int = BUFFER_MS,
    ) -> None:
        miniaudio = load_miniaudio()
        self.mixer = mixer
        self.clock = clock
        self.buffer_ms = buffer_ms
        backends = [miniaudio.Backend.NULL] if null else None
        with quiet_stderr():
            self._device = miniaudio.PlaybackDevice(
                output_format=miniaudio.SampleFormat.SIGNED16,
                nchannels=1,
                sample_rate=mixer.sample_rate,
                buffersize_msec=buffer_ms,
                backends=backends,
                app_name="backtimer",
            )
        self.backend: str = str(self._device.backend)
        if self.backend.lower() == "null" and not null:
            self._device.close()
            raise OSError("no sound device (only miniaudio's null backend)")
        self.device = "null device" if null else f"default output ({self.backend})"
        self.clock_map = ClockMap(mixer.sample_rate)
        self._first = threading.Event()
        self.buffers = 0
        generator = self._feed()
        next(generator)
        self._device.start(generator)

    def _feed(self) -> Generator[bytes, int, None]:
        frames = yield b""
        while True:
            self.clock_map.anchor(self.clock(), self.mixer.position)
            data = self.mixer.render(frames).tobytes()  # native 16-bit, as the device wants
            self.buffers += 1
            self._first.set()
            frames = yield data

    def wait_running(self, timeout: float = 1.0) -> bool:
        """Block until the device asked for its first buffer."""
        return self._first.wait(timeout)

    def sample_at(self, when: float | None) -> int | None:
        """The mixer sample heard at clock time ``when`` (None: as soon as possible)."""
        return self.clock_map.sample_at(when)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._device.close()


def open_output(
    mixer: Mixer, *, null: bool = False, clock: Callable[[], float] = time.monotonic
) -> tuple[AudioOutput | None, str | None]:
    """The output, or None and why not (miniaudio missing, no device could be opened).

    On Linux with no sound server in sight the device is first looked for in a child
    process (:func:`probe_device`); when it finds none, this process does not try."""
    if not null and probe_first():
        problem = _probed(mixer.sample_rate)
        if problem is not None:
            return None, problem
    try:
        output = AudioOutput(mixer, null=null, clock=clock)
    except ImportError:
        return None, "the miniaudio package is not installed"
    except Exception as exc:
        return None, _reason(exc)
    return output, None


def _reason(exc: Any) -> str:
    """miniaudio's errors carry (message, code): "failed to init device, error -401"."""
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    if len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], int):
        return f"{args[0]}, error {args[1]}"
    text = str(exc).strip()
    return text or type(exc).__name__


# ---------------------------------------------------------------------- the probe
#
# Looking for a device loads the system's sound libraries into the process, and on Linux
# they stay there even when no device opens: PulseAudio's client library is built not to be
# unloaded (NODELETE), and with it libsndfile and its codecs, X11, D-Bus and systemd's
# library: about 4 MiB of a session's memory, for nothing, on a machine without sound (a
# server, a terminal over SSH, a container). So where no sound server is in sight, a child
# process looks first, with the same call; only when it opened a device (or could not
# tell) does this process open one, the same way as always: the device chosen, and how the
# sound is routed, are miniaudio's own choice in both cases.

#: How long the child may take (its Python start-up, miniaudio, the device look-up).
PROBE_TIMEOUT = 10.0

_PROBE = """\
import json, os, sys
sys.path.insert(0, sys.argv[1])
null = os.open(os.devnull, os.O_WRONLY)
os.dup2(null, 2)
try:
    import miniaudio
except ImportError:  # its parts are found here by another path: this process looks
    sys.exit(0)
try:
    device = miniaudio.PlaybackDevice(
        output_format=miniaudio.SampleFormat.SIGNED16, nchannels=1,
        sample_rate=int(sys.argv[2]), buffersize_msec=int(sys.argv[3]),
        app_name="backtimer",
    )
except Exception as exc:
    print(json.dumps({"error": [str(a) if not isinstance(a, int) else a for a in exc.args]}))
else:
    backend = str(device.backend)
    device.close()
    print(json.dumps({"backend": backend}))
"""


def probe_first() -> bool:
    """Whether to look for the device in a child first: on Linux, when no sound server is
    in sight (its address in ``PULSE_SERVER``, a PulseAudio or PipeWire socket where
    libpulse looks, or a desktop's display). Where one is, the device is opened at once."""
    if not sys.platform.startswith("linux"):
        return False
    env = os.environ
    if env.get("PULSE_SERVER") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return False
    places = [env.get("PULSE_RUNTIME_PATH", "")]
    runtime = env.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    places += [os.path.join(runtime, "pulse"), "/run/pulse", "/var/run/pulse"]
    return not any(place and os.path.exists(os.path.join(place, "native")) for place in places)


def probe_device(sample_rate: int, *, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Look for the default output in a child process, as :class:`AudioOutput` opens it:
    why none opened, or None when one did (or when the child could not tell: then this
    process looks for itself)."""
    spec = importlib.util.find_spec("miniaudio")
    if spec is None or spec.origin is None:
        return "the miniaudio package is not installed"
    import json
    import subprocess

    folder = os.path.dirname(spec.origin)
    argv = [sys.executable, "-I", "-c", _PROBE, folder, str(sample_rate), str(BUFFER_MS)]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return None  # it could not tell
    if not isinstance(answer, dict):
        return None
    backend = answer.get("backend")
    if isinstance(backend, str):
        if backend.lower() == "null":
            return "no sound device (only miniaudio's null backend)"
        return None
    error = answer.get("error")
    if isinstance(error, list):
        return _reason(OSError(*error))
    return None


#: Probes started ahead by :func:`look_ahead`, by sample rate: the thread, and its answer.
_AHEAD: dict[int, tuple[threading.Thread, list[str | None]]] = {}


def look_ahead(then: Callable[[], None], sample_rate: int = SAMPLE_RATE) -> bool:
    """Where :func:`open_output` would look for the device in a child first, start that now
    in a thread and call ``then`` (from that thread) once it has answered: the app's
    screen goes on meanwhile (the child takes about a tenth of a second), and the output
    opened afterwards takes its answer. False: there is nothing to look at ahead
    (``then`` is not called)."""
    mode = os.environ.get("BACKTIMER_AUDIO", "").strip().lower()
    if mode in ("none", "null") or not probe_first():
        return False
    answer: list[str | None] = []

    def probe() -> None:
        try:
            answer.append(probe_device(sample_rate))
        finally:
            then()

    thread = threading.Thread(target=probe, name="backtimer-sound-probe", daemon=True)
    _AHEAD[sample_rate] = (thread, answer)
    thread.start()
    return True


def _probed(sample_rate: int) -> str | None:
    """The answer of the probe started ahead (waited for if still running), else a probe."""
    ahead = _AHEAD.pop(sample_rate, None)
    if ahead is not None:
        thread, answer = ahead
        thread.join(PROBE_TIMEOUT + 1.0)
        if answer:
            return answer[0]
    return probe_device(sample_rate)
