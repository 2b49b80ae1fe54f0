"""Runs a tool on every split of every invalid-input test file and checks that
each one is rejected cleanly: exit status 1 and a located `error:` diagnostic,
never a crash, a signal or an assertion.

Usage: check_invalid_inputs.py TOOL FILE...
"""
import os
import re
import subprocess
import sys
import tempfile

SPLIT = re.compile(r"^// -----\s*$", re.MULTILINE)
LOCATED_ERROR = re.compile(r"^[^:\n]+:\d+:\d+: error: ", re.MULTILINE)


def main():
    tool, files = sys.argv[1], sys.argv[2:]
    failures, checked = [], 0
    for path in files:
        with open(path) as f:
            chunks = SPLIT.split(f.read())
        for index, chunk in enumerate(chunks):
            with tempfile.NamedTemporaryFile("w", suffix=".mlir", delete=False) as tmp:
                tmp.write(chunk)
            try:
                proc = subprocess.run([tool, tmp.name], capture_output=True, text=True)
            finally:
                os.unlink(tmp.name)
            checked += 1
            where = f"{os.path.basename(path)} split #{index}"
            if proc.returncode != 1:
                failures.append(f"{where}: exit status {proc.returncode}\n{proc.stderr}")
            elif not LOCATED_ERROR.search(proc.stderr):
                failures.append(f"{where}: no located error diagnostic\n{proc.stderr}")
    for failure in failures:
        print("FAIL:", failure)
    print(f"checked {checked} invalid inputs, {len(failures)} not rejected cleanly")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
