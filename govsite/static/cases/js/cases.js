/* The public case forms (issue 6): "换一张" for the captcha, and knowledge-base answers beside the
   mailbox form while the citizen types (Art. 10). ES5, no framework, no inline script (the
   Content-Security-Policy allows only this site's files); without it every form still works. */
(function () {
  "use strict";

  var SUGGEST_URL = "/hudong/zhishiku/suggest/";
  var CAPTCHA_URL = "/hudong/captcha/new/";
  var DELAY_MS = 400;
  var MAX_CHARS = 100;
  var MIN_CHARS = 2;

  function getJSON(url, done) {
    var request = new XMLHttpRequest();
    request.open("GET", url);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      if (request.status !== 200) {
        return;
      }
      try {
        done(JSON.parse(request.responseText));
      } catch (error) {
        /* not JSON: leave the page as it is */
      }
    };
    request.send();
  }

  /* --- captcha ---------------------------------------------------------------------------- */

  function Captcha(box) {
    var self = this;
    self.token = box.querySelector("[data-captcha-token]");
    self.image = box.querySelector("[data-captcha-image]");
    self.audio = box.querySelector("[data-captcha-audio]");
    self.link = box.querySelector("[data-captcha-audio-link]");
    self.answer = box.querySelector("input[name=captcha_answer]");
    self.button = box.querySelector("[data-captcha-refresh]");
    if (!self.button) {
      return;
    }
    self.button.hidden = false;
    self.button.addEventListener("click", function () { self.refresh(); });
  }

  Captcha.prototype.refresh = function () {
    var self = this;
    getJSON(CAPTCHA_URL, function (data) {
      if (!data || !data.token) {
        return;
      }
      self.token.value = data.token;
      self.image.src = data.image;
      if (self.audio) {
        self.audio.pause();
        self.audio.src = data.audio;
      }
      if (self.link) {
        self.link.href = data.audio;
      }
      if (self.answer) {
        self.answer.value = "";
        self.answer.focus();
      }
    });
  };

  /* --- knowledge suggestions -------------------------------------------------------------- */

  function Suggestions(form, panel) {
    var self = this;
    self.form = form;
    self.list = panel.querySelector("[data-knowledge-list]");
    self.subject = form.querySelector("input[name=subject]");
    self.body = form.querySelector("textarea[name=body]");
    self.asked = form.querySelector("[data-knowledge-suggested]");
    self.shown = {};
    self.timer = null;
    self.sequence = 0;
    self.last = "";
    var fields = [self.subject, self.body];
    for (var i = 0; i < fields.length; i++) {
      if (fields[i]) {
        fields[i].addEventListener("input", function () { self.schedule(); });
      }
    }
  }

  Suggestions.prototype.question = function () {
    var subject = this.subject ? this.subject.value : "";
    var body = this.body ? this.body.value : "";
    var text = (subject + " " + body.slice(0, MAX_CHARS)).replace(/\s+/g, " ");
    return text.replace(/^\s+|\s+$/g, "").slice(0, MAX_CHARS);
  };

  Suggestions.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(self.timer);
    self.timer = window.setTimeout(function () { self.fetch(); }, DELAY_MS);
  };

  Suggestions.prototype.fetch = function () {
    var self = this;
    var query = self.question();
    if (query.length < MIN_CHARS || query === self.last) {
      return;
    }
    self.last = query;
    var sequence = ++self.sequence;
    getJSON(SUGGEST_URL + "?q=" + encodeURIComponent(query), function (items) {
      if (sequence === self.sequence && Object.prototype.toString.call(items) === "[object Array]") {
        self.show(items);
      }
    });
  };

  Suggestions.prototype.show = function (items) {
    while (this.list.firstChild) {
      this.list.removeChild(this.list.firstChild);
    }
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      var entry = document.createElement("li");
      var link = document.createElement("a");
      link.href = String(item.url);
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = String(item.question) + "（新窗口）";
      entry.appendChild(link);
      if (item.topic) {
        var topic = document.createElement("span");
        topic.className = "meta";
        topic.textContent = " " + String(item.topic);
        entry.appendChild(topic);
      }
      this.list.appendChild(entry);
      if (typeof item.id === "number") {
        this.shown[item.id] = true;
      }
    }
    if (this.asked) {
      var ids = [];
      for (var id in this.shown) {
        if (Object.prototype.hasOwnProperty.call(this.shown, id)) {
          ids.push(id);
        }
      }
      this.asked.value = ids.slice(0, 10).join(",");
    }
  };

  function start() {
    var boxes = document.querySelectorAll("[data-captcha]");
    for (var i = 0; i < boxes.length; i++) {
      new Captcha(boxes[i]); // eslint-disable-line no-new
    }
    var form = document.querySelector("[data-knowledge-form]");
    var panel = document.querySelector(".cases-knowledge");
    if (form && panel) {
      new Suggestions(form, panel); // eslint-disable-line no-new
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
