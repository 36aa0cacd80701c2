"""NumPy reference for `npy-read`: memory-mapped images.npy read as shuffled batches converted to float32 NCHW in [0,1].
Usage: npy_read_reference.py IMAGES.npy BATCH. Prints one JSON line."""
import json, sys, time
import numpy as np

path, batch = sys.argv[1], int(sys.argv[2])
images = np.load(path, mmap_mode="r")
n = images.shape[0]
best = float("inf")
for rep in range(3):
    order = np.random.default_rng(rep).permutation(n)
    t = time.perf_counter()
    for s in range(0, n, batch):
        idx = np.sort(order[s:s + batch])
        x = np.ascontiguousarray(images[idx].transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
    best = min(best, time.perf_counter() - t)
print(json.dumps({"mb_per_s": images.nbytes / 1e6 / best, "numpy": np.__version__}))
