/**
 * The shared zoom and pan of every canvas: a canvas pixel (cx, cy) shows image pixel
 * ((cx − x) / scale, (cy − y) / scale).
 */
export interface ViewTransform {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 1 / 64;
export const MAX_SCALE = 64;

/** Whole image centred in the canvas. */
export function fitView(
  imageWidth: number,
  imageHeight: number,
  canvasWidth: number,
  canvasHeight: number,
): ViewTransform {
  const scale = clamp(Math.min(canvasWidth / imageWidth, canvasHeight / imageHeight), MIN_SCALE, MAX_SCALE);
  return { scale, x: (canvasWidth - imageWidth * scale) / 2, y: (canvasHeight - imageHeight * scale) / 2 };
}

/** Zooms by `factor` keeping the image point under canvas point (cx, cy) where it is. */
export function zoomAt(view: ViewTransform, factor: number, cx: number, cy: number): ViewTransform {
  const scale = clamp(view.scale * factor, MIN_SCALE, MAX_SCALE);
  const k = scale / view.scale;
  return { scale, x: cx - (cx - view.x) * k, y: cy - (cy - view.y) * k };
}

export function panBy(view: ViewTransform, dx: number, dy: number): ViewTransform {
  return { scale: view.scale, x: view.x + dx, y: view.y + dy };
}

/** The image pixel under canvas point (cx, cy), or undefined outside the image. */
export function imagePointAt(
  view: ViewTransform,
  cx: number,
  cy: number,
  width: number,
  height: number,
): { x: number; y: number } | undefined {
  const x = Math.floor((cx - view.x) / view.scale);
  const y = Math.floor((cy - view.y) / view.scale);
  return x >= 0 && y >= 0 && x < width && y < height ? { x, y } : undefined;
}

/** Divider position as a fraction of the canvas width from a pointer x, kept inside [0, 1]. */
export function splitFraction(pointerX: number, canvasLeft: number, canvasWidth: number): number {
  if (canvasWidth <= 0) return 0.5;
  return clamp((pointerX - canvasLeft) / canvasWidth, 0, 1);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
