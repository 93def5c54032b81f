/* Public site behaviour. No framework and ES5 syntax, so that older browsers on government
   intranets keep working; everything here is an enhancement and the pages work without it.

   - 长辈版 / 关怀模式 (gov-site-rules §5.2): a keyboard-operable toggle that adds the `elder` class
     to <html> (larger text, high contrast, large cursor, simpler layout), remembered in localStorage.
   - Leaving notice (指引 §1.4): a link to another host goes through /leaving/?to=… first.
   - 朗读本页 (voice reading, §5.2), where the browser has speech synthesis.
   - 打印本页 and the “返回” link of notice pages. */
(function () {
  "use strict";

  var ELDER_KEY = "govsite-elder-mode";
  var LEAVING_PATH = "/leaving/";
  var root = document.documentElement;
  var liveRegion = null;

  function each(list, fn) {
    for (var i = 0; i < list.length; i++) {
      fn(list[i]);
    }
  }

  function announce(message) {
    if (!liveRegion) {
      liveRegion = document.createElement("div");
      liveRegion.className = "visually-hidden";
      liveRegion.setAttribute("aria-live", "polite");
      document.body.appendChild(liveRegion);
    }
    liveRegion.textContent = "";
    window.setTimeout(function () { liveRegion.textContent = message; }, 50);
  }

  /* --- 长辈版 ------------------------------------------------------------------------------- */

  function elderButtons() {
    return document.querySelectorAll('[data-action="elder-mode"]');
  }

  function showElderState(on) {
    each(elderButtons(), function (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  function setElderMode(on) {
    if (on) {
      root.classList.add("elder");
    } else {
      root.classList.remove("elder");
    }
    showElderState(on);
    try {
      window.localStorage.setItem(ELDER_KEY, on ? "on" : "off");
    } catch (error) {
      /* Not remembered, but still applied to this page. */
    }
    announce(on ? "已切换到长辈版" : "已切换到标准版");
  }

  function setUpElderMode() {
    showElderState(root.classList.contains("elder"));
    each(elderButtons(), function (button) {
      button.addEventListener("click", function () {
        setElderMode(!root.classList.contains("elder"));
      });
    });
  }

  /* --- links that leave the site ------------------------------------------------------------ */

  function siteHosts() {
    var hosts = [window.location.host.toLowerCase(), window.location.hostname.toLowerCase()];
    var domain = document.querySelector('meta[name="SiteDomain"]');
    if (domain && domain.content) {
      hosts.push(domain.content.toLowerCase());
    }
    return hosts;
  }

  function leavesSite(link, hosts) {
    if (!link.href || link.hasAttribute("data-leaving") || link.hasAttribute("download")) {
      return false;
    }
    if (link.protocol !== "http:" && link.protocol !== "https:") {
      return false;
    }
    return hosts.indexOf(link.host.toLowerCase()) === -1 && hosts.indexOf(link.hostname.toLowerCase()) === -1;
  }

  function leavingUrl(href) {
    return LEAVING_PATH + "?to=" + encodeURIComponent(href);
  }

  function routeExternalLinks(scope, hosts) {
    each(scope.querySelectorAll("a[href]"), function (link) {
      if (leavesSite(link, hosts)) {
        link.href = leavingUrl(link.href);
        link.setAttribute("data-leaving", "routed");
      }
    });
  }

  function setUpLeavingNotice() {
    var hosts = siteHosts();
    routeExternalLinks(document, hosts);
    /* Links added to the page later are caught when clicked. */
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href]") : null;
      if (!link || event.defaultPrevented || !leavesSite(link, hosts)) {
        return;
      }
      event.preventDefault();
      window.location.href = leavingUrl(link.href);
    });
  }

  /* --- 朗读本页 ------------------------------------------------------------------------------ */

  function readableChunks(text) {
    var chunks = [];
    each(text.replace(/\s+/g, " ").match(/[^。！？；!?;]+[。！？；!?;]*/g) || [], function (sentence) {
      sentence = sentence.trim();
      while (sentence.length > 160) {
        chunks.push(sentence.slice(0, 160));
        sentence = sentence.slice(160);
      }
      if (sentence) {
        chunks.push(sentence);
      }
    });
    return chunks;
  }

  function setUpReadAloud() {
    if (!("speechSynthesis" in window) || typeof window.SpeechSynthesisUtterance !== "function") {
      return;
    }
    var synth = window.speechSynthesis;
    each(document.querySelectorAll('[data-action="read-aloud"]'), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        if (button.getAttribute("aria-pressed") === "true") {
          synth.cancel();
          button.setAttribute("aria-pressed", "false");
          return;
        }
        var main = document.getElementById("main");
        var chunks = readableChunks(main ? main.innerText || main.textContent : "");
        if (!chunks.length) {
          return;
        }
        synth.cancel();
        button.setAttribute("aria-pressed", "true");
        for (var i = 0; i < chunks.length; i++) {
          var utterance = new window.SpeechSynthesisUtterance(chunks[i]);
          utterance.lang = "zh-CN";
          if (i === chunks.length - 1) {
            utterance.onend = function () { button.setAttribute("aria-pressed", "false"); };
          }
          synth.speak(utterance);
        }
      });
    });
  }

  /* --- print and back ------------------------------------------------------------------------ */

  function setUpPageTools() {
    each(document.querySelectorAll('[data-action="print"]'), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    each(document.querySelectorAll('a[data-action="back"]'), function (link) {
      link.addEventListener("click", function (event) {
        var fromThisSite = document.referrer && document.referrer.indexOf(window.location.origin + "/") === 0;
        if (fromThisSite && window.history.length > 1) {
          event.preventDefault();
          window.history.back();
        }
      });
    });
  }

  function start() {
    setUpElderMode();
    setUpLeavingNotice();
    setUpReadAloud();
    setUpPageTools();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
