// Small enhancements; every page works without them.
// 1. After a failed submit, focus moves to the error summary (it also has autofocus).
// 2. Copy buttons beside feed addresses (hidden until this script shows them).
// 3. The week grid and the phone day view move with the arrow keys (one Tab stop each).
// 4. A page that answers a search or an action taken from one marks where its answer starts
//    (data-focus-first: the results' heading, or the outcome above them): the focus goes there, its top
//    at the top of the window, so the results are in view and one Tab away (on a phone they were below
//    the fold, behind the page's other fields). Never from a field the person is already in, nor from
//    an error summary, nor when the page answers an action with a message (a flash other than a search's
//    note, class "info", and other than the marked answer itself, e.g. a refusal's alert): a walk-in counted or a message sent on a searched page keeps the search, but
//    what it said is at the top, where the page starts (door.js then readies the code field).
(function () {
  "use strict";
  // The address may end in a fragment (the grid's links end in #main, and a form without an
  // action posts back to it): the browser's jump to that fragment happens after this script and
  // would take the focus. So the fragment is dropped from the address, and the focus is put back
  // on the summary once the page has loaded if it is still on the body or the fragment's target.
  var summary = document.getElementById("error-summary");
  if (summary) {
    var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    if (window.location.hash && window.history && window.history.replaceState) {
      window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
    }
    var toSummary = function () {
      var active = document.activeElement;
      if (active !== summary && (!active || active === document.body || active === target)) {
        summary.focus();
      }
    };
    if (document.activeElement !== summary) {
      summary.focus();
    }
    window.addEventListener("load", toSummary);
    window.addEventListener("pageshow", toSummary);
    window.setTimeout(toSummary, 0);
  }
  var first = document.querySelector("[data-focus-first]");
  var here = document.activeElement;
  // The page's own answer may itself be a flash (a refused registration's role=alert, class
  // "flash error registration-closed"): that one is where the focus goes, not a message that
  // keeps the start. Only a flash other than the marked answer (and not around it) counts.
  var acted = Array.prototype.some.call(document.querySelectorAll("main .flash:not(.info)"), function (flash) {
    return !first || (flash !== first && !flash.contains(first) && !first.contains(flash));
  });
  if (first && !summary && !acted && (!here || here === document.body)) {
    first.focus({preventScroll: true});
    first.scrollIntoView({block: "start"});
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var done = document.getElementById(button.getAttribute("data-copy") + "-copied");
    if (!field || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (done) {
          done.hidden = false;
        }
      }, function () {
        field.select();
      });
    });
  });
}());

