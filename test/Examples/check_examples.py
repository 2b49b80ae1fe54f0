"""Checks every example model: celeris-opt parses and verifies it, compiles it
through the main-job pipeline, and upstream mlir-opt with the Celeris plugin
round-trips it to the same text as celeris-opt.

Usage: check_examples.py CELERIS_OPT MLIR_OPT PLUGIN EXAMPLE...
"""
import os
import subprocess
import sys


def run(*cmd, stdin=None):
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def main():
    celeris_opt, mlir_opt, plugin, examples = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    failed = 0
    for example in examples:
        name = os.path.basename(example)
        try:
            printed = run(celeris_opt, example)
            run(celeris_opt, example, "--celeris-simplify-masks", "--canonicalize")
            upstream = run(mlir_opt, f"--load-dialect-plugin={plugin}", example)
            reparsed = run(mlir_opt, f"--load-dialect-plugin={plugin}", "-", stdin=printed)
            if not (printed == upstream == reparsed):
                raise RuntimeError("celeris-opt and mlir-opt with the plugin print differently")
            print(f"ok: {name}")
        except RuntimeError as error:
            failed += 1
            print(f"FAIL: {name}: {error}")
    print(f"{len(examples)} examples, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
