/* Apply a remembered 长辈版 (elder-friendly mode, gov-site-rules §5.2) before the page is painted,
   so returning visitors never see the standard layout flash first. The toggle itself is in site.js. */
(function () {
  "use strict";
  try {
    if (window.localStorage.getItem("govsite-elder-mode") === "on") {
      document.documentElement.classList.add("elder");
    }
  } catch (error) {
    /* Storage may be disabled (private mode, intranet policy): the standard layout is shown. */
  }
})();
