"""OpenCV grabCut on the same GTSRB images, for `masks evaluate --peer grabcut` and the `segmenter` benchmark.

Usage: grabcut_peer.py LIST_FILE ITERATIONS [SIZE]
LIST_FILE holds one image per line: path;x1;y1;x2;y2[;true_mask_png] (ROI corners inclusive, as in GTSRB's CSV).
Each image is segmented by cv2.grabCut initialised with the ROI rectangle, on one thread; a mask is the definite
and probable foreground. Prints one JSON line: masks per second (grabCut calls only), the ROI figures with the same
definitions as Maskbench.Masks.MaskQuality, and the IoU per image (null where no true mask was given).
With SIZE, every image (and its ROI and true mask) is first resized to SIZE x SIZE, as the issue's reference
measurement did on 32 x 32 GTSRB.
"""
import json
import sys
import time

import cv2
import numpy as np


def main():
    list_file, iterations = sys.argv[1], int(sys.argv[2])
    size = int(sys.argv[3]) if len(sys.argv) > 3 else None
    cv2.setNumThreads(1)
    items = []
    with open(list_file, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split(";")
            if len(parts) < 5:
                continue
            image = cv2.imread(parts[0], cv2.IMREAD_COLOR)
            if image is None:
                raise SystemExit(f"cannot read {parts[0]}")
            truth = None
            if len(parts) > 5 and parts[5]:
                t = cv2.imread(parts[5], cv2.IMREAD_UNCHANGED)
                if t.ndim == 3:
                    t = t.max(axis=2)
                truth = t >= (1 if t.max() <= 1 else 128)
            roi = tuple(int(v) for v in parts[1:5])
            if size:
                h, w = image.shape[:2]
                sx, sy = size / w, size / h
                image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
                roi = (int(roi[0] * sx), int(roi[1] * sy), min(size - 1, int((roi[2] + 1) * sx) - 1), min(size - 1, int((roi[3] + 1) * sy) - 1))
                if truth is not None:
                    truth = cv2.resize(truth.astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST) > 0
            items.append((image, roi, truth))

    masks = []
    seconds = 0.0
    for image, (x1, y1, x2, y2), _ in items:
        mask = np.zeros(image.shape[:2], np.uint8)
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        start = time.perf_counter()
        try:
            cv2.grabCut(image, mask, (x1, y1, x2 - x1 + 1, y2 - y1 + 1), bgd, fgd, iterations, cv2.GC_INIT_WITH_RECT)
        except cv2.error:
            mask[:] = 0  # grabCut refuses some rectangles (for example one covering the whole image): an empty mask
        seconds += time.perf_counter() - start
        masks.append((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD))

    empty, inside_sum, covered_sum, ious = 0, 0.0, 0.0, []
    for (image, (x1, y1, x2, y2), truth), m in zip(items, masks):
        total = int(m.sum())
        inside = int(m[y1:y2 + 1, x1:x2 + 1].sum())
        covered_sum += inside / ((x2 - x1 + 1) * (y2 - y1 + 1))
        if total == 0:
            empty += 1
        else:
            inside_sum += inside / total
        if truth is None:
            ious.append(None)
        else:
            union = int((m | truth).sum())
            ious.append(1.0 if union == 0 else int((m & truth).sum()) / union)
    n = len(items)
    print(json.dumps({
        "count": n,
        "seconds": seconds,
        "masks_per_second": n / seconds if seconds > 0 else None,
        "empty_share": empty / n if n else None,
        "inside_share": inside_sum / (n - empty) if n > empty else None,
        "covered_share": covered_sum / n if n else None,
        "iou": ious,
        "opencv": cv2.__version__,
    }))


if __name__ == "__main__":
    main()
