"""How long a text takes to say: measured by rendering it with the session's own voice where
it can render to audio, else estimated from the words-per-minute rate (with a safety margin,
see :func:`backtimer.core.timeline.estimate`).

The renderer is the one the session speaks with (:func:`backtimer.sound.voice.find_renderer`:
the espeakng-loader wheel's libespeak-ng in its helper process, or a system espeak-ng or
espeak writing WAV to stdout), so the lengths are the lengths of the very samples played
(the quiet after the words trimmed, in the renderer, for both); macOS ``say`` writes to a
file (``-o``). A speech command of the user's own that renders (espeak-ng, espeak) and
``say`` may be played as a process, which plays its quiet too before it exits: their
lengths are the whole of it, and :meth:`SpeechLengths.count_words` gives their words alone.
Each text is measured once and kept in the user cache folder (platformdirs,
``$BACKTIMER_CACHE_DIR``, or ``$BACKTIMER_SPEECH_CACHE_DIR`` for this cache alone), keyed by
:data:`VERSION`, engine, voice, rate and text. Anything that goes wrong (no
engine, a render that fails or hangs, a cache that cannot be read or written) falls back to
the estimate: lengths never stop a session. ``BACKTIMER_SPEECH_LENGTHS=estimate`` estimates
always (the tests use it, so that what they expect does not depend on an engine's version).

:class:`SpeechLengths` is the ``length(text) -> seconds`` function the plan compiler takes.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import stat
import subprocess
import tempfile
import threading
from array import array
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from platformdirs import user_cache_path

from backtimer.core.digest import sha256_hex
from backtimer.core.plan import Speech
from backtimer.core.timeline import DEFAULT_RATE, command_estimate, estimate
from backtimer.sound.speech import engine_name, find_command, with_voice
from backtimer.sound.tones import SAMPLE_RATE
from backtimer.sound.voice import (
    FRESH,
    TAIL,
    CommandRenderer,
    VoiceProcess,
    audible_end,
    find_renderer,
)

CACHE_NAME = "speech-lengths.json"
#: In every cache key: what a measured length means. 2: the quiet after the words trimmed to
#: voice.TAIL (1 counted every sample rendered), and a speech command's words kept apart
#: from its whole length. 3: the voice's helper renders every text from the same state
#: (voice.FRESH; under 2 a length depended, by up to 20 ms, on what the helper had rendered
#: before, so it could differ from the samples the session's own helper played).
VERSION = "3"
RENDER_TIMEOUT = 10.0  # seconds for one text (say)
MAX_CACHE = 50_000  # entries kept; the oldest go first
MAX_HELPERS = 4  # voice helpers measuring at once (see SpeechLengths.prefetch)
TEXTS_PER_HELPER = 24
BATCH = 8  # texts asked of a voice helper in one round trip


def _measure(helper: VoiceProcess, texts: list[str]) -> list[tuple[float, float] | None]:
    """(the words, the whole) of each text, as :meth:`SpeechLengths._render` gives them,
    through ``helper`` in one round trip; None for a text it did not render."""
    try:
        answers = helper.measure(texts)
    except Exception:  # a voice must never stop a session
        return [None] * len(texts)
    out: list[tuple[float, float] | None] = []
    for answer in answers:
        if answer is None:
            out.append(None)
            continue
        out.append(_seconds(*answer))
    return out


def _seconds(played: int, after: float) -> tuple[float, float]:
    """(the words, the whole) in seconds: ``played`` samples (every one is played), and
    with the ``after`` seconds of quiet the engine wrote after them."""
    words = played / SAMPLE_RATE
    return round(words, 4), round(words + after, 4)


def _helper_count(texts: int) -> int:
    """How many voice helpers measure ``texts`` texts at once: one a processor this process
    may run on (at most :data:`MAX_HELPERS`), and one more for every
    :data:`TEXTS_PER_HELPER` texts only (a helper takes as long to start as a dozen texts
    take to render)."""
    try:
        processors = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        processors = os.cpu_count() or 1
    return max(1, min(processors, MAX_HELPERS, texts // TEXTS_PER_HELPER))


def _read_file(path: Path) -> str:
    """The text of the regular file at ``path``; OSError for a named pipe, a socket or a
    device there, at once (opened without waiting: a named pipe's read waits for a writer,
    for ever). As backtimer.files.atomic.read_regular_bytes, which sound does not import."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        # Looked at before it is wrapped: wrapping a folder's descriptor fails
        # (IsADirectoryError) and would leave it open, one a load.
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        handle = open(fd, encoding="utf-8")  # noqa: SIM115 (closed by the with below)
    except BaseException:
        os.close(fd)
        raise
    with handle:
        return handle.read()


