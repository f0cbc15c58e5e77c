import type { GreyImage } from './tiff.ts';
import {
  autoWindow,
  histogram,
  renderDifference,
  renderWindowed,
  windowLut,
  type DisplayWindow,
} from './window-level.ts';
import { fitView, imagePointAt, panBy, splitFraction, zoomAt, type ViewTransform } from './view.ts';

/** Not a grey, so the image's extent on a canvas can be told from the background. */
const BACKGROUND = '#0b0d12';

export type ViewMode = 'side' | 'split' | 'difference';

interface Layer {
  image: GreyImage;
  bitmap: HTMLCanvasElement;
}

export interface ViewerElements {
  stage: HTMLElement;
  input: HTMLCanvasElement;
  output: HTMLCanvasElement;
  split: HTMLCanvasElement;
  difference: HTMLCanvasElement;
  divider: HTMLElement;
}

/**
 * Draws the input and the result with one shared zoom/pan and one display window, in three modes:
 * side by side, split with a draggable divider, and the difference.
 */
export class Viewer {
  private input?: Layer;
  private output?: Layer;
  private differenceBitmap?: HTMLCanvasElement;
  private view?: ViewTransform;
  /** Canvas size the view was last drawn at. */
  private viewSize?: { width: number; height: number };
  private mode: ViewMode = 'side';
  private split = 0.5;
  win: DisplayWindow = { low: 0, high: 65535 };
  onWindowChange: (win: DisplayWindow) => void = () => {};
  onPointer: (text: string) => void = () => {};

  constructor(private readonly el: ViewerElements) {
    for (const canvas of [el.input, el.output, el.split, el.difference]) this.bindPanZoom(canvas);
    this.bindDivider();
    new ResizeObserver(() => this.draw()).observe(el.stage);
  }

  get splitPosition(): number {
    return this.split;
  }

  setInput(image: GreyImage): void {
    this.input = { image, bitmap: document.createElement('canvas') };
    this.output = undefined;
    this.differenceBitmap = undefined;
    this.view = undefined;
    this.autoWindow();
  }

  setOutput(image: GreyImage): void {
    if (!this.input) throw new Error('no input image');
    if (image.width !== this.input.image.width || image.height !== this.input.image.height) {
      throw new Error(
        `the result is ${image.width}×${image.height} but the input is ${this.input.image.width}×${this.input.image.height}`,
      );
    }
    this.output = { image, bitmap: document.createElement('canvas') };
    this.renderLayer(this.output);
    this.differenceBitmap = undefined;
    this.draw();
  }

  setMode(mode: ViewMode): void {
    this.mode = mode;
    this.el.stage.dataset.mode = mode;
    this.draw();
  }

  /** Window from the input's histogram percentiles. */
  autoWindow(): void {
    if (!this.input) return;
    const { data, bitsPerSample } = this.input.image;
    this.setWindow(autoWindow(histogram(data, bitsPerSample), data.length));
  }

  setWindow(win: DisplayWindow): void {
    this.win = win;
    if (this.input) this.renderLayer(this.input);
    if (this.output) this.renderLayer(this.output);
    this.onWindowChange(win);
    this.draw();
  }

  fit(): void {
    this.view = undefined;
    this.draw();
  }

  private renderLayer(layer: Layer): void {
    const { width, height, data, bitsPerSample } = layer.image;
    layer.bitmap.width = width;
    layer.bitmap.height = height;
    const ctx = layer.bitmap.getContext('2d')!;
    const pixels = ctx.createImageData(width, height);
    renderWindowed(data, windowLut(bitsPerSample, this.win), pixels.data);
    ctx.putImageData(pixels, 0, 0);
  }

  private difference(): HTMLCanvasElement | undefined {
    if (!this.input || !this.output) return undefined;
    if (!this.differenceBitmap) {
      const { width, height } = this.input.image;
      const bitmap = document.createElement('canvas');
      bitmap.width = width;
      bitmap.height = height;
      const ctx = bitmap.getContext('2d')!;
      const pixels = ctx.createImageData(width, height);
      const range = renderDifference(this.input.image.data, this.output.image.data, pixels.data);
      ctx.putImageData(pixels, 0, 0);
      document.getElementById('difference-caption')!.textContent =
        `Denoised − input (black −${range}, white +${range} DN)`;
      this.differenceBitmap = bitmap;
    }
    return this.differenceBitmap;
  }

