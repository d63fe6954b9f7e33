import sharp from 'sharp';
import { inNotebook, showHtml, escapeHtml } from './display';

/** Shows an image file in the notebook, scaled up without smoothing so small digits stay crisp. */
export async function showImage(path: string, width = 112, caption = ''): Promise<void> {
  if (!inNotebook()) {
    console.log(`[image: ${path}]`);
    return;
  }
  const png = await sharp(path).png().toBuffer();
  showHtml(
    `<figure style="margin:0"><img src="data:image/png;base64,${png.toString('base64')}" width="${width}" ` +
      `style="image-rendering:pixelated;border:1px solid #ccc" alt="${escapeHtml(path)}">` +
      (caption ? `<figcaption>${escapeHtml(caption)}</figcaption>` : '') +
      `</figure>`,
  );
}
