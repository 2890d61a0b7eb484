// The service worker (scope /app/): precaches the app shell and its assets so the app starts with no network
// after one online visit, and keeps the message catalogues for offline starts. API calls are never cached:
// the data lives in IndexedDB.
import { cleanupOutdatedCaches, precacheAndRoute } from "workbox-precaching";
import { registerRoute } from "workbox-routing";
import { StaleWhileRevalidate } from "workbox-strategies";

const CATALOGUES = "fieldops-catalogues";
const LANGUAGES = ["vi", "en"];

self.skipWaiting();
cleanupOutdatedCaches();
// The list of files and their revisions is written in by the build (build.mjs).
precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/.*/] });

registerRoute(({ url }) => url.pathname.startsWith("/app/catalogue/"), new StaleWhileRevalidate({ cacheName: CATALOGUES }));

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CATALOGUES).then((cache) => cache.addAll(LANGUAGES.map((lang) => `/app/catalogue/${lang}.json`))),
  );
});

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
