// Sprintbot live page: the countdown runs here, from the phase end and the server's clock;
// Server-Sent Events bring every change (pause, skip, extend, the end) within a second.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var initial = JSON.parse($("state").textContent);
  var page = initial.page;
  var offsets = [];            // recent (server time - local time) samples
  var offset = 0;
  var source = null;
  var retryMs = 1000;
  var audio = null;
  var soundOn = false;
  var notifyOn = false;
  var stopped = false;

  function sample(serverNow) {
    // A sample arrives late by the network delay, so the largest recent one is the closest.
    offsets.push(serverNow - Date.now());
    if (offsets.length > 8) { offsets.shift(); }
    offset = Math.max.apply(null, offsets);
  }
  sample(initial.now);

  function phaseKey(p) {
    return [p.status, p.phase.kind, p.phase.round, p.phase.started].join(":");
  }

  function remainingMs() {
    var ph = page.phase;
    if (page.status === "paused") { return ph.paused_remaining_ms || 0; }
    if (page.status !== "running" || ph.ends === null) { return 0; }
    return Math.max(0, ph.ends - (Date.now() + offset));
  }

  function fmt(ms) {
    var total = Math.ceil(ms / 1000);
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return h > 0 ? h + ":" + two(m) + ":" + two(s) : two(m) + ":" + two(s);
  }

  function tick() {
    var over = page.status === "finished" || page.status === "cancelled";
    var left = remainingMs();
    var text = over ? "Done" : fmt(left);
    var el = $("countdown");
    if (el.textContent !== text) { el.textContent = text; }
    var length = page.phase.length_ms || 1;
    var done = over ? 1 : Math.min(1, Math.max(0, 1 - left / length));
    $("progress").style.width = (done * 100).toFixed(2) + "%";
    var title = text + " · " + page.phase.label + " · " + page.title;
    if (document.title !== title) { document.title = title; }
  }

  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } }
  function item(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  function render() {
    var over = page.status === "finished" || page.status === "cancelled";
    document.body.className = "status-" + page.status + " kind-" + page.phase.kind;
    $("title").textContent = page.title;
    $("status").textContent = page.status === "paused" ? "Paused" :
      page.status === "running" ? "Live" : "Ended";
    $("phase").textContent = page.phase.label;

    var timeline = $("timeline");
    clear(timeline);
    page.timeline.forEach(function (p) {
      var li = item("li", "step " + p.kind + " " + p.state);
      li.appendChild(item("span", "label", p.label + (p.kind === "work" ? " " + p.round : "")));
      li.appendChild(item("span", "mins", p.minutes + " min"));
      timeline.appendChild(li);
    });

    $("count").textContent = page.count + (page.count === 1 ? " person" : " people") +
      (over ? " took part" : " in this sprint");
    var people = $("people");
    clear(people);
    (page.people || []).forEach(function (person) {
      var li = item("li");
      li.appendChild(item("span", "name", person.name));
      if (person.goals.length) {
        var ul = item("ul", "goals");
        person.goals.forEach(function (g) { ul.appendChild(item("li", g.done ? "done" : "open", g.text)); });
        li.appendChild(ul);
      }
      people.appendChild(li);
    });

    var summary = $("summary");
    if (page.summary) {
      var s = page.summary;
      $("summary-line").textContent = s.reason + " · " + s.rounds_done + "/" + s.rounds +
        " rounds · " + s.took_part + " took part · " + s.focus_minutes + " min of focus";
      var members = $("summary-members");
      clear(members);
      s.members.forEach(function (m) {
        var li = item("li");
        li.appendChild(item("span", "name", m.name));
        if (m.goals_total) { li.appendChild(item("span", "goals", " " + m.goals_done + "/" + m.goals_total + " goals")); }
        members.appendChild(li);
      });
      summary.hidden = false;
    } else {
      summary.hidden = true;
    }
    tick();
  }

  function chime() {
    if (!soundOn || !audio) { return; }
    var t = audio.currentTime;
    [880, 1318.5].forEach(function (freq, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.25, t + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.18 + 0.6);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + i * 0.18);
      osc.stop(t + i * 0.18 + 0.65);
    });
  }

  function notify() {
    if (!notifyOn || !("Notification" in window) || Notification.permission !== "granted") { return; }
    if (!document.hidden) { return; }
    try { new Notification(page.phase.label, { body: page.title, tag: "sprintbot" }); } catch (e) { /* not allowed here */ }
  }

  function apply(next) {
    if (next.version < page.version) { return; }
    var changed = phaseKey(next) !== phaseKey(page);
    page = next;
    render();
    if (changed) { chime(); notify(); }
    if (page.status === "finished" || page.status === "cancelled") { finish("Ended"); }
  }

  function finish(text) {
    stopped = true;
    if (source) { source.close(); source = null; }
    $("connection").textContent = text;
  }

  function gone() {
    finish("This link was turned off");
    $("gone").hidden = false;
  }

  function connect() {
    if (stopped) { return; }
    var url = location.pathname.replace(/\/+$/, "") + "/events";
    source = new EventSource(url);
    source.addEventListener("open", function () {
      retryMs = 1000;
      $("connection").textContent = "Live · updates as it happens";
    });
    source.addEventListener("state", function (ev) {
      var data = JSON.parse(ev.data);
      sample(data.now);
      apply(data.page);
    });
    source.addEventListener("gone", gone);
    source.addEventListener("error", function () {
      if (stopped) { return; }
      $("connection").textContent = "Reconnecting…";
      if (source && source.readyState === EventSource.CLOSED) {
        source = null;
        // The browser gave up (e.g. an error status): is the link still there?
        fetch(location.pathname, { cache: "no-store", credentials: "omit" }).then(function (r) {
          if (r.status === 404) { gone(); } else { setTimeout(connect, retryMs); }
        }, function () { setTimeout(connect, retryMs); });
        retryMs = Math.min(retryMs * 2, 15000);
      }
    });
  }

  function unlockAudio() {
    if (audio) { return; }
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (Ctx) { audio = new Ctx(); }
  }

  $("sound").addEventListener("click", function () {
    unlockAudio();
    soundOn = !soundOn;
    if (audio && audio.state === "suspended") { audio.resume(); }
    this.setAttribute("aria-pressed", soundOn ? "true" : "false");
    if (soundOn) { chime(); }
  });
  $("notify").addEventListener("click", function () {
    var button = this;
    if (!("Notification" in window)) { button.textContent = "Notifications not supported"; return; }
    Notification.requestPermission().then(function (answer) {
      notifyOn = answer === "granted";
      button.textContent = notifyOn ? "Notifications on" : "Notifications blocked";
      button.setAttribute("aria-pressed", notifyOn ? "true" : "false");
    });
  });
  document.addEventListener("click", unlockAudio, { once: true });

  render();
  setInterval(tick, 200);
  if (page.status === "finished" || page.status === "cancelled") {
    finish("Ended");
  } else {
    connect();
  }
})();
