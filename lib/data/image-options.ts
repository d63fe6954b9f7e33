import type { ImageTensorOptions } from './image';

/** loadImageTensor's options with their defaults, checked the same way in Node and in a browser. */
export function resolveImageTensorOptions(options: ImageTensorOptions): Required<ImageTensorOptions> {
  const { height, width, channels = 1, scale = true, fit = 'fill' } = options;
  for (const [name, value] of [
    ['height', height],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`loadImageTensor: ${name} must be a positive integer (got ${value}).`);
  }
  if (channels !== 1 && channels !== 3) throw new Error(`loadImageTensor: channels must be 1 or 3 (got ${channels}).`);
  return { height, width, channels, scale, fit };
}
