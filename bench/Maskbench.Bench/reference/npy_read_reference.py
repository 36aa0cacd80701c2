"""NumPy reference for `npy-read`: the memory-mapped split read as shuffled batches, doing what a batch holds: images
to float32 NCHW in [0,1], masks to float32 N x 1 x S x S, labels to int64 (as `DatasetBatches.Gather` does).
Usage: npy_read_reference.py IMAGES.npy BATCH (masks.npy and labels.npy beside it). Prints one JSON line; the MB/s
count the bytes of images.npy, as the C# entry does."""
import json, os, sys, time
import numpy as np

path, batch = sys.argv[1], int(sys.argv[2])
folder = os.path.dirname(path)
images = np.load(path, mmap_mode="r")
masks = np.load(os.path.join(folder, "masks.npy"), mmap_mode="r")
labels = np.load(os.path.join(folder, "labels.npy"), mmap_mode="r")
n = images.shape[0]
best = best_images_only = float("inf")
for rep in range(3):
    order = np.random.default_rng(rep).permutation(n)
    t = time.perf_counter()
    for s in range(0, n, batch):
        idx = np.sort(order[s:s + batch])
        x = np.ascontiguousarray(images[idx].transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
        m = masks[idx][:, None].astype(np.float32)
        y = labels[idx].astype(np.int64)
    best = min(best, time.perf_counter() - t)
    t = time.perf_counter()
    for s in range(0, n, batch):
        idx = np.sort(order[s:s + batch])
        x = np.ascontiguousarray(images[idx].transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
    best_images_only = min(best_images_only, time.perf_counter() - t)
print(json.dumps({"mb_per_s": images.nbytes / 1e6 / best, "images_only_mb_per_s": images.nbytes / 1e6 / best_images_only,
                  "numpy": np.__version__}))
