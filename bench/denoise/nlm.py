# OpenCV non-local means (16-bit, NORM_L1) on raw uint16 images: the spec's reference denoiser,
# run on the bench's own phantom. One long-lived process: prints {"ready": true} once cv2 is loaded
# (exits 1 without it), then answers each request line {"noisy": FILE, "clean": FILE, "size": N, "hs": [H, ...]}
# with one JSON line: the best h, its PSNR (peak 65535) and its wall time in seconds.
import json, sys, time

try:
    import cv2
    import numpy as np
except ImportError:
    sys.exit(1)

print(json.dumps({'ready': True}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    size = request['size']
    noisy = np.fromfile(request['noisy'], dtype=np.uint16).reshape(size, size)
    clean = np.fromfile(request['clean'], dtype=np.uint16).reshape(size, size).astype(np.float64)
    best = None
    for h in request['hs']:
        start = time.perf_counter()
        out = cv2.fastNlMeansDenoising(noisy, h=[h], templateWindowSize=7, searchWindowSize=21, normType=cv2.NORM_L1)
        seconds = time.perf_counter() - start
        psnr = 10 * np.log10(65535.0 ** 2 / np.mean((out.astype(np.float64) - clean) ** 2))
        if best is None or psnr > best['psnr']:
            best = {'h': h, 'psnr': float(psnr), 's': seconds}
    print(json.dumps(best), flush=True)
