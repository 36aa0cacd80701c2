"""OpenCV reference for `image-decode`: the same files as the C# entry, on one thread.
Usage: image_decode_reference.py PPM_LIST JPEG_LIST REPS. Lists hold one path per line.
Prints one JSON line: PPM and JPEG decode rates."""
import json, sys, time
import cv2

ppm_list, jpeg_list, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
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


print(json.dumps({
    "ppm_images_per_s": len(ppms) / ppm_s,
    "ppm_mb_per_s": ppm_bytes / 1e6 / ppm_s,
    "jpeg_images_per_s": len(jpegs) / jpeg_s,
    "opencv": cv2.__version__,
}))
