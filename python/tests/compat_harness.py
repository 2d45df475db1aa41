"""The example harness the compat runner gives 0.1.0's programs (as `harness`): the same
calls (run_example, CycleCheck, assert_cycles, assert_allclose), outputs checked against
the golden with the program's own tolerances, and cycles printed beside 0.1.0's
expectation. Those come from 0.1.0's constant cost model, not a target: a cycle count
outside its range is reported ("cycles differ"), never a failure, so every run of a
program is reached. A cycle count below min_cycles (no work measured) still fails."""
from dataclasses import dataclass
from typing import Optional

import numpy as np


@dataclass(frozen=True)
class CycleCheck:
    expected: Optional[int] = None
    rel_tol: float = 0.10
    abs_tol: int = 0
    min_cycles: int = 1


def assert_allclose(got, ref, *, rtol, atol, name="value"):
    got, ref = np.asarray(got), np.asarray(ref)
    if got.shape != ref.shape:
        raise AssertionError(f"{name}: shape {got.shape}, golden {ref.shape}")
    if not np.allclose(got, ref, rtol=rtol, atol=atol):
        err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
        raise AssertionError(f"{name}: not within rtol={rtol} atol={atol} of the golden "
                             f"(max abs error {err.max():.3e}, mean {err.mean():.3e})")


def assert_cycles(total_cycles, check, *, name="total_cycles"):
    c = int(total_cycles)
    if c < int(check.min_cycles):
        raise AssertionError(f"{name}: {c} cycles, expected at least {check.min_cycles}")
    if check.expected is None:
        print(f"{name}: ours {c}")
        return
    exp = int(check.expected)
    lo = max(exp - int(check.abs_tol), int(exp * (1.0 - float(check.rel_tol))))
    hi = max(exp + int(check.abs_tol), int(exp * (1.0 + float(check.rel_tol))))
    verdict = "within 0.1.0's range" if lo <= c <= hi else "cycles differ (0.1.0's cost model)"
    print(f"{name}: ours {c}, 0.1.0 expected ~{exp} [{lo}, {hi}]: {verdict}")


def program_total_cycles(program):
    stats = program.stats() if callable(program.stats) else program.stats
    return int(getattr(stats, "total_cycles", 0) or 0)


def run_example(name, *, run_pto, run_golden, rtol, atol, cycles):
    ref = run_golden()
    got, total_cycles = run_pto()
    assert_allclose(got, ref, rtol=rtol, atol=atol, name=f"{name}:output")
    print(f"{name}: output PASS")
    assert_cycles(total_cycles, cycles, name=f"{name}:cycles")
