"""Reference for the `coco` benchmark: what a pycocotools user pays with CPython.
Parse: json.load of the instances file plus the index loops of pycocotools' COCO.createIndex (anns, imgs, cats,
imgToAnns, catToImgs), in MB/s. Decode: uncompressed RLE counts to a column-major uint8 mask with np.repeat (the
counts-to-pixels step; pycocotools itself is not installable here), masks per second on one thread.
Usage: coco_reference.py INSTANCES.json COUNTS.json N. Prints one JSON line."""
import json, os, sys, time
from collections import defaultdict
import numpy as np

path, counts_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.perf_counter()
cpu = time.process_time()
with open(path) as f:
    dataset = json.load(f)
anns, cats, imgs = {}, {}, {}
img_to_anns, cat_to_imgs = defaultdict(list), defaultdict(list)
for ann in dataset["annotations"]:
    img_to_anns[ann["image_id"]].append(ann)
    anns[ann["id"]] = ann
for img in dataset["images"]:
    imgs[img["id"]] = img
for cat in dataset["categories"]:
    cats[cat["id"]] = cat
for ann in dataset["annotations"]:
    cat_to_imgs[ann["category_id"]].append(ann["image_id"])
parse = time.perf_counter() - t
parse_cpu = time.process_time() - cpu

with open(counts_path) as f:
    c = json.load(f)
h, w = c["height"], c["width"]
counts = [np.asarray(x, dtype=np.int64) for x in c["counts"]]
values = [np.arange(len(x)) % 2 for x in counts]
m = max(1000, n // 10)
t = time.perf_counter()
for i in range(m):
    k = i % len(counts)
    mask = np.repeat(values[k].astype(np.uint8), counts[k]).reshape((h, w), order="F")
decode = time.perf_counter() - t
print(json.dumps({"parse_mb_per_s": os.path.getsize(path) / 1e6 / parse,
                  "parse_mb_per_cpu_s": os.path.getsize(path) / 1e6 / parse_cpu, "decode_masks_per_s": m / decode,
                  "python": sys.version.split()[0], "numpy": np.__version__}))
