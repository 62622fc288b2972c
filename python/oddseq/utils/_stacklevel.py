"""Where a warning points: the first line outside oddseq, the user's own call."""

from __future__ import annotations

import os
import sys

__all__ = ["user_stacklevel"]

# python/oddseq/ with its separator: frames whose file lies under it are oddseq's own.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` for a ``warnings.warn`` made by the caller of this function that
    points at the first frame outside the oddseq package: the user's line, whatever the
    depth of the call that warns (``detect_anomalies`` -> ``AnomalyPipeline.fit`` -> the
    threshold, or ``fit`` called directly). One rule for every warning, in place of a
    number tuned for one path at each site (Python 3.12's ``skip_file_prefixes`` does the
    same, on 3.12 only). Where every frame is oddseq's (the ``oddseq`` command), the
    outermost one."""
    frame = sys._getframe(1)  # the frame that calls warnings.warn: stacklevel 1
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level