  draw(): void {
    const visible = this.visibleCanvases();
    for (const canvas of visible) {
      const w = Math.max(1, Math.round(canvas.clientWidth));
      const h = Math.max(1, Math.round(canvas.clientHeight));
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
    }
    if (!this.input || visible.length === 0) return;
    const ref = visible[0];
    if (!this.view || !this.viewSize) {
      this.view = fitView(this.input.image.width, this.input.image.height, ref.width, ref.height);
    } else if (this.viewSize.width !== ref.width || this.viewSize.height !== ref.height) {
      // Another mode or a resize: keep the same image point in the middle of the canvas.
      this.view = panBy(this.view, (ref.width - this.viewSize.width) / 2, (ref.height - this.viewSize.height) / 2);
    }
    this.viewSize = { width: ref.width, height: ref.height };
    if (this.mode === 'side') {
      this.paint(this.el.input, this.input.bitmap);
      this.paint(this.el.output, this.output?.bitmap);
    } else if (this.mode === 'difference') {
      this.paint(this.el.difference, this.difference());
    } else {
      const canvas = this.el.split;
      const cut = Math.round(canvas.width * this.split);
      this.paint(canvas, this.input.bitmap);
      if (this.output) {
        const ctx = canvas.getContext('2d')!;
        ctx.save();
        ctx.beginPath();
        ctx.rect(cut, 0, canvas.width - cut, canvas.height);
        ctx.clip();
        this.paint(canvas, this.output.bitmap, false);
        ctx.restore();
      }
      this.el.divider.style.left = `${this.split * 100}%`;
    }
  }

  private paint(canvas: HTMLCanvasElement, bitmap: HTMLCanvasElement | undefined, clear = true): void {
    const ctx = canvas.getContext('2d')!;
    if (clear) {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = BACKGROUND;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
    }
    if (!bitmap || !this.view) return;
    const v = this.view;
    ctx.imageSmoothingEnabled = v.scale < 1;
    ctx.setTransform(v.scale, 0, 0, v.scale, v.x, v.y);
    ctx.drawImage(bitmap, 0, 0);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
  }

  private visibleCanvases(): HTMLCanvasElement[] {
    if (this.mode === 'side') return [this.el.input, this.el.output];
    return [this.mode === 'split' ? this.el.split : this.el.difference];
  }

  private bindPanZoom(canvas: HTMLCanvasElement): void {
    let last: { x: number; y: number } | undefined;
    canvas.addEventListener('pointerdown', (e) => {
      last = { x: e.clientX, y: e.clientY };
      canvas.setPointerCapture(e.pointerId);
      canvas.classList.add('dragging');
    });
    canvas.addEventListener('pointermove', (e) => {
      if (last && this.view) {
        this.view = panBy(this.view, e.clientX - last.x, e.clientY - last.y);
        last = { x: e.clientX, y: e.clientY };
        this.draw();
      }
      this.reportPixel(canvas, e);
    });
    const end = () => {
      last = undefined;
      canvas.classList.remove('dragging');
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener(
      'wheel',
      (e) => {
        if (!this.view) return;
        e.preventDefault();
        const rect = canvas.getBoundingClientRect();
        this.view = zoomAt(this.view, Math.exp(-e.deltaY * 0.0015), e.clientX - rect.left, e.clientY - rect.top);
        this.draw();
      },
      { passive: false },
    );
  }

  private reportPixel(canvas: HTMLCanvasElement, e: PointerEvent): void {
    if (!this.input || !this.view) return;
    const rect = canvas.getBoundingClientRect();
    const { width, height, data } = this.input.image;
    const p = imagePointAt(this.view, e.clientX - rect.left, e.clientY - rect.top, width, height);
    if (!p) return this.onPointer('');
    const i = p.y * width + p.x;
    const out = this.output ? `  denoised ${this.output.image.data[i]}` : '';
    this.onPointer(`(${p.x}, ${p.y})  input ${data[i]}${out}`);
  }

  private bindDivider(): void {
    const divider = this.el.divider;
    let dragging = false;
    divider.addEventListener('pointerdown', (e) => {
      dragging = true;
      divider.setPointerCapture(e.pointerId);
      e.stopPropagation();
    });
    divider.addEventListener('pointermove', (e) => {
      if (!dragging) return;
      const rect = this.el.split.getBoundingClientRect();
      this.split = splitFraction(e.clientX, rect.left, rect.width);
      this.draw();
    });
    const end = () => (dragging = false);
    divider.addEventListener('pointerup', end);
    divider.addEventListener('pointercancel', end);
    divider.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowLeft' ? -0.02 : e.key === 'ArrowRight' ? 0.02 : 0;
      if (!step) return;
      this.split = Math.min(1, Math.max(0, this.split + step));
      this.draw();
    });
  }
}
