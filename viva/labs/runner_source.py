"""The harness that runs inside the sandbox, as source text: it is copied into the sandbox's temp dir, next to the
candidate's file. It sees only the inputs. Whatever the candidate's code does to it can change only the candidate's
own outputs: viva compares them with the expected values outside the sandbox."""

RUNNER = r"""
import errno, json, sys, time, traceback
import numpy as np

sys.path.insert(0, ".")
from wire import decode, encode

FORBIDDEN_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENETUNREACH, errno.ENOENT, errno.EAFNOSUPPORT,
                    errno.ECONNREFUSED, errno.EHOSTUNREACH}

def classify(exc):
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, OSError) and (exc.errno in FORBIDDEN_ERRNOS or exc.errno is None):
        return "forbidden"
    return "error"

def main():
    with open("inputs.json") as f:
        spec = json.load(f)
    results = []
    try:
        import candidate
        fn = getattr(candidate, spec["function"])
    except BaseException as exc:
        results.append({"name": "import", "status": classify(exc), "error": f"{type(exc).__name__}: {exc}"})
        fn = None
    if fn is not None:
        for case in spec["cases"]:
            started = time.perf_counter()
            try:
                value = fn(*decode(case["args"]), **decode(case["kwargs"]))
                entry = {"name": case["name"], "status": "ok", "value": encode(value)}
            except BaseException as exc:
                tb = traceback.extract_tb(exc.__traceback__)
                where = next((f"line {t.lineno}" for t in reversed(tb) if t.filename.endswith("candidate.py")), "")
                entry = {"name": case["name"], "status": classify(exc),
                         "error": f"{type(exc).__name__}: {str(exc)[:300]}" + (f" ({where})" if where else "")}
            entry["ms"] = round((time.perf_counter() - started) * 1000, 2)
            results.append(entry)
    with open("results.json", "w") as f:
        json.dump(results, f)

main()
"""