def cache_dir() -> Path:
    override = os.environ.get("BACKTIMER_SPEECH_CACHE_DIR") or os.environ.get("BACKTIMER_CACHE_DIR")
    return Path(override).expanduser() if override else user_cache_path("backtimer")


def _pcm(wav: bytes) -> tuple[array[int], int, int] | None:
    """The samples, channels and rate of a 16-bit PCM WAV, None if it is not one. espeak-ng
    streams with a placeholder data size, so the real bytes are counted."""
    if len(wav) < 44 or wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        return None
    channels = int.from_bytes(wav[22:24], "little") or 1
    rate = int.from_bytes(wav[24:28], "little")
    width = int.from_bytes(wav[34:36], "little")
    start = wav.find(b"data", 12)
    if rate <= 0 or width != 16 or start < 0:
        return None
    body = wav[start + 8 :]
    samples = array("h")
    samples.frombytes(body[: len(body) // 2 * 2])
    return samples, channels, rate


def audible_seconds(wav: bytes) -> float | None:
    """The audible length of a 16-bit PCM WAV (trailing silence left out, by the voice's own
    rule: :func:`backtimer.sound.voice.audible_end`), None if it is not one."""
    pcm = _pcm(wav)
    if pcm is None:
        return None
    samples, channels, rate = pcm
    return audible_end(samples) / channels / rate


def whole_seconds(wav: bytes) -> float | None:
    """The whole length of a 16-bit PCM WAV, trailing silence included (a speech command
    plays it all before its process exits), None if it is not one."""
    pcm = _pcm(wav)
    if pcm is None:
        return None
    samples, channels, rate = pcm
    return len(samples) / channels / rate


def estimating() -> bool:
    """Whether lengths are to be estimated whatever the engine (see the module)."""
    return os.environ.get("BACKTIMER_SPEECH_LENGTHS", "").strip().lower() == "estimate"


class SpeechLengths:
    """``length(text)`` for the plan compiler, for one engine, voice and rate; with the
    voice off (``enabled`` False) every text takes no time: the routine's own times.

    ``renderer``: measure with this one (the tests, ``backtimer audio``); by default the one
    :func:`~backtimer.sound.voice.find_renderer` picks for ``command``, ``rate`` and
    ``voice``, as a session's player does.
    """

    def __init__(
        self,
        command: str | Sequence[str] | None = None,
        *,
        rate: int = DEFAULT_RATE,
        voice: str | None = None,
        enabled: bool = True,
        folder: Path | None = None,
        renderer: VoiceProcess | CommandRenderer | None = None,
    ) -> None:
        self.rate = int(rate)
        self.voice = voice
        self.enabled = enabled
        self.folder = folder if folder is not None else cache_dir()
        self.renderer: VoiceProcess | CommandRenderer | None = None
        self._own_renderer = False
        self.argv: list[str] | None = None  # macOS say, which renders to a file
        self.engine: str | None = None
        self._identity = ""
        if enabled:
            if renderer is None and not estimating():
                renderer = find_renderer(command, rate=self.rate, voice=voice)
                self._own_renderer = renderer is not None
            if renderer is not None:
                self.renderer = renderer
                if isinstance(renderer, CommandRenderer):
                    self.engine = renderer.engine
                    self._identity = " ".join(renderer.argv)
                else:
                    self.engine = "espeak-ng"
                    self._identity = "espeakng-loader"
            else:
                base = find_command(command)
                if base is not None:
                    self.engine = engine_name(base)
                    self._identity = self.engine
                    if self.engine == "say" and not estimating():
                        self.argv = with_voice(base, rate=self.rate, voice=voice)
        self.measured = self.renderer is not None or self.argv is not None
        # The user's own speech command that renders is played as its process where no
        # sound device opens, and say always is: their lengths include the quiet the process
        # plays before it exits. The app's own voice plays on the mixer: the samples alone.
        self._whole = self.argv is not None or (command is not None and self.renderer is not None)
        # Where words are estimated for a speech command (a custom one, or spd-say), its
        # process outlasts them: the estimate covers the whole utterance.
        self._by_command = enabled and (
            command is not None or (self.engine is not None and not estimating())
        )
        self._cache: dict[str, float] | None = None
        self._dirty = False
        self._failed = False
        # Voice helpers besides the session's, started by warm() for prefetch().
        self._spare: list[VoiceProcess] = []
        self._spare_lock = threading.Lock()
        self._warmed = self._closed = False

    @property
    def fresh(self) -> bool:
        """Whether a text's measured length does not depend on what the engine measured
        before (a process per text; the voice's helper where it renders each text from
        the same state, see :data:`backtimer.sound.voice.FRESH`): then texts may be
        measured in any order, and in several processes at once."""
        return FRESH or not isinstance(self.renderer, VoiceProcess)

    @property
    def speech(self) -> Speech:
        """What the plan was fitted for (``plan --json``'s ``speech``)."""
        return Speech(self.engine, self.rate, self.measured and not self._failed)

    # -------------------------------------------------------------- the function

    def __call__(self, text: str) -> float:
        if not text.strip() or not self.enabled:
            return 0.0  # voice off: nothing is said, nothing needs time
        if not self.measured or self._failed:
            return self._estimate(text)
        found = self._measured(text)
        if found is None:
            return self._estimate(text)
        words, whole = found
        return whole if self._whole else words

    def known(self, text: str) -> bool:
        """Whether the length of ``text`` is at hand: no engine needs to render it (it is
        in the cache, or it is estimated, or nothing is said)."""
        if not text.strip() or not self.enabled or not self.measured or self._failed:
            return True
        return self._cached(text) is not None

    def _cached(self, text: str) -> tuple[float, float] | None:
        """The words' and the whole length of ``text`` as the cache has them, else None."""
        cache = self._load()
        words, whole = cache.get(self._key(text, "words")), cache.get(self._key(text, "whole"))
        return None if words is None or whole is None else (words, whole)

    def _measured(self, text: str) -> tuple[float, float] | None:
        """The words' and the whole length of ``text`` (see :meth:`_render`), cached."""
        found = self._cached(text)
        if found is None:
            found = self._render(text)
            if found is not None:
                self._keep(text, found)
        return found

    def _keep(self, text: str, found: tuple[float, float]) -> None:
        cache = self._load()
        cache[self._key(text, "words")], cache[self._key(text, "whole")] = found
        self._dirty = True

    def _estimate(self, text: str) -> float:
        if self._by_command:
            return command_estimate(text, self.rate)
        return estimate(text, self.rate)

    def count_words(self, text: str) -> float:
        """How long the words of a countdown number or of a rep's tempo part take (the
        plan compiler's ``count_length``): where a speech command's length is estimated,
        its words alone, without the quiet its process plays after them (that quiet may run
        into the next second or part, see :func:`backtimer.core.timeline.fit_steps`);
        measured, the rendered words (what the mixer plays; a process plays its quiet
        after them)."""
        if not text.strip() or not self.enabled:
            return 0.0
        found = self._measured(text) if self.measured and not self._failed else None
        if found is None:
            return estimate(text, self.rate)
        return found[0]

    def prefetch(self, texts: Iterable[str]) -> None:
        """Measure many texts at once: engine processes in parallel where each text is a
        process of its own; through several voice helpers at once (one a processor, see
        :func:`_helper_count`) where each renders every text from the same state (see
        :data:`backtimer.sound.voice.FRESH`: a text's samples are then the same in any
        helper, in any order), else one after the other through the voice's helper."""
        if not self.measured or self._failed:
            return
        todo = sorted({t for t in texts if t.strip() and self._cached(t) is None})
        if not todo:
            return
        if isinstance(self.renderer, VoiceProcess):
            found = self._through_helpers(self.renderer, todo)
        else:
            with ThreadPoolExecutor(max_workers=4) as pool:
                found = dict(zip(todo, pool.map(self._render, todo), strict=True))
        for text in todo:  # in order: the cache keeps the oldest first
            measured = found.get(text)
            if measured is not None:
                self._keep(text, measured)

    def warm(self, texts: int) -> None:
        """Start, in the background, the voice helpers that measuring ``texts`` texts will
        take (see :meth:`prefetch`), so that they start while the plan is fitted by
        estimates. Nothing for an engine that is a process per text, nor when measuring
        has failed; helpers not used are stopped by :meth:`close`."""
        voice = self.renderer
        if not isinstance(voice, VoiceProcess) or self._failed or self._closed:
            return
        wanted = _helper_count(texts) if FRESH else 1
        starting: list[VoiceProcess] = []
        with self._spare_lock:
            if not self._warmed:
                self._warmed = True
                starting.append(voice)
            while len(self._spare) < wanted - 1:
                self._spare.append(VoiceProcess(rate=voice.rate, voice=voice.voice))
                starting.append(self._spare[-1])
        for helper in starting:  # a render waits for its helper's start (its lock)
            threading.Thread(target=helper.start, name="voice-start", daemon=True).start()

    def _through_helpers(
        self, voice: VoiceProcess, todo: list[str]
    ) -> dict[str, tuple[float, float] | None]:
        """``todo`` measured through ``voice`` and, where its helper renders each text
        afresh, through helpers of the same voice and rate started for them (by
        :meth:`warm` or here) and stopped after. A helper of these that does not start, or
        fails, leaves its texts to ``voice``, which decides, as it always did, whether the
        engine renders here (else: estimates)."""
        self.warm(len(todo))
        with self._spare_lock:
            extra, self._spare = self._spare, []
        found: dict[str, tuple[float, float] | None] = {}
        left: list[str] = []  # what a failing helper of these did not measure
        texts = iter(todo)
        lock = threading.Lock()

        def work(helper: VoiceProcess) -> None:
            if helper is not voice and not (
                helper.start() and helper.fresh and voice.start() and voice.fresh
            ):  # not started, or not rendering as the session's voice renders: its texts
                return  # are the voice's
            while not self._failed:
                with lock:
                    batch = list(itertools.islice(texts, BATCH))
                if not batch:
                    return
                failed = False
                for text, measured in zip(batch, _measure(helper, batch), strict=True):
                    if measured is not None:
                        found[text] = measured
                    elif helper is voice:
                        self._failed = True  # as _render: estimate from now on
                        return
                    else:  # this helper failed: the session's voice measures the rest
                        left.append(text)
                        failed = True
                if failed:
                    return

        try:
            if not extra:
                work(voice)
            else:
                with ThreadPoolExecutor(max_workers=1 + len(extra)) as pool:
                    list(pool.map(work, [voice, *extra]))
            for text in left:
                found[text] = self._render(text)
        finally:
            for helper in extra:
                with contextlib.suppress(Exception):
                    helper.close()
        return found

    def close(self) -> None:
        """Save what was measured and stop a renderer started here (and helpers
        :meth:`warm` started that measured nothing)."""
        self.save()
        with self._spare_lock:
            self._closed = True
            spare, self._spare = self._spare, []
        for helper in spare:
            with contextlib.suppress(Exception):
                helper.close()
        if self._own_renderer and self.renderer is not None:
            with contextlib.suppress(Exception):
                self.renderer.close()

    # -------------------------------------------------------------- rendering

    def _render(self, text: str) -> tuple[float, float] | None:
        """(the words, the whole): the seconds of the samples the mixer plays (the
        renderer trims the quiet after the words, see backtimer.sound.voice), and with the
        quiet the engine wrote after them, which a process plays before it exits."""
        if self._failed:
            return None
        renderer = self.renderer
        if renderer is None:
            return self._render_say(text) if self.argv is not None else None
        if isinstance(renderer, VoiceProcess):  # the lengths alone: no samples sent
            found = _measure(renderer, [text])[0]
        else:
            try:
                samples = renderer.render(text)
                quiet = getattr(renderer, "quiet", None)
                after = float(quiet(text)) if samples is not None and callable(quiet) else 0.0
            except Exception:  # a voice must never stop a session
                samples = None
            found = None if samples is None else _seconds(len(samples), after)
        if found is None:
            self._failed = True  # this engine cannot render here: estimate from now on
        return found

    def _render_say(self, text: str) -> tuple[float, float] | None:
        assert self.argv is not None
        try:
            with tempfile.TemporaryDirectory(prefix="backtimer-say-") as folder:
                target = Path(folder) / "text.wav"
                done = subprocess.run(  # say reads the text from stdin: never an option
                    [*self.argv, "-o", str(target), "--data-format=LEI16@22050"],
                    input=text.encode("utf-8"),
                    capture_output=True,
                    timeout=RENDER_TIMEOUT,
                    check=False,
                )
                if done.returncode != 0 or not target.exists():
                    self._failed = True
                    return None
                wav = target.read_bytes()
                whole = whole_seconds(wav)  # until say exits
                audible = audible_seconds(wav)
        except (OSError, ValueError, subprocess.SubprocessError):
            whole = audible = None
        if whole is None or audible is None:
            self._failed = True
            return None
        return round(min(whole, audible + TAIL), 4), round(whole, 4)

    # -------------------------------------------------------------- the cache

    def _key(self, text: str, part: str) -> str:
        raw = "\0".join((VERSION, part, self._identity, self.voice or "", str(self.rate), text))
        return sha256_hex(raw.encode("utf-8", "surrogatepass"))[:32]

    def _load(self) -> dict[str, float]:
        if self._cache is None:
            self._cache = {}
            with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
                data = json.loads(_read_file(self.folder / CACHE_NAME))
                self._cache = {
                    str(k): float(v)
                    for k, v in data.items()
                    if isinstance(v, int | float) and 0 <= v < 3600
                }
        return self._cache

    def save(self) -> None:
        """Write new measurements to the cache (atomically; a failure is ignored)."""
        if not self._dirty or self._cache is None:
            return
        items = list(self._cache.items())[-MAX_CACHE:]
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".lengths-", dir=self.folder)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(dict(items), out)
            os.replace(tmp, self.folder / CACHE_NAME)
            self._dirty = False
        except OSError:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
