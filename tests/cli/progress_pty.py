# The progress line of `ptowsp run` (docs/cli.md, "Progress"): shown on a terminal (run
# it with PTO_WSP_PROGRESS_AFTER_MS=0 so that a short run shows it) and cleared at the end; absent with --quiet and when stderr
# is not a terminal. The command runs once first to fill the kernel cache (compile
# progress is another feature), then three times: stderr a pty, a pty with --quiet, a file.
#   progress_pty.py CMD ARGS...
import os
import pty
import select
import sys
import tempfile

cmd = sys.argv[1:]


def run(argv, stderr_tty):
    """Runs argv; returns (exit code, stderr bytes). stdout goes to a temporary file."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        if stderr_tty:
            master, slave = pty.openpty()
            pid = os.posix_spawn(argv[0], argv, os.environ,
                                 file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                               (os.POSIX_SPAWN_DUP2, slave, 2),
                                               (os.POSIX_SPAWN_CLOSE, master)])
            os.close(slave)
            data = b""
            while True:
                ready, _, _ = select.select([master], [], [], 60)
                if not ready:
                    sys.exit(f"error: no output and no exit within 60 s: {' '.join(argv)}")
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the pty
                    break
                if not chunk:
                    break
                data += chunk
            os.close(master)
        else:
            pid = os.posix_spawn(argv[0], argv, os.environ,
                                 file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                               (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
            data = None
        _, status = os.waitpid(pid, 0)
        if data is None:
            err.seek(0)
            data = err.read()
        return os.waitstatus_to_exitcode(status), data


def check(cond, what, data):
    if not cond:
        sys.exit(f"error: {what}\nstderr was: {data!r}")


rc, data = run(cmd, False)  # warm the cache
check(rc == 0, f"warm-up run exited with {rc}", data)

rc, data = run(cmd, True)
check(rc == 0, f"run on a terminal exited with {rc}", data)
check(b"tasks issued, " in data and b"tasks/s, " in data, "no progress line on a terminal", data)
check(data.endswith(b"\r\x1b[K"), "the progress line is not cleared at the end", data)
print("terminal:", data.split(b"\r\x1b[K")[-2].decode(errors="replace"))

rc, data = run(cmd + ["--quiet"], True)
check(rc == 0, f"run with --quiet exited with {rc}", data)
check(data == b"", "--quiet printed on stderr", data)

rc, data = run(cmd, False)
check(rc == 0, f"run without a terminal exited with {rc}", data)
check(data == b"", "a run whose stderr is not a terminal printed on stderr", data)
print("quiet and non-terminal runs: stderr empty")
