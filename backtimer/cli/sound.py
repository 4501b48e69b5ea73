"""``backtimer sound``: play every sound and a sentence, and say what plays them."""

from __future__ import annotations

import argparse
import sys
import time

from backtimer.core.timeline import spoken_words
from backtimer.session.cues import default_player
from backtimer.session.launch import settings
from backtimer.sound import tones
from backtimer.sound.player import delay_line

SENTENCE = "This is the voice of backtimer. Lie on your back. Hold 30 seconds."
#: Said instead with a custom ``speech_command``, and timed: words of the usual length and few
#: pauses, so that its words per minute are the engine's rate (espeak-ng at 120, 175 and 250:
#: within 5 %).
RATE_SENTENCE = (
    "Slowly tighten your stomach muscles and press your lower back into the floor, then "
    "release the position and relax completely before repeating the exercise."
)
RATE_TOLERANCE = 0.15  # a measured rate this far from speech_rate is reported
RATE_WAIT = 60.0  # seconds the timed sentence may take


def rate_lines(seconds: float | None, rate: int, words: int) -> list[str]:
    """What the timed sentence says about a custom command's real rate: one line, and a note
    when it differs from ``speech_rate`` by more than :data:`RATE_TOLERANCE`."""
    if seconds is None or seconds <= 0.2:
        return [
            "measured rate: not measurable (the speech command did not take the time of its "
            "words); make sure speech_rate is the rate it speaks at"
        ]
    measured = round(words * 60 / seconds)
    lines = [f"measured rate: about {measured} words per minute (speech_rate = {rate})"]
    if abs(measured - rate) > RATE_TOLERANCE * rate:
        if measured < rate:
            effect = "the cues wait for the words before them and come late"
        else:
            effect = "the cues leave longer pauses than the words need"
        lines.append(
            f"note: your speech_command speaks at about {measured} words per minute, more "
            f"than 15 % from speech_rate = {rate}: {effect}. Set speech_rate = {measured} in "
            "the settings (or give the command the rate you set)."
        )
    return lines


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sound",
        help="check the sound: play each tone and a sentence, print the engine, voice, rate, "
        "output and start-up delay",
    )
    parser.add_argument("--no-voice", action="store_true", help="tones only")
    parser.add_argument("--no-tones", action="store_true", help="the voice only")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    notes: list[str] = []
    config = settings(notes)
    for note in notes:
        print(f"backtimer: {note}", file=sys.stderr)
    voice = config.voice and not args.no_voice
    tones_on = config.tones and not args.no_tones
    player = default_player(
        voice=voice,
        bell=config.bell,
        command=config.speech_command,
        tones=tones_on,
        volume=config.volume,
        rate=config.speech_rate,
        speech_voice=config.speech_voice,
    )
    status = player.status
    try:
        print(f"volume: {config.volume}")
        for line in status.lines():
            print(line, flush=True)
        play = getattr(player, "sound", None)
        if tones_on and play is not None and getattr(player, "mixer", None) is not None:
            print("playing each sound:", flush=True)
            for name, tone in tones.SOUNDS.items():
                print(f"  {name:<13} {tone.meaning}", flush=True)
                play(name)
                time.sleep(tone.seconds + 0.35)
        elif config.bell:
            print("ringing the terminal bell (what plays when the tones cannot)", flush=True)
            player.bell()
        if voice:
            # A custom command's rate is not known: the sentence is timed (start to end).
            timed = config.speech_command is not None and status.speech_ok
            sentence = RATE_SENTENCE if timed else SENTENCE
            print(f"saying: {sentence}", flush=True)
            began = time.monotonic()
            measure = getattr(player, "measure_delay", None)
            delay = measure(sentence) if measure is not None else None
            if delay is None:
                player.say(sentence)
            print(delay_line(delay), flush=True)
            waiter = getattr(player, "wait_idle", None)
            finished = bool(waiter(RATE_WAIT if timed else 15.0)) if callable(waiter) else False
            if timed:
                seconds = time.monotonic() - began if finished else None
                words = spoken_words(sentence)
                for line in rate_lines(seconds, config.speech_rate, words):
                    print(line)
        warning = status.warning()
        if warning:
            print(warning, file=sys.stderr)
            return 1
        return 0
    finally:
        player.close()
