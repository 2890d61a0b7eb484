// Photos are downscaled on the phone before they wait in the outbox: the longer side at most `maxSide` pixels
// (1600 by default, a setting), JPEG. A 12-megapixel photo of 4 MB becomes about 300 KB.
export const DEFAULT_MAX_SIDE = 1600;
export const JPEG_QUALITY = 0.82;

export function scaledSize(width, height, maxSide = DEFAULT_MAX_SIDE) {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export async function downscale(file, maxSide = DEFAULT_MAX_SIDE) {
  const bitmap = await createImageBitmap(file);
  const { width, height } = scaledSize(bitmap.width, bitmap.height, maxSide);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("JPEG encoding failed"))), "image/jpeg", JPEG_QUALITY),
  );
}
