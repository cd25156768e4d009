// The door page's camera: where the browser has BarcodeDetector (Chrome on Android, for
// example), a button opens the camera and a QR code read fills in the code and submits it.
// Elsewhere the button stays hidden and the code is typed; the page works without this file.
(function () {
  "use strict";
  var button = document.getElementById("scan-button");
  var video = document.getElementById("scan-video");
  var help = document.getElementById("scan-help");
  var input = document.getElementById("code");
  var form = document.getElementById("code-form");
  if (!button || !video || !input || !form) { return; }
  // Ready for the next code, also after a refused one (on a phone the page would otherwise start at its
  // top with the focus nowhere); after a refused walk-in the error summary has the focus instead. A field
  // the person already went to (typing a name while the page was still loading) keeps the focus: taking
  // it would send the rest of their typing into the code field. After a name search (or a check-in from
  // one) app.js, which runs first, has put the focus on the results (data-focus-first), and it stays there.
  // What the last action said (the outcome banner at the top, or a message such as "Walk-in counted") is
  // scrolled to the top of the window, the field under it: scrolling to the field alone put it above the
  // window on a phone (320x640: a code's banner ended 8 px above it, a walk-in's message 139 px).
  var active = document.activeElement;
  if (!document.getElementById("error-summary") && (!active || active === document.body)) {
    var said = document.querySelector("main .flash, #scan-result");
    input.focus({ preventScroll: !!said });
    if (said) {
      said.scrollIntoView({ block: "start" });
      input.scrollIntoView({ block: "nearest" });
    }
  }
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  button.hidden = false;
  var stream = null;

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    help.hidden = true;
  }

  button.addEventListener("click", function () {
    if (stream) { stop(); return; }
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (media) {
      stream = media;
      video.srcObject = media;
      video.hidden = false;
      help.hidden = false;
      return video.play();
    }).then(function look() {
      if (!stream) { return; }
      detector.detect(video).then(function (codes) {
        if (codes.length && codes[0].rawValue) {
          input.value = codes[0].rawValue;
          stop();
          form.submit();
        } else {
          window.setTimeout(look, 200);
        }
      }).catch(function () { window.setTimeout(look, 500); });
    }).catch(function () { stop(); button.hidden = true; });
  });
}());
