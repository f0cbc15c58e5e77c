# OpenCV non-local means (16-bit, NORM_L1) on raw uint16 images: the spec's reference denoiser,
# run on the bench's own phantom. Usage: nlm.py NOISY.raw CLEAN.raw SIZE H[,H...]
# Prints one JSON line: the best h, its PSNR (peak 65535) and its wall time in seconds.
import json, sys, time
import cv2
import numpy as np

noisy_file, clean_file, size, hs = sys.argv[1], sys.argv[2], int(sys.argv[3]), [float(h) for h in sys.argv[4].split(',')]
noisy = np.fromfile(noisy_file, dtype=np.uint16).reshape(size, size)
clean = np.fromfile(clean_file, dtype=np.uint16).reshape(size, size).astype(np.float64)
best = None
for h in hs:
    start = time.perf_counter()
    out = cv2.fastNlMeansDenoising(noisy, h=[h], templateWindowSize=7, searchWindowSize=21, normType=cv2.NORM_L1)
    seconds = time.perf_counter() - start
    psnr = 10 * np.log10(65535.0 ** 2 / np.mean((out.astype(np.float64) - clean) ** 2))
    if best is None or psnr > best['psnr']:
        best = {'h': h, 'psnr': float(psnr), 's': seconds}
print(json.dumps(best))
