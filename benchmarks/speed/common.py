"""What every speed benchmark shares: the machine record, peak-memory windows and one
case per fresh interpreter."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path

# The benchmarks folder (this file is in its speed/ package).
HERE = Path(__file__).resolve().parent.parent


RESULTS = HERE / "results"


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def start_memory_window() -> float:
    """Resets the peak-RSS mark (Linux clear_refs) and returns the current RSS in MB, so
    that peak_rss_mb() - this value is what the code after it allocated at most."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    return _status_mb("VmHWM")


def machine() -> dict:
    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cores": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(
                line.split(":", 1)[1].strip() for line in f if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    try:
        import oddseq

        info["oddseq_simd"] = oddseq.simd_level()
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for p in threadpool_info()
            if p.get("user_api") == "blas"
        ]
    except ImportError:
        info["blas"] = "threadpoolctl not installed"
    info["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE")
    return info


def run_case(bench: str, case: str, workdir: Path, extra_env=None) -> dict:
    """Runs one case in a fresh interpreter; returns its JSON line."""
    env = {**os.environ, **(extra_env or {})}
    out = subprocess.run(
        [sys.executable, str(HERE / "run.py"), "--worker", bench, case, str(workdir)],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{bench}/{case} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
