// Enrolment by QR code: the coordinator's page shows {"server": ..., "token": ...}; the phone reads it with its
// camera (or from a photo of the code) through jsQR. Loaded only when the user opens the scanner.
import jsQR from "jsqr";

function decodeCanvas(canvas) {
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  const code = jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
  return code ? code.data : null;
}

/** The enrolment in a QR text, or an Error saying what is wrong with it. */
export function parseEnrolment(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return new Error("not-enrolment");
  }
  if (!value || typeof value.server !== "string" || typeof value.token !== "string" || !value.token.startsWith("fo_")) {
    return new Error("not-enrolment");
  }
  return { server: value.server.replace(/\/$/, ""), token: value.token };
}

/** The text of the QR code in a picture file, or null. */
export async function decodeImage(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1200 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return decodeCanvas(canvas);
}

/** Read frames from the back camera into `video` until a QR code is found; returns a stop function. */
export async function scanCamera(video, onText) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  video.srcObject = stream;
  await video.play();
  const canvas = document.createElement("canvas");
  let stopped = false;
  const stop = () => {
    stopped = true;
    for (const track of stream.getTracks()) track.stop();
  };
  const tick = () => {
    if (stopped) return;
    if (video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      const text = decodeCanvas(canvas);
      if (text) {
        stop();
        onText(text);
        return;
      }
    }
    setTimeout(tick, 250);
  };
  tick();
  return stop;
}
