// Check-in: clear and refocus the code field after each htmx scan, signal each verdict in door mode
// (a tone and a vibration, each switched on by the door staff and remembered on the device), and read QR
// codes with the camera (the BarcodeDetector API where the browser has it, the vendored jsQR elsewhere).
// The page works without this file.
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
      signal(event.target.querySelector("[data-signal]"));
    }
  });

  // Door mode's signals: a high tone and one buzz to let in, two low tones and a long buzz to stop.
  var SIGNALS = {
    ok: { tones: [880], vibration: [120] },
    warn: { tones: [660], vibration: [60, 60, 60] },
    bad: { tones: [220, 220], vibration: [400, 100, 400] },
  };
  var audio = null;

  function toggle(id) {
    var box = document.getElementById(id);
    if (!box) {
      return null;
    }
    box.checked = window.localStorage.getItem(id) === "on";
    box.addEventListener("change", function () {
      window.localStorage.setItem(id, box.checked ? "on" : "off");
    });
    box.parentNode.hidden = false;
    return box;
  }
  var sound = toggle("door-sound");
  var vibrate = "vibrate" in navigator ? toggle("door-vibrate") : null;

  function signal(result) {
    var chosen = result && SIGNALS[result.getAttribute("data-signal")];
    if (!chosen) {
      return;
    }
    if (vibrate && vibrate.checked) {
      navigator.vibrate(chosen.vibration);
    }
    var Context = window.AudioContext || window.webkitAudioContext;
    if (sound && sound.checked && Context) {
      audio = audio || new Context();
      chosen.tones.forEach(function (frequency, index) {
        var oscillator = audio.createOscillator();
        var start = audio.currentTime + index * 0.25;
        oscillator.frequency.value = frequency;
        oscillator.connect(audio.destination);
        oscillator.start(start);
        oscillator.stop(start + 0.18);
      });
    }
  }

  var fullScreen = document.getElementById("door-fullscreen");
  if (fullScreen && document.documentElement.requestFullscreen) {
    fullScreen.hidden = false;
    fullScreen.addEventListener("click", function () {
      if (document.fullscreenElement) {
        document.exitFullscreen();
      } else {
        document.documentElement.requestFullscreen().catch(function () {});
      }
      field.focus();
    });
  }

  var button = document.getElementById("checkin-camera");
  var video = document.getElementById("checkin-video");
  if (!button || !video || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var canvas = document.createElement("canvas");
  var stream = null;
  var lastRead = "";
  var lastReadAt = 0;

  // Resolves to a function that reads the QR code in the current video frame, or null: the browser's
  // own BarcodeDetector where there is one, jsQR (loaded now, on first use) where there is not.
  var reader = null;
  function qrReader() {
    if (!reader && "BarcodeDetector" in window) {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      reader = Promise.resolve(function () {
        return detector.detect(video).then(function (codes) {
          return codes.length > 0 ? codes[0].rawValue : null;
        });
      });
    }
    if (!reader) {
      reader = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = button.getAttribute("data-decoder");
        script.onload = function () { resolve(readWithJsQR); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return reader;
  }

  function readWithJsQR() {
    var width = video.videoWidth;
    var height = video.videoHeight;
    if (!width || !height) {
      return Promise.resolve(null);
    }
    canvas.width = width;
    canvas.height = height;
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    var found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height, {
      inversionAttempts: "dontInvert",
    });
    return Promise.resolve(found ? found.data : null);
  }

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

  function look(read) {
    if (!stream) {
      return;
    }
    read().then(function (text) {
      if (text) {
        submitRead(text);
      }
    }).catch(function () {}).finally(function () {
      window.setTimeout(function () { look(read); }, 250);
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
        return Promise.all([qrReader(), video.play()]);
      })
      .then(function (ready) { look(ready[0]); })
      .catch(function () {
        stopCamera();
        button.hidden = true;
      });
  });
})();
