"""The sample rate of every sound backtimer makes: a module of its own, so that the voice's
helper process (:mod:`backtimer.sound.voice_helper`, which forks for every text and should
stay small) has it without importing the tones."""

SAMPLE_RATE = 22_050  # Hz: what libespeak-ng renders at, so speech needs no resampling
