"""``backtimer sound``: play every sound and a sentence, and say what plays them."""

from __future__ import annotations

import argparse
import sys
import time

from backtimer.session.cues import default_player
from backtimer.session.launch import settings
from backtimer.sound import tones
from backtimer.sound.player import delay_line

SENTENCE = "This is the voice of backtimer. Lie on your back. Hold 30 seconds."


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
            print(f"saying: {SENTENCE}", flush=True)
            measure = getattr(player, "measure_delay", None)
            delay = measure(SENTENCE) if measure is not None else None
            if delay is None:
                player.say(SENTENCE)
            print(delay_line(delay))
            waiter = getattr(player, "wait_idle", None)
            if callable(waiter):
                waiter(15.0)
        warning = status.warning()
        if warning:
            print(warning, file=sys.stderr)
            return 1
        return 0
    finally:
        player.close()
