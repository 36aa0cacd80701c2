"""PyTorch reference for the `matmul` benchmark: best-of-N square matmul GFLOP/s, float32 and bfloat16.
Usage: matmul_reference.py N REPS THREADS. Prints one JSON line."""
import json, sys, time
import torch

n, reps, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
out = {"torch": torch.__version__}
for label, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
    a = torch.randn(n, n).to(dtype)
    b = torch.randn(n, n).to(dtype)
    a @ b
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    out[label] = 2.0 * n ** 3 / best / 1e9
print(json.dumps(out))
