import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type sharpFunction from 'sharp';
import { readHead, unreadableImageError } from '../data/image';
import { imageFigureHtml, inNotebook, showHtml } from './display';

/**
 * Shows an image file in the notebook, scaled up without smoothing so small digits stay crisp.
 * The file is decoded headless too, so a missing or unreadable file fails the same way everywhere.
 */
export async function showImage(path: string, width = 112, caption = ''): Promise<void> {
  const absolute = resolve(path);
  if (!existsSync(absolute))
    throw new Error(`Image not found: ${absolute} (from "${path}", relative to ${process.cwd()}).`);
  let png: Buffer;
  try {
    // Loaded here, not at import: importing bn-lab should not load sharp's native library.
    const sharp = require('sharp') as typeof sharpFunction;
    png = await sharp(absolute).png().toBuffer();
  } catch (err) {
    throw unreadableImageError(absolute, err as Error, await readHead(absolute));
  }
  if (!inNotebook()) {
    console.log(`[image: ${path}]`);
    return;
  }
  showHtml(imageFigureHtml(`data:image/png;base64,${png.toString('base64')}`, width, path, caption));
}
