// backtimer's remote. Every text from the session goes into the page with textContent
// (never innerHTML): a routine's words are shown as written, never run as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  let state = null; // the latest snapshot from the session
  let received = 0; // performance.now() when it came
  let source = null;
  let over = false;
  let wakeLock = null;
  const pain = { where: null, howMuch: null, key: null };

  function clockText(seconds) {
    // As the terminal shows it: "45", "1:05", "1:02:03".
    const s = Math.max(0, Math.ceil(seconds - 1e-9));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const r = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    if (h) return `${h}:${two(m)}:${two(r)}`;
    if (m) return `${m}:${two(r)}`;
    return String(r);
  }

  function setText(id, text) {
    const node = $(id);
    if (node.textContent !== text) node.textContent = text;
  }

  function isOver(s) {
    return s && (s.state === "finished" || s.state === "ended_early");
  }

  function tick() {
    if (!state) return;
    let shown = "–";
    if (isOver(state)) {
      shown = "0";
    } else if (state.remaining !== null && state.remaining !== undefined) {
      const gone = state.state === "running" ? (performance.now() - received) / 1000 : 0;
      shown = clockText(state.remaining - gone);
    } else if (state.user_paced && state.elapsed !== null) {
      const gone = state.state === "running" ? (performance.now() - received) / 1000 : 0;
      shown = clockText(Math.floor(state.elapsed + gone));
    }
    setText("clock", shown);
  }

  function phaseWords(s) {
    if (s.state === "waiting") return "READY TO START";
    if (s.state === "ended_early") return "ENDED EARLY"; // not DONE: it was stopped
    if (s.state === "paused") return "PAUSED · " + s.phase_word;
    if (s.state === "pain_stopped") return "STOPPED";
    return s.phase_word;
  }

  function show(s) {
    state = s;
    received = performance.now();
    setText("routine", s.routine);
    const phase = $("phase");
    phase.className = "phase " + (s.state === "paused" || s.state === "pain_stopped" ? s.state : s.phase);
    setText("phase", phaseWords(s));
    setText("exercise", (s.next_exercise ? "Next: " : "") + s.exercise);
    setText("where", [s.side, s.counter].filter(Boolean).join(" · "));
    setText("count", s.exercises ? `exercise ${s.exercise_number} of ${s.exercises}` : "");
    const stopped = s.state === "pain_stopped";
    setText("next", s.next && !isOver(s) && !stopped ? "Then: " + s.next : "");
    $("clock").hidden = stopped || isOver(s); // the questions, or the end's words, instead
    const live = !isOver(s) && s.state !== "waiting";
    $("pause").textContent = s.state === "paused" ? "Resume" : "Pause";
    $("pause").disabled = !live || s.state === "pain_stopped";
    $("skip").disabled = !live || s.state === "pain_stopped";
    $("done").hidden = !(s.user_paced && s.state === "running");
    $("start").hidden = s.state !== "waiting";
    $("stop").disabled = isOver(s);
    $("controls").hidden = s.state === "pain_stopped";
    showPain(s);
    if (isOver(s)) {
      over = true;
      setText("message", s.state === "finished" ? "Session complete." : "The session has ended.");
      releaseWake();
    } else {
      setText("message", "");
      keepAwake();
    }
    tick();
  }

  function choiceButtons(container, values, name) {
    // One choice at most; a second tap on it takes it back.
    container.replaceChildren();
    for (const value of values) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = String(value);
      button.addEventListener("click", () => {
        pain[name] = pain[name] === value ? null : value;
        for (const [index, other] of Array.from(container.children).entries()) {
          other.classList.toggle("chosen", values[index] === pain[name]);
        }
      });
      container.appendChild(button);
    }
  }

  function showPain(s) {
    const section = $("pain");
    if (s.state !== "pain_stopped" || !s.pain) {
      section.hidden = true;
      pain.key = null;
      return;
    }
    const key = s.pain.at;
    if (pain.key !== key) {
      // A new stop: fresh answers.
      pain.key = key;
      pain.where = null;
      pain.howMuch = null;
      $("note").value = "";
      choiceButtons($("places"), s.places, "where");
      choiceButtons($("amounts"), Array.from({ length: 11 }, (_, n) => n), "howMuch");
    }
    setText("pain-message", s.pain.message);
    setText("pain-at", "Stopped at: " + s.pain.at);
    setText("pain-stop-if", s.pain.stop_if ? "Stop if: " + s.pain.stop_if : "");
    // Before the start nothing ran: nothing to answer, skip or resume; end means do not start.
    const early = Boolean(s.pain.before_start);
    $("pain-questions").hidden = early;
    $("pain-go-on").hidden = early;
    setText("pain-end", early ? "Do not start" : "End the session");
    section.hidden = false;
  }

  async function send(command) {
    const body = { command };
    if (command.startsWith("pain_") && command !== "pain_mistake") {
      body.where = pain.where;
      body.how_much = pain.howMuch;
      body.note = $("note").value;
    }
    try {
      const answer = await fetch("command", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        cache: "no-store",
      });
      if (!answer.ok) {
        const why = await answer.json().catch(() => ({}));
        setText("message", "Not sent: " + (why.error || answer.status));
      }
    } catch (error) {
      setText("message", "Not sent: no connection to the computer. Use its keys.");
    }
  }

  function connect() {
    source = new EventSource("events");
    source.onopen = () => {
      $("link").className = "online";
      setText("link", "connected");
    };
    source.onmessage = (message) => {
      try {
        show(JSON.parse(message.data));
      } catch (error) {
        // A malformed message is ignored; the next one brings the whole state.
      }
    };
    source.onerror = () => {
      $("link").className = "offline";
      if (over) {
        setText("link", "session over");
        source.close();
        return;
      }
      setText("link", "reconnecting…");
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  }

  async function keepAwake() {
    if (!("wakeLock" in navigator)) {
      setText("awake", "This browser cannot keep the screen on from this page: set a longer screen timeout.");
      return;
    }
    if (wakeLock !== null || document.visibilityState !== "visible") return;
    try {
      wakeLock = await navigator.wakeLock.request("screen");
      wakeLock.addEventListener("release", () => { wakeLock = null; });
      setText("awake", "");
    } catch (error) {
      wakeLock = null;
    }
  }

  function releaseWake() {
    if (wakeLock !== null) {
      wakeLock.release().catch(() => {});
      wakeLock = null;
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && state && !over) keepAwake();
  });
  for (const button of document.querySelectorAll("button[data-command]")) {
    button.addEventListener("click", () => send(button.dataset.command));
  }
  setInterval(tick, 200);
  connect();
})();