// Keyboard use of the availability grid (WCAG 2.1.1, issue 16): a roving tabindex, so the grid
// is one Tab stop and the arrow keys move inside it (ARIA Authoring Practices, "Grid" and
// "Keyboard Navigation Inside Components").
//   week table:  ←/→ previous/next day, ↑/↓ previous/next time, Home/End first/last day,
//                Ctrl+Home/End first/last cell;
//   day view:    ←/→ previous/next free time, ↑/↓ previous/next day (nearest time), Home/End
//                first/last time of the day;
//   both:        digits jump to a time (1, 4 → 14:00), PageUp/PageDown the seven days before/after
//                (focus comes back on the same weekday and time: the days shown move by seven, or
//                back to today, so the column may differ), Enter follows a free time's link.
// The links to the form end in #main, so after the page loads the first Tab reaches its first field.
(function () {
  "use strict";
  var STORE = "grid-focus";
  var TYPE_AHEAD_MS = 1000;

  function startOf(element) {
    var start = element.getAttribute("data-start");
    if (start) {
      return start;
    }
    var link = element.tagName === "A" ? element : element.querySelector("a");
    if (!link) {
      return "";
    }
    return new URL(link.href, location.href).searchParams.get("start") || "";
  }

  function timeOf(element) {
    return startOf(element).slice(11, 16);
  }

  function matchesTyped(time, typed) {
    var digits = time.replace(":", "");
    return digits.indexOf(typed) === 0 || digits.replace(/^0/, "").indexOf(typed) === 0;
  }

  function weekdayOf(isoDay) {
    return isoDay ? new Date(isoDay + "T00:00:00Z").getUTCDay() : -1;
  }

  // Where the focus was, as a weekday and a time: the next page finds the same place in its days.
  function remember(view, where) {
    try {
      sessionStorage.setItem(STORE, JSON.stringify({path: location.pathname, view: view,
                                                    weekday: weekdayOf(where.day), time: where.time}));
    } catch (ignored) {
      // storage off: the new week starts on its first free time
    }
  }

  // PageUp/PageDown: the seven days before/after, remembering the place (`where()`: {day, time}).
  function pageKey(event, view, where) {
    var key = event.key;
    if ((key !== "PageDown" && key !== "PageUp") || event.ctrlKey || event.altKey || event.metaKey) {
      return false;  // Ctrl+PageDown: the browser's next tab
    }
    var link = weekLink(key === "PageDown" ? "next" : "prev");
    if (link) {
      event.preventDefault();
      remember(view, where());
      location.href = link.href;
    }
    return true;
  }

  // The index of the first of `days` (ISO dates) on the weekday remembered, or -1.
  function sameWeekday(days, saved) {
    for (var n = 0; n < days.length; n += 1) {
      if (weekdayOf(days[n]) === saved.weekday) {
        return n;
      }
    }
    return -1;
  }

  function recalled() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORE) || "null");
      sessionStorage.removeItem(STORE);
      return saved && saved.path === location.pathname ? saved : null;
    } catch (ignored) {
      return null;
    }
  }

  function weekLink(rel) {
    return document.querySelector("nav.weeks a[rel=" + rel + "]");
  }

  // A grid of targets: rows of focusable elements (a row may be empty in the day view).
  function Roving(rows, view, onMove, where) {
    this.rows = rows;
    this.view = view;
    this.onMove = onMove;
    this.where = where;
    this.typed = "";
    this.typedAt = 0;
    this.row = 0;
    this.column = 0;
  }

  Roving.prototype.target = function (row, column) {
    return (this.rows[row] || [])[column] || null;
  };

  Roving.prototype.place = function (row, column, focus) {
    var old = this.target(this.row, this.column);
    var next = this.target(row, column);
    if (!next) {
      return;
    }
    if (old) {
      old.setAttribute("tabindex", "-1");
    }
    next.setAttribute("tabindex", "0");
    this.row = row;
    this.column = column;
    if (focus) {
      next.focus();
    }
  };

  Roving.prototype.typeAhead = function (digit) {
    var now = Date.now();
    this.typed = (now - this.typedAt < TYPE_AHEAD_MS ? this.typed : "") + digit;
    this.typedAt = now;
    return this.typed;
  };

  Roving.prototype.handle = function (event) {
    if (event.altKey || event.metaKey) {
      return;
    }
    var key = event.key;
    var self = this;
    if (pageKey(event, this.view, function () { return self.where(self.row, self.column); })) {
      return;
    }
    if (/^[0-9]$/.test(key) && !event.ctrlKey) {
      event.preventDefault();
      this.onMove.typed.call(this, this.typeAhead(key));
      return;
    }
    var move = this.onMove[key];
    if (move) {
      event.preventDefault();
      move.call(this, event.ctrlKey);
    }
  };

  Roving.prototype.start = function (container, first) {
    var self = this;
    this.rows.forEach(function (row) {
      row.forEach(function (target) {
        target.setAttribute("tabindex", "-1");
      });
    });
    this.place(first[0], first[1], false);
    container.addEventListener("keydown", function (event) {
      self.handle(event);
    });
    container.addEventListener("focusin", function (event) {
      for (var r = 0; r < self.rows.length; r += 1) {
        var c = self.rows[r].indexOf(event.target);
        if (c >= 0) {
          self.place(r, c, false);
          return;
        }
      }
    });
  };

  function earliest(rows, isFree) {
    var best = null;
    rows.forEach(function (row, r) {
      row.forEach(function (target, c) {
        var start = startOf(target);
        if (isFree(target) && start && (best === null || start < best[2])) {
          best = [r, c, start];
        }
      });
    });
    return best ? [best[0], best[1]] : null;
  }

  function firstFilled(rows) {
    for (var r = 0; r < rows.length; r += 1) {
      if (rows[r].length) {
        return [r, 0];
      }
    }
    return null;
  }

  function weekTable(table, saved) {
    var body = table.tBodies[0];
    if (!body || !body.rows.length) {
      return;
    }
    var rows = Array.prototype.map.call(body.rows, function (tr) {
      return Array.prototype.map.call(tr.querySelectorAll("td"), function (td) {
        return td.querySelector("a") || td;
      });
    });
    var times = Array.prototype.map.call(body.rows, function (tr) {
      var header = tr.querySelector("th");
      return header ? header.textContent.trim().slice(0, 5) : "";
    });
    var days = Array.prototype.map.call(table.querySelectorAll("thead th[data-day]"), function (th) {
      return th.getAttribute("data-day");
    });
    var width = rows[0].length;
    var roving = new Roving(rows, "week", {
      ArrowRight: function () { this.place(this.row, Math.min(this.column + 1, width - 1), true); },
      ArrowLeft: function () { this.place(this.row, Math.max(this.column - 1, 0), true); },
      ArrowDown: function () { this.place(Math.min(this.row + 1, rows.length - 1), this.column, true); },
      ArrowUp: function () { this.place(Math.max(this.row - 1, 0), this.column, true); },
      Home: function (ctrl) { this.place(ctrl ? 0 : this.row, 0, true); },
      End: function (ctrl) { this.place(ctrl ? rows.length - 1 : this.row, width - 1, true); },
      typed: function (typed) {
        for (var r = 0; r < times.length; r += 1) {
          if (matchesTyped(times[r], typed)) {
            this.place(r, this.column, true);
            return;
          }
        }
      }
    }, function (row, column) { return {day: days[column], time: times[row]}; });
    var first = earliest(rows, function (target) { return target.tagName === "A"; }) || [0, 0];
    var column = saved ? sameWeekday(days, saved) : -1;
    if (column >= 0) {
      // The row of the same time, or the next later one (another week may open at other times).
      var row = times.length - 1;
      for (var r = 0; r < times.length; r += 1) {
        if (times[r] >= saved.time) {
          row = r;
          break;
        }
      }
      first = [row, Math.min(column, rows[row].length - 1)];
    } else {
      saved = null;
    }
    // The cells are interactive now: a grid, so screen readers hand the arrow keys to it.
    table.setAttribute("role", "grid");
    var wrap = table.closest(".grid-wrap");
    if (wrap) {
      wrap.removeAttribute("tabindex");  // the roving cell is the one Tab stop (and scrolls the region)
    }
    roving.start(table, first);
    if (saved) {
      roving.place(first[0], first[1], true);
    }
  }

  function nearestByTime(row, time) {
    var best = 0;
    row.forEach(function (target, index) {
      if (timeOf(target) <= time) {
        best = index;
      }
    });
    return best;
  }

  // Seven days without a free time: PageUp/PageDown still move, and coming back lands on the
  // heading of the day remembered (made focusable for it), never on the page's body.
  function emptyDayView(view, sections, days, saved) {
    view.addEventListener("keydown", function (event) {
      var heading = event.target.closest ? event.target.closest("section.day") : null;
      pageKey(event, "day", function () {
        return {day: heading ? heading.getAttribute("data-day") : days[0], time: saved ? saved.time : ""};
      });
    });
    var row = saved ? sameWeekday(days, saved) : -1;
    var title = row >= 0 ? sections[row].querySelector("h2") : null;
    if (title) {
      title.setAttribute("tabindex", "-1");
      title.focus();
    }
  }

  // The day nearest to `row` with free times (later days first), or -1.
  function nearestFilled(rows, row) {
    for (var distance = 0; distance < rows.length; distance += 1) {
      if (rows[row + distance] && rows[row + distance].length) {
        return row + distance;
      }
      if (rows[row - distance] && rows[row - distance].length) {
        return row - distance;
      }
    }
    return -1;
  }

  function dayView(view, saved) {
    var sections = Array.prototype.slice.call(view.querySelectorAll("section.day"));
    var days = sections.map(function (section) { return section.getAttribute("data-day"); });
    var rows = sections.map(function (section) {
      return Array.prototype.slice.call(section.querySelectorAll("ul.slots a"));
    });
    var filled = firstFilled(rows);
    if (!filled) {
      emptyDayView(view, sections, days, saved);
      return;
    }
    function nextDay(from, step) {
      for (var r = from + step; r >= 0 && r < rows.length; r += step) {
        if (rows[r].length) {
          return r;
        }
      }
      return -1;
    }
    function toDay(step) {
      var r = nextDay(this.row, step);
      if (r >= 0) {
        this.place(r, nearestByTime(rows[r], timeOf(this.target(this.row, this.column))), true);
      }
    }
    var roving = new Roving(rows, "day", {
      ArrowRight: function () {
        if (this.column + 1 < rows[this.row].length) {
          this.place(this.row, this.column + 1, true);
        } else if (nextDay(this.row, 1) >= 0) {
          this.place(nextDay(this.row, 1), 0, true);
        }
      },
      ArrowLeft: function () {
        if (this.column > 0) {
          this.place(this.row, this.column - 1, true);
        } else if (nextDay(this.row, -1) >= 0) {
          var r = nextDay(this.row, -1);
          this.place(r, rows[r].length - 1, true);
        }
      },
      ArrowDown: function () { toDay.call(this, 1); },
      ArrowUp: function () { toDay.call(this, -1); },
      Home: function () { this.place(this.row, 0, true); },
      End: function () { this.place(this.row, rows[this.row].length - 1, true); },
      typed: function (typed) {
        var row = rows[this.row];
        for (var c = 0; c < row.length; c += 1) {
          if (matchesTyped(timeOf(row[c]), typed)) {
            this.place(this.row, c, true);
            return;
          }
        }
      }
    }, function (row, column) { return {day: days[row], time: timeOf(rows[row][column])}; });
    var first = earliest(rows, function () { return true; }) || filled;
    // The same weekday (or the nearest day with free times) at the nearest time.
    var row = saved ? nearestFilled(rows, Math.max(sameWeekday(days, saved), 0)) : -1;
    if (row >= 0) {
      first = [row, nearestByTime(rows[row], saved.time || "")];
    } else {
      saved = null;
    }
    roving.start(view, first);
    if (saved) {
      roving.place(first[0], first[1], true);
    }
  }

  // The keys, said once above the grid (and as its description), since a roving grid is one Tab stop.
  function describeKeys(container, described, id, kind) {
    var text = container.getAttribute("data-keys-hint");
    if (!text) {
      return;
    }
    var hint = document.createElement("p");
    hint.className = "meta keys-hint " + kind;
    hint.id = id;
    hint.textContent = text;
    container.parentNode.insertBefore(hint, container);
    if (described) {
      described.setAttribute("aria-describedby", id);
    }
  }

  function toForm(link) {
    if (!link.hash) {
      link.hash = "main";
    }
  }

  var table = document.querySelector("table.week");
  var view = document.querySelector(".dayview");
  // Only one of the two is on screen (style.css, 40rem); focus comes back in the one it left.
  var saved = (table || view) ? recalled() : null;
  if (table) {
    table.querySelectorAll("td a").forEach(toForm);
    weekTable(table, saved && saved.view === "week" ? saved : null);
    describeKeys(table.closest(".grid-wrap") || table, table, "week-keys", "for-week");
  }
  if (view) {
    view.querySelectorAll("ul.slots a").forEach(toForm);
    dayView(view, saved && saved.view === "day" ? saved : null);
    describeKeys(view, null, "day-keys", "for-day");
  }
}());
