"""NumPy reference for `npy-read`: the memory-mapped split read as shuffled batches, doing what a batch holds: images
to float32 NCHW in [0,1], masks to float32 N x 1 x S x S, labels to int64 (as `DatasetBatches.Gather` does).
Usage: npy_read_reference.py IMAGES.npy BATCH [PASSES] (masks.npy and labels.npy beside it). Prints one JSON line: the
best of PASSES (default 3) passes over the split, by wall clock and by the thread's CPU time; the MB/s count the bytes
of images.npy, as the C# entry does."""
import json, os, sys, time
import numpy as np

path, batch = sys.argv[1], int(sys.argv[2])
passes = int(sys.argv[3]) if len(sys.argv) > 3 else 3
folder = os.path.dirname(path)
images = np.load(path, mmap_mode="r")
masks = np.load(os.path.join(folder, "masks.npy"), mmap_mode="r")
labels = np.load(os.path.join(folder, "labels.npy"), mmap_mode="r")
n = images.shape[0]
best = best_cpu = best_images_only = best_images_only_cpu = float("inf")
for rep in range(passes):
    order = np.random.default_rng(rep).permutation(n)
    t, c = time.perf_counter(), time.thread_time()
    for s in range(0, n, batch):
        idx = np.sort(order[s:s + batch])
        x = np.ascontiguousarray(images[idx].transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
        m = masks[idx][:, None].astype(np.float32)
        y = labels[idx].astype(np.int64)
    best = min(best, time.perf_counter() - t)
    best_cpu = min(best_cpu, time.thread_time() - c)
    t, c = time.perf_counter(), time.thread_time()
    for s in range(0, n, batch):
        idx = np.sort(order[s:s + batch])
        x = np.ascontiguousarray(images[idx].transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
    best_images_only = min(best_images_only, time.perf_counter() - t)
    best_images_only_cpu = min(best_images_only_cpu, time.thread_time() - c)
mb = images.nbytes / 1e6
print(json.dumps({"mb_per_s": mb / best, "mb_per_cpu_s": mb / best_cpu, "images_only_mb_per_s": mb / best_images_only,
                  "images_only_mb_per_cpu_s": mb / best_images_only_cpu, "numpy": np.__version__}))
