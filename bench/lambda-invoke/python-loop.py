"""The Python row's baseline: the same handler called in a loop inside one Python process. Prints calls per second."""
import json
import sys
import time

sys.path.insert(0, sys.argv[1])
import presign  # noqa: E402

event = json.loads(sys.argv[2])
seconds = float(sys.argv[3])
calls = 0
start = time.perf_counter()
while time.perf_counter() - start < seconds:
    presign.lambda_handler(event, None)
    calls += 1
print(calls / (time.perf_counter() - start))
