/* Search suggestions (Art. 21): the header search box (#site-search-q) and the search page's box
   ([data-suggest]) become an ARIA 1.2 combobox with a list of suggestions from /search/suggest/.

   Typing asks for suggestions after a short pause (by characters, pinyin or initials); ArrowDown /
   ArrowUp move through the list, Enter searches for the highlighted word, Escape closes the list
   (a second Escape clears the box, as for any search box). ES5, no framework, no inline script
   (the Content-Security-Policy allows only this site's files); without it the boxes work as before. */
(function () {
  "use strict";

  var SUGGEST_URL = "/search/suggest/";
  var DELAY_MS = 200;
  var MAX_CHARS = 40;
  var statusRegion = null;

  function announce(message) {
    if (!statusRegion) {
      statusRegion = document.createElement("div");
      statusRegion.className = "visually-hidden";
      statusRegion.setAttribute("role", "status");
      statusRegion.setAttribute("aria-live", "polite");
      document.body.appendChild(statusRegion);
    }
    statusRegion.textContent = message;
  }

  function Combobox(input, index) {
    this.input = input;
    this.form = input.form;
    this.timer = null;
    this.sequence = 0;
    this.active = -1;
    this.words = [];
    this.typed = "";
    this.list = document.createElement("ul");
    this.list.id = (input.id || "search-box-" + index) + "-suggestions";
    this.list.className = "search-suggestions";
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", "搜索建议");
    this.list.hidden = true;
    input.parentNode.insertBefore(this.list, input.nextSibling);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.list.id);
    if (input.parentNode.className.indexOf("search-suggest-host") === -1) {
      input.parentNode.className += " search-suggest-host";
    }
    this.bind();
  }

  Combobox.prototype.bind = function () {
    var self = this;
    self.input.addEventListener("input", function () { self.schedule(); });
    self.input.addEventListener("keydown", function (event) { self.onKey(event); });
    self.input.addEventListener("blur", function () {
      window.setTimeout(function () { self.close(); }, 150);
    });
    /* mousedown, not click: it comes before the input loses focus. */
    self.list.addEventListener("mousedown", function (event) {
      var option = event.target.closest ? event.target.closest('[role="option"]') : null;
      if (option) {
        event.preventDefault();
        self.choose(parseInt(option.getAttribute("data-index"), 10));
      }
    });
  };

  Combobox.prototype.schedule = function () {
    var self = this;
    window.clearTimeout(self.timer);
    self.typed = self.input.value;
    self.timer = window.setTimeout(function () { self.fetch(self.typed); }, DELAY_MS);
  };

  Combobox.prototype.fetch = function (value) {
    var self = this;
    var query = value.replace(/^\s+|\s+$/g, "").slice(0, MAX_CHARS);
    var sequence = ++self.sequence;
    if (!query) {
      self.close();
      return;
    }
    var request = new XMLHttpRequest();
    request.open("GET", SUGGEST_URL + "?q=" + encodeURIComponent(query));
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      if (sequence !== self.sequence || request.status !== 200) {
        return; /* an answer to an older question, or none: keep what is shown */
      }
      var words = [];
      try {
        words = JSON.parse(request.responseText);
      } catch (error) {
        words = [];
      }
      self.show(Object.prototype.toString.call(words) === "[object Array]" ? words : []);
    };
    request.send();
  };

  Combobox.prototype.show = function (words) {
    var self = this;
    self.words = words;
    self.active = -1;
    self.input.removeAttribute("aria-activedescendant");
    while (self.list.firstChild) {
      self.list.removeChild(self.list.firstChild);
    }
    if (!words.length || document.activeElement !== self.input) {
      self.close();
      return;
    }
    for (var i = 0; i < words.length; i++) {
      var option = document.createElement("li");
      option.id = self.list.id + "-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.setAttribute("data-index", String(i));
      option.textContent = String(words[i]);
      self.list.appendChild(option);
    }
    self.list.hidden = false;
    self.input.setAttribute("aria-expanded", "true");
    announce("有 " + words.length + " 条搜索建议，可用上下方向键选择");
  };

  Combobox.prototype.isOpen = function () {
    return !this.list.hidden;
  };

  Combobox.prototype.close = function () {
    this.list.hidden = true;
    this.active = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Combobox.prototype.highlight = function (index) {
    var options = this.list.children;
    for (var i = 0; i < options.length; i++) {
      options[i].setAttribute("aria-selected", i === index ? "true" : "false");
    }
    this.active = index;
    if (index >= 0) {
      this.input.setAttribute("aria-activedescendant", options[index].id);
      this.input.value = this.words[index];
    } else {
      this.input.removeAttribute("aria-activedescendant");
      this.input.value = this.typed;
    }
  };

  Combobox.prototype.move = function (step) {
    var count = this.words.length;
    if (!count) {
      return;
    }
    var next = this.active + step;
    if (next >= count) {
      next = -1;
    } else if (next < -1) {
      next = count - 1;
    }
    this.highlight(next);
  };

  Combobox.prototype.choose = function (index) {
    this.input.value = this.words[index];
    this.close();
    if (this.form) {
      if (typeof this.form.requestSubmit === "function") {
        this.form.requestSubmit();
      } else {
        this.form.submit();
      }
    }
  };

  Combobox.prototype.onKey = function (event) {
    var key = event.key;
    if (key === "ArrowDown" || key === "Down") {
      event.preventDefault();
      if (this.isOpen()) {
        this.move(1);
      } else {
        this.fetch(this.input.value);
      }
    } else if (key === "ArrowUp" || key === "Up") {
      if (this.isOpen()) {
        event.preventDefault();
        this.move(-1);
      }
    } else if (key === "Enter") {
      if (this.isOpen() && this.active >= 0) {
        event.preventDefault();
        this.choose(this.active);
      } else {
        this.close();
      }
    } else if (key === "Escape" || key === "Esc") {
      if (this.isOpen()) {
        event.preventDefault();
        this.highlight(-1);
        this.close();
      }
    } else if (key === "Tab") {
      this.close();
    }
  };

  function start() {
    var boxes = document.querySelectorAll("#site-search-q, input[data-suggest]");
    for (var i = 0; i < boxes.length; i++) {
      new Combobox(boxes[i], i); // eslint-disable-line no-new
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
