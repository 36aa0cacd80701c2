"""OpenCV reference for `image-decode`: the same files and resizes as the C# entry, on one thread.
Usage: image_decode_reference.py PPM_LIST JPEG_LIST REPS RESIZE_ITERATIONS. Lists hold one path per line.
Prints one JSON line: PPM and JPEG decode rates and resize rates."""
import json, sys, time
import cv2

ppm_list, jpeg_list, reps, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
cv2.setNumThreads(1)
ppms = [l for l in open(ppm_list).read().split("\n") if l]
jpegs = [l for l in open(jpeg_list).read().split("\n") if l]
flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION


def best_pass(files):
    best, pixel_bytes = float("inf"), 0
    for _ in range(reps):
        t = time.perf_counter()
        pixel_bytes = 0
        for f in files:
            a = cv2.cvtColor(cv2.imread(f, flags), cv2.COLOR_BGR2RGB)  # our decoders return RGB
            pixel_bytes += a.nbytes
        best = min(best, time.perf_counter() - t)
    return best, pixel_bytes


ppm_s, ppm_bytes = best_pass(ppms)
jpeg_s, _ = best_pass(jpegs)


def rate(image, size, interpolation, count):
    """Best of five timed batches of `count` resizes, in resizes per second (as the C# side measures)."""
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(count):
            cv2.resize(image, size, interpolation=interpolation)
        best = min(best, time.perf_counter() - t)
    return count / best


big = cv2.imread(jpegs[0], flags)
small = cv2.imread(ppms[0], flags)
tiny = cv2.resize(small, (32, 32), interpolation=cv2.INTER_AREA)
print(json.dumps({
    "ppm_images_per_s": len(ppms) / ppm_s,
    "ppm_mb_per_s": ppm_bytes / 1e6 / ppm_s,
    "jpeg_images_per_s": len(jpegs) / jpeg_s,
    "resize_area_224_per_s": rate(big, (224, 224), cv2.INTER_AREA, max(1, iterations // 10)),
    "resize_area_32_per_s": rate(small, (32, 32), cv2.INTER_AREA, iterations),
    "resize_linear_64_per_s": rate(tiny, (64, 64), cv2.INTER_LINEAR, iterations),
    "opencv": cv2.__version__,
}))
