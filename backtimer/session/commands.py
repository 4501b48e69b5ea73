"""Every key of backtimer, once: id, keys, what it does and where it applies.

This table is pure data (no Textual). From it come the Textual ``BINDINGS`` of the app and
each screen (:mod:`backtimer.tui.keys`), the keys and line words of ``--plain``
(:mod:`backtimer.plain`), the help screen, ``backtimer keys`` (the binding ids that
``[keymap]`` in config.toml may name) and the key tables of the README (a test regenerates
them and compares). So a key does the same thing in the app and in ``--plain``, and every
documented key is a real one.

Keys are Textual key names (``space``, ``escape``, ``plus``, ``ctrl+e``), comma separated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from backtimer.session.safety import PAIN_PLACES

#: Where a key applies, in the order a user meets them: (where, title in help and README).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("app", "Everywhere"),
    ("session", "During a session"),
    ("picker", "Choosing a routine"),
    ("pain", "After a pain stop"),
    ("summary", "Summary"),
    ("new_routine", "New routine"),
    ("levels", "Levels before a session"),
    ("levels_list", "Levels: the list of step-ups"),  # it has the focus when the offer opens
    ("remote", "Phone remote (before a session)"),
    ("history", "History"),
    ("settings", "Settings"),
    ("confirm", "Questions"),
    ("dialogs", "In a dialog (pain stop, levels, phone remote, questions, new routine)"),
    ("help", "Help"),
    ("routine_list", ""),  # the picker's list itself (enter); not a section of its own
)


@dataclass(frozen=True)
class Key:
    """One command. ``plain``: the :class:`~backtimer.session.controller.SessionController`
    method (or plain-mode command) it runs in ``--plain``; ``words``: more names for it on a
    line from a pipe; ``plain_keys``: its keys in ``--plain`` on a terminal, when they differ
    from ``keys`` (the pain dialog's text fields need control keys in the app)."""

    id: str
    keys: str
    action: str
    label: str
    description: str
    where: str
    key_display: str | None = None
    show: bool = True
    priority: bool = False
    plain: str | None = None
    words: tuple[str, ...] = ()
    plain_keys: str | None = None
    plain_label: str | None = None
    plain_description: str | None = None  # what it does in --plain, when that differs
    said: str | None = None  # after a pain stop, said after its key ("to resume")


COMMANDS: tuple[Key, ...] = (
    # ---------------------------------------------------------------- everywhere
    Key(
        "pain",
        "x",
        "pain",
        "Pain stop",
        "Pain stop: clock and sound stop at once",
        "app",
        key_display="x/esc",
        show=False,  # shown first on every screen by widgets.keybar.PainKey
        priority=True,
        plain="pain",
        words=("x", "pain"),
        plain_label="pain stop",
    ),
    # Escape closes what is open on top (help, a question, a dialog, the history); it is
    # the pain stop only where nothing is open: the session screen itself, or the first
    # screen (SessionScreen.ESCAPE_IS_PAIN; the footer says x/esc only there).
    Key(
        "pain_escape",
        "escape",
        "escape",
        "Close / pain stop",
        "Close what is open; on a session, pain stop",
        "app",
        show=False,
        priority=True,
        plain="pain",
        words=("esc", "escape"),
        plain_label="pain stop",
    ),
    Key(
        "help",
        "question_mark",
        "help",
        "Help",
        "All the keys",
        "app",
        key_display="?",
        plain="help",
        words=("h", "?", "help"),
        plain_label="help",
    ),
    # Ctrl-C leaves at once, as it does in a shell (Textual's default only hints at
    # ctrl+q): the terminal is restored and a running session is recorded as interrupted.
    Key(
        "interrupt",
        "ctrl+c",
        "interrupt",
        "Interrupt",
        "Leave at once (the session is kept as interrupted)",
        "app",
        show=False,
        priority=True,
    ),
    # Ctrl-Z pauses the session and stops the process, as in a shell; fg comes back paused.
    Key(
        "suspend",
        "ctrl+z",
        "suspend",
        "Suspend",
        "Suspend (the session pauses; fg brings it back)",
        "app",
        show=False,
        priority=True,
    ),
    # ---------------------------------------------------------------- a session
    # In the footer's order: what matters most comes first (narrow terminals cut the end).
    Key(
        "pause",
        "space",
        "pause",
        "Pause",
        "Pause / resume",
        "session",
        plain="pause",
        words=("p", "space", "pause"),
        plain_label="pause/resume",
    ),
    Key(
        "resume",
        "space",
        "resume",
        "Resume",
        "Resume (when paused)",
        "session",
        plain="resume",
        words=("resume",),
    ),
    Key(
        "skip_step",
        "n",
        "skip_step",
        "Skip",
        "Skip this step",
        "session",
        plain="skip_step",
        words=("n", "next", "skip", "skip step"),
        plain_label="skip step",
    ),
    Key(
        "more",
        "plus,equals_sign",
        "more",
        "±5s",
        "Five seconds more on this hold",
        "session",
        key_display="+/-",
        plain="more",
        words=("+", "=", "more"),
        plain_label="5 seconds more",
    ),
    Key(
        "less",
        "minus",
        "less",
        "5s less",
        "Five seconds less on this hold",
        "session",
        show=False,
        plain="less",
        words=("-", "less"),
        plain_label="5 seconds less",
    ),
    Key(
        "advance",
        "enter",
        "advance",
        "Done",
        "Done with a step at your own pace",
        "session",
        key_display="enter",
        plain="advance",
        words=("", "enter", "a", "advance", "done"),
        plain_label="done (a step at your own pace)",
    ),
    Key(
        "quit",
        "q",
        "quit_session",
        "Quit",
        "End the session early (asks first)",
        "session",
        plain="end",
        words=("q", "quit", "end"),
        plain_label="quit (at once)",
        plain_description="End the session at once (recorded as ended early)",
    ),
    Key(
        "back",
        "b",
        "back",
        "Back",
        "Restart this step (at its start: the one before)",
        "session",
        plain="back",
        words=("b", "back"),
        plain_label="back",
    ),
    Key(
        "skip_exercise",
        "N",
        "skip_exercise",
        "Skip ex.",
        "Skip the rest of this exercise",
        "session",
        key_display="N",
        plain="skip_exercise",
        words=("N", "skip exercise"),
        plain_label="skip exercise",
    ),
    # ---------------------------------------------------------------- the picker
    Key("start", "enter", "start", "Start", "Start the selected routine", "picker"),
    Key("edit", "e", "edit", "Edit", "Edit it in $VISUAL or $EDITOR", "picker"),
    Key("new_routine", "n", "new", "New", "Create a new routine", "picker"),
    Key("history", "h", "history", "History", "Past sessions and pain stops", "picker"),
    Key("settings", "s", "settings", "Settings", "Voice, bell, timings, keys", "picker"),
    Key("quit", "q", "quit_app", "Quit", "Quit backtimer", "picker"),
    Key(
        "start_remote",
        "r",
        "start_remote",
        "Remote",
        "Start it with your phone as its remote",
        "picker",
    ),
    Key("start_selected", "enter", "select", "Start", "Start this routine", "routine_list"),
    # ---------------------------------------------------------------- after a pain stop
    # Priority: they work from the text fields too (an Input has its own ctrl+e). In
    # --plain on a terminal, single letters do (ctrl+s would stop the terminal's output).
    Key(
        "pain_end",
        "ctrl+e",
        "choose('end')",
        "End session",
        "End the session (the default)",
        "pain",
        key_display="^e",
        priority=True,
        plain="end",
        words=("end", "e", "", "enter", "q", "quit"),
        plain_keys="e,enter,ctrl+e",
        plain_label="end the session (the default)",
        said="to end",
    ),
    Key(
        "pain_skip",
        "ctrl+s",
        "choose('skip_exercise')",
        "Skip exercise",
        "Skip the rest of this exercise",
        "pain",
        key_display="^s",
        priority=True,
        plain="skip_exercise",
        words=("skip", "s", "skip exercise"),
        plain_keys="s",
        plain_label="skip this exercise",
        said="to skip this exercise",
    ),
    Key(
        "pain_resume",
        "ctrl+r",
        "choose('resume')",
        "Resume",
        "Resume: the interrupted step starts again",
        "pain",
        key_display="^r",
        priority=True,
        plain="resume",
        words=("resume", "r"),
        plain_keys="r,ctrl+r",
        plain_label="resume",
        said="to resume",
    ),
    Key(
        "pain_mistake",
        "ctrl+u",
        "choose('mistake')",
        "By mistake",
        "Pressed by mistake: no pain, back as it was",
        "pain",
        key_display="^u",
        priority=True,
        plain="mistake",
        words=("mistake", "m", "by mistake"),
        plain_keys="m,ctrl+u",
        plain_label="pressed by mistake (no pain recorded, back as it was)",
        said="if pressed by mistake",
    ),
    # ---------------------------------------------------------------- the summary
    Key("close", "enter", "close", "Close", "Back to the routines, or quit", "summary"),
    Key(
        "keep_holds",
        "k",
        "keep",
        "Keep holds",
        "Keep the holds changed with +/- in the routine file",
        "summary",
    ),
    Key("quit", "q", "quit_app", "Quit", "Quit backtimer", "summary"),
    # ---------------------------------------------------------------- dialogs and screens
    Key(
        "new_cancel",
        "ctrl+x",
        "cancel",
        "Cancel",
        "Do not create a routine",
        "new_routine",
        key_display="^x",
        priority=True,
    ),
    # Its name field takes "?" as text: F1 opens the help there (and "?" off the field).
    Key(
        "new_help",
        "f1",
        "app.help",
        "Help",
        "All the keys (? types into the name)",
        "new_routine",
        key_display="F1",
    ),
    # The list of step-ups has the focus: space ticks, enter starts (as s).
    Key("levels_start", "s,enter", "start", "Start", "Start with these levels", "levels"),
    Key(
        "levels_decline",
        "n",
        "decline",
        "No step-ups",
        "Start with no step-up (each is offered again next time)",
        "levels",
    ),
    # A dialog (a modal screen) keeps the app's own keys from reaching the app: help again.
    Key(
        "dialog_help",
        "question_mark",
        "app.help",
        "Help",
        "All the keys",
        "dialogs",
        key_display="?",
        show=False,  # a dialog's footer keeps its own choices; the session's shows "? Help"
    ),
    # Escape closes a dialog as its cancel choice does (each dialog's action_escape, which
    # the app's own escape runs too). After a real pain stop it decides nothing: it may be
    # the very key that stopped, pressed twice (no false end or resume).
    Key(
        "dialog_close",
        "escape",
        "escape",
        "Close",
        "Cancel, No or Close; after a real pain stop: nothing",
        "dialogs",
        key_display="esc",
        show=False,
    ),
    Key(
        "remote_start",
        "enter",
        "start",
        "Start",
        "Start the session (or tap Start on the phone)",
        "remote",
    ),
    Key(
        "remote_lan",
        "l",
        "lan",
        "Network",
        "Let a phone on this network reach it (a new address)",
        "remote",
    ),
    Key(
        "levels_toggle",
        "space",
        "tick",
        "Tick/untick",
        "Take the highlighted step-up or not (up and down move)",
        "levels_list",
    ),
    # escape closes the history too (the app's escape closes what is open on top).
    Key("history_close", "q", "close", "Back", "Back", "history", key_display="esc/q"),
    Key("history_escape", "escape", "close", "Back", "Back", "history", show=False),
    Key("history_sessions", "s", "tab('tab-sessions')", "Sessions", "Sessions", "history"),
    Key("history_exercises", "e", "tab('tab-exercises')", "Exercises", "Exercises", "history"),
    Key("history_pain", "p", "tab('tab-pain')", "Pain", "Pain", "history"),
    Key(
        "settings_save",
        "ctrl+s",
        "save",
        "Save",
        "Check and save the settings",
        "settings",
        key_display="^s",
        priority=True,
    ),
    Key(
        "settings_cancel",
        "ctrl+x",
        "cancel",
        "Cancel",
        "Leave without saving",
        "settings",
        key_display="^x",
        priority=True,
    ),
    Key("confirm_yes", "y", "answer(True)", "Yes", "Yes", "confirm"),
    Key("confirm_no", "n", "answer(False)", "No", "No", "confirm"),
    Key("confirm_quit", "q", "answer(True)", "Yes", "Yes (q twice)", "confirm", show=False),
    Key(
        "help_close",
        "question_mark,enter,q",
        "close",
        "Close",
        "Close this help",
        "help",
        key_display="esc",
    ),
)


#: Keymap presets: ``[keymap]`` blocks for a device's keys (``backtimer keys --preset NAME``
#: prints one to paste into config.toml). "presenter": a wireless presentation clicker, for a
#: session followed from the floor. Its arrow buttons (page down, page up) pause and resume,
#: so no press is the wrong one with closed eyes; its blank-screen button (b, or a full stop
#: on some) and its slideshow button (F5, shift+F5, escape) are the pain stop. Back moves
#: from b to backspace to make room.
KEYMAP_PRESETS: dict[str, dict[str, str]] = {
    "presenter": {
        "pause": "space,pagedown,pageup",
        "resume": "space,pagedown,pageup",
        "pain": "x,b,full_stop,f5,shift+f5",
        "back": "backspace",
    },
}


def preset_toml(name: str) -> str:
    """A keymap preset as the ``[keymap]`` block of config.toml."""
    lines = ["[keymap]"]
    for binding, keys in KEYMAP_PRESETS[name].items():
        lines.append(f'{binding} = "{keys}"')
    return "\n".join(lines) + "\n"


#: After a pain stop, --plain also takes these lines (optional, before the choice).
PAIN_LINES: tuple[tuple[str, str], ...] = (
    (
        "where PLACE",
        "where it hurts: " + ", ".join(PAIN_PLACES) + " (or its number, 1 to "
        f"{len(PAIN_PLACES)}, or a part of it such as back)",
    ),
    ("much N", "how much it hurts, 0 to 10 (also: how much N)"),
    ("note TEXT", "a note, kept with the pain stop"),
)


def commands(where: str) -> list[Key]:
    """The commands of one screen (``where``: a name of :data:`SECTIONS`), in order."""
    if where not in dict(SECTIONS):
        raise KeyError(f"no such section of the command table: {where!r}")
    return [key for key in COMMANDS if key.where == where]


def binding_ids() -> list[str]:
    """Every binding id, once each, in the table's order: what ``[keymap]`` may name."""
    seen: dict[str, None] = {}
    for key in COMMANDS:
        seen.setdefault(key.id, None)
    return list(seen)


# ------------------------------------------------------------------------ reading keys

#: How a key name is written for people (README, --plain's help).
KEY_WORDS: dict[str, str] = {
    "space": "space",
    "enter": "enter",
    "escape": "esc",
    "question_mark": "?",
    "plus": "+",
    "minus": "-",
    "equals_sign": "=",
    "full_stop": ".",
}


def key_words(keys: str) -> str:
    """ "plus,equals_sign" -> "+ / =", "ctrl+e" -> "ctrl+e"."""
    return " / ".join(KEY_WORDS.get(k, k) for k in split_keys(keys))


def split_keys(keys: str) -> list[str]:
    return [k.strip() for k in keys.split(",") if k.strip()]


#: A character typed on a terminal -> its key name (letters and digits are their own).
CHAR_KEYS: dict[str, str] = {
    " ": "space",
    "\r": "enter",
    "\n": "enter",
    "\x1b": "escape",
    "?": "question_mark",
    "+": "plus",
    "-": "minus",
    "=": "equals_sign",
    ".": "full_stop",
    "\x7f": "backspace",
    "\x08": "backspace",
    "\t": "tab",
}


#: The escape sequences of the keys a presentation clicker sends (xterm's and the Linux
#: console's), as key names: ``--plain`` on a terminal reads them as the app does.
SEQUENCE_KEYS: dict[str, str] = {
    "\x1b[6~": "pagedown",
    "\x1b[5~": "pageup",
    "\x1b[15~": "f5",
    "\x1b[[E": "f5",
    "\x1b[15;2~": "shift+f5",
    "\x1b[28~": "shift+f5",
}


def _sequence_end(text: str, start: int) -> int:
    """Where the escape sequence at ``text[start]`` (an ESC followed by ``[`` or ``O``) ends:
    CSI (``ESC [`` parameters, intermediates, a final byte; the Linux console's ``ESC [ [ X``)
    or SS3 (``ESC O X``). A sequence cut off at the end of ``text`` ends there."""
    if text.startswith("O", start + 1):
        return min(start + 3, len(text))
    i = start + 2
    if text.startswith("[", i):  # the Linux console's F1-F5: ESC [ [ A..E
        return min(i + 2, len(text))
    while i < len(text) and "\x20" <= text[i] <= "\x3f":  # parameters, intermediates
        i += 1
    return min(i + 1, len(text))  # and the final byte


def terminal_keys(text: str) -> list[str]:
    """Every key name in what a terminal sent in one read (keys pressed close together
    arrive together): characters by :func:`char_key`, a clicker's sequences by
    ``SEQUENCE_KEYS``. An arrow or another function key (``ESC [`` or ``ESC O`` ...) is
    skipped whole, never read as escape and never taking the keys after it with it. Any
    other ``ESC`` is the escape key: on its own, pressed twice, before a clicker's key (as
    the app's Textual reads ``ESC ESC [ 6 ~``), or before a character. That last one is
    also what alt and the key send; alt means nothing here, and escape pressed with a key
    at once must stay a pain stop (a false one is undone by "pressed by mistake")."""
    names: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "\x1b":
            name = char_key(text[i])
            if name is not None:
                names.append(name)
            i += 1
            continue
        found = next((seq for seq in SEQUENCE_KEYS if text.startswith(seq, i)), None)
        if found is not None:
            names.append(SEQUENCE_KEYS[found])
            i += len(found)
        elif text[i + 1 : i + 2] in ("[", "O"):
            i = _sequence_end(text, i)
        else:
            names.append("escape")
            i += 1
    return names


def char_key(char: str) -> str | None:
    """The key name of one character typed on a terminal (None: nothing we name)."""
    if char in CHAR_KEYS:
        return CHAR_KEYS[char]
    code = ord(char)
    if 1 <= code <= 26:
        return f"ctrl+{chr(code + 96)}"
    if char.isprintable():
        return char
    return None


def plain_keymap(where: str, keymap: dict[str, str] | None = None) -> dict[str, Key]:
    """Key name -> command for ``--plain`` on a terminal, in one section; ``keymap`` (from
    config.toml) moves keys as it does in the app. The first command to claim a key keeps
    it (space pauses and resumes: that is the ``pause`` command)."""
    keymap = keymap or {}
    found: dict[str, Key] = {}
    for key in commands(where):
        if key.plain is None:
            continue
        keys = keymap.get(key.id) or key.plain_keys or key.keys
        for name in split_keys(keys):
            found.setdefault(name, key)
    return found


def plain_words(where: str) -> dict[str, Key]:
    """A line's word -> command for ``--plain`` from a pipe, in one section. Words are
    matched as typed first ("N" skips the exercise, "n" the step), then in lower case."""
    found: dict[str, Key] = {}
    for key in commands(where):
        if key.plain is None:
            continue
        for word in key.words:
            found.setdefault(word, key)
    return found


#: How a modifier is said.
SPOKEN_MODIFIERS: dict[str, str] = {"ctrl": "control", "shift": "shift", "alt": "alt"}


def spoken_key(name: str) -> str:
    """A key name as it is said: "ctrl+e" -> "control E", "e" -> "E", "N" -> "capital N",
    "question_mark" -> "question mark"."""
    *modifiers, key = name.split("+")
    words = [SPOKEN_MODIFIERS.get(m, m) for m in modifiers]
    if len(key) == 1 and key.isalpha():
        words.append(key.upper() if key.islower() or modifiers else f"capital {key}")
    else:
        words.append(key.replace("_", " "))
    return " ".join(words)


def pain_choices_spoken(
    keys: Literal["app", "plain", "words"], keymap: dict[str, str] | None = None
) -> str:
    """The choices after a pain stop as they are said to someone who cannot see them, with
    the keys that make them: the app's (``keymap`` moves them, as it does the bindings),
    --plain's on a terminal, or --plain's words from a pipe. "Press control E to end,
    control S to skip this exercise, control R to resume, control U if pressed by mistake."
    """
    parts = []
    for key in commands("pain"):
        if key.said is None:
            continue
        if keys == "words":
            name = next(word for word in key.words if word)
        else:
            own = key.plain_keys if keys == "plain" and key.plain_keys else key.keys
            name = spoken_key(split_keys((keymap or {}).get(key.id) or own)[0])
        parts.append(f"{name} {key.said}")
    return ("Type " if keys == "words" else "Press ") + ", ".join(parts) + "."


def plain_help(where: str, *, keys: bool, keymap: dict[str, str] | None = None) -> str:
    """ "space pause/resume, x / esc pain stop, ..." for --plain's help line."""
    parts: list[str] = []
    labels: dict[str, list[str]] = {}
    for key in commands(where):
        if key.plain is None or key.plain_label is None:
            continue
        if keys:
            name = key_words((keymap or {}).get(key.id) or key.plain_keys or key.keys)
        else:
            name = next((w for w in key.words if w), "") or "an empty line"
            if "" in key.words:
                name = f"an empty line or {name}"
        labels.setdefault(key.plain_label, []).append(name)
    for label, names in labels.items():
        parts.append(f"{' or '.join(names)} {label}")
    return ", ".join(parts)


# ------------------------------------------------------------------------ the README


def readme_keys() -> str:
    """The README's key tables (between its ``<!-- keys -->`` markers), from this table.
    ``python -m backtimer.session.commands`` prints them."""
    out: list[str] = []
    for where, title in SECTIONS:
        rows = [key for key in commands(where)]
        if not title or not rows:
            continue
        out.append(f"**{title}**\n")
        out.append("| key | binding id | what it does |")
        out.append("| --- | --- | --- |")
        for key in rows:
            keys = " / ".join(f"`{k}`" for k in key_words(key.keys).split(" / "))
            out.append(f"| {keys} | `{key.id}` | {key.description} |")
        out.append("")
    out.append("**`--plain` from a pipe: one command a line**\n")
    out.append("| line | what it does |")
    out.append("| --- | --- |")
    for where in ("app", "session", "pain"):
        seen: set[str] = set()
        for key in commands(where):
            if key.plain is None or key.id in seen:
                continue
            seen.add(key.id)
            words = ", ".join(f"`{w}`" if w else "an empty line" for w in key.words)
            context = " (after a pain stop)" if where == "pain" else ""
            what = key.plain_description or key.description
            out.append(f"| {words} | {what}{context} |")
        if where == "pain":
            for line, what in PAIN_LINES:
                out.append(f"| `{line}` | {what} (after a pain stop) |")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover - python -m backtimer.session.commands
    print(readme_keys(), end="")
