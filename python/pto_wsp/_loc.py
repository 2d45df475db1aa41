"""Source locations of the user's Python calls, passed to the C++ builder."""
import os
import sys

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def caller():
    """(file, line) of the first frame outside this package, or None."""
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if not os.path.abspath(fn).startswith(_PKG_DIR + os.sep):
            return (fn, f.f_lineno)
        f = f.f_back
    return None


def caller_frame():
    f = sys._getframe(1)
    while f is not None:
        if not os.path.abspath(f.f_code.co_filename).startswith(_PKG_DIR + os.sep):
            return f
        f = f.f_back
    return None
