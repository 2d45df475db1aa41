# Runs a command and fails unless its peak resident set (wait4's rusage of that process
# alone) stays under a bound: `ptowsp run --dry-run` must keep nothing per task, whatever
# the length. The command runs twice; the first run fills the kernel cache, so the
# compiler's memory is not counted, and the second run is measured.
#   peak_rss.py MAX_MIB CMD ARGS...
import os
import sys
import tempfile

limit_mib = float(sys.argv[1])
cmd = sys.argv[2:]
with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
    for attempt in range(2):
        out.seek(0), out.truncate(), err.seek(0), err.truncate()
        pid = os.posix_spawn(cmd[0], cmd, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                           (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        _, status, usage = os.wait4(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            sys.exit(f"error: {' '.join(cmd)} exited with {os.waitstatus_to_exitcode(status)}:\n"
                     f"{err.read().decode()}")
    out.seek(0)
    lines = out.read().decode().splitlines()
peak_mib = usage.ru_maxrss / 1024.0
print(lines[1] if len(lines) > 1 else "")
print(f"peak RSS {peak_mib:.1f} MiB (limit {limit_mib:.0f} MiB)")
if peak_mib >= limit_mib:
    sys.exit(f"error: peak RSS {peak_mib:.1f} MiB is not under {limit_mib:.0f} MiB")
