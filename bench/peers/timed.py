"""Times one whole command from outside, as /usr/bin/time does: from its start to its exit, start-up
included, with the operating system's own accounting of the finished child (wait4: user and system
seconds, peak resident memory). Used by bench/peers.ts, whose Node cannot read a child's rusage.

    /usr/bin/python3 bench/peers/timed.py STDOUT_FILE STDERR_FILE COMMAND [ARG ...]
    -> {"status": exit code (or -signal), "wall": s, "user": s, "system": s, "maxRssKiB": KiB} on stdout
"""
import json
import os
import sys
import time

if len(sys.argv) < 4:
    sys.exit("usage: timed.py STDOUT_FILE STDERR_FILE COMMAND [ARG ...]")
out, err, command = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(out, "wb") as o, open(err, "wb") as e:
    actions = [(os.POSIX_SPAWN_DUP2, o.fileno(), 1), (os.POSIX_SPAWN_DUP2, e.fileno(), 2)]
    started = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
json.dump({"status": code, "wall": wall, "user": usage.ru_utime, "system": usage.ru_stime, "maxRssKiB": usage.ru_maxrss},
          sys.stdout)
