"""OpenCV reference for `resize`: cv2.resize on one thread (cv2.setNumThreads(1)) over the same pixels as the C# entry.
Usage: resize_reference.py (KEY IMAGE.npy WIDTH HEIGHT ITERATIONS)... ; KEY starts with linear_ or area_.
Prints one JSON line: per KEY, resizes per second of the best of five batches by wall clock (KEY) and by the thread's
CPU time (KEY_cpu)."""
import json, sys, time
import cv2
import numpy as np

cv2.setNumThreads(1)
args = sys.argv[1:]
out = {"opencv": cv2.__version__}
for k in range(0, len(args), 5):
    key, path, width, height, count = args[k], args[k + 1], int(args[k + 2]), int(args[k + 3]), int(args[k + 4])
    image = np.load(path)
    interpolation = cv2.INTER_LINEAR if key.startswith("linear") else cv2.INTER_AREA
    for _ in range(min(count, 50)):
        cv2.resize(image, (width, height), interpolation=interpolation)
    best = best_cpu = float("inf")
    for _ in range(5):
        t, c = time.perf_counter(), time.thread_time()
        for _ in range(count):
            cv2.resize(image, (width, height), interpolation=interpolation)
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.thread_time() - c)
    out[key] = count / best
    out[key + "_cpu"] = count / best_cpu
print(json.dumps(out))
