"""The grading gate: at most N gradings at once, across threads and processes (lock files in the user dir)."""

from __future__ import annotations

import threading
import time

from tests.fakes import keyword_grade
from viva.bank import load_bank
from viva.web.gate import GatedGrader
from viva.web.service import FunctionGrader


def test_one_slot_means_one_grading_at_a_time(tmp_path):
    active, peak = 0, 0
    lock = threading.Lock()

    def slow_grade(question, text):
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.02)
        with lock:
            active -= 1
        return keyword_grade(question, text)

    gate = GatedGrader(FunctionGrader(slow_grade), tmp_path, slots=1)
    question = next(iter(load_bank()))
    threads = [threading.Thread(target=gate.grade, args=(question, "answer")) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert peak == 1
    assert (tmp_path / "grading-0.lock").exists()
    assert gate.name == "function"


def test_two_slots_allow_two_at_once(tmp_path):
    started = threading.Barrier(2, timeout=5)

    def meet(question, text):
        started.wait()  # would time out (BrokenBarrierError) if the gate let only one through
        return keyword_grade(question, text)

    gate = GatedGrader(FunctionGrader(meet), tmp_path, slots=2)
    question = next(iter(load_bank()))
    errors: list[Exception] = []

    def run():
        try:
            gate.grade(question, "answer")
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
