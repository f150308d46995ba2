// Check-in: clear and refocus the code field after each htmx scan, and read QR codes with the camera
// where the browser offers the BarcodeDetector API. The page works without this file.
(function () {
  "use strict";

  var form = document.getElementById("checkin-form");
  var field = document.getElementById("field-scanned");
  if (!form || !field) {
    return;
  }

  function readyForNext() {
    field.value = "";
    field.focus();
  }

  form.addEventListener("htmx:afterRequest", readyForNext);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "checkin-result") {
      field.focus();
    }
  });

  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) {
    return;
  }
  var button = document.getElementById("checkin-camera");
  var video = document.getElementById("checkin-video");
  if (!button || !video) {
    return;
  }
  var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  var stream = null;
  var lastRead = "";
  var lastReadAt = 0;

  function stopCamera() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
    }
    stream = null;
    video.hidden = true;
    button.textContent = "Use the camera";
  }

  function submitRead(text) {
    var now = Date.now();
    if (text === lastRead && now - lastReadAt < 3000) {
      return;
    }
    lastRead = text;
    lastReadAt = now;
    field.value = text;
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function look() {
    if (!stream) {
      return;
    }
    detector.detect(video).then(function (codes) {
      if (codes.length > 0) {
        submitRead(codes[0].rawValue);
      }
    }).catch(function () {}).finally(function () {
      window.setTimeout(look, 250);
    });
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    if (stream) {
      stopCamera();
      field.focus();
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (opened) {
        stream = opened;
        video.srcObject = opened;
        video.hidden = false;
        button.textContent = "Stop the camera";
        return video.play();
      })
      .then(look)
      .catch(function () {
        stopCamera();
        button.hidden = true;
      });
  });
})();
