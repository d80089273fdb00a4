/* Signature pad and the agreement page's buttons. Vanilla JS, pointer events (mouse, touch,
   stylus); the pad posts a PNG data URL. Staff requests carry the CSRF token of the page. */
(function () {
  "use strict";
  var root = document.querySelector(".jf-sign");
  if (!root) { return; }
  var csrf = root.getAttribute("data-csrf") || "";
  var script = document.currentScript;
  var agreementId = script ? script.getAttribute("data-agreement") : "";

  function post(url, body) {
    var headers = { "Content-Type": "application/json" };
    if (csrf) { headers["X-CSRF-Token"] = csrf; }
    return fetch(url, { method: "POST", headers: headers, body: JSON.stringify(body), credentials: "same-origin" })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (data) {
          if (!resp.ok) { throw new Error(data.detail || data.title || ("HTTP " + resp.status)); }
          return data;
        });
      });
  }

  function say(el, text) { if (el) { el.textContent = text; } }

  function setupPad(box) {
    var canvas = box.querySelector("canvas");
    var ctx = canvas.getContext("2d");
    var msg = box.querySelector(".msg");
    var drawing = false, inked = false, last = null;

    function reset() {
      var r = canvas.getBoundingClientRect();
      var dpr = window.devicePixelRatio || 1;
      canvas.width = Math.max(1, Math.round(r.width * dpr));
      canvas.height = Math.max(1, Math.round(r.height * dpr));
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.lineWidth = 2.6; ctx.lineCap = "round"; ctx.lineJoin = "round";
      ctx.strokeStyle = "#141838"; ctx.fillStyle = "#141838";
      inked = false;
    }
    function at(e) { var r = canvas.getBoundingClientRect(); return { x: e.clientX - r.left, y: e.clientY - r.top }; }

    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; last = at(e);
      if (canvas.setPointerCapture) { canvas.setPointerCapture(e.pointerId); }
      ctx.beginPath(); ctx.arc(last.x, last.y, 1.3, 0, 2 * Math.PI); ctx.fill();
      inked = true; e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) { return; }
      var p = at(e);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; e.preventDefault();
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { drawing = false; });
    });
    window.addEventListener("resize", function () { if (!inked) { reset(); } });
    box.querySelector("[data-clear]").addEventListener("click", function () { reset(); say(msg, ""); });
    box.querySelector("[data-submit]").addEventListener("click", function (ev) {
      var consent = box.querySelector("[data-consent]");
      if (!inked) { say(msg, "请先签名。"); return; }
      if (consent && !consent.checked) { say(msg, "请先勾选确认已阅读协议。"); return; }
      var body = { image: canvas.toDataURL("image/png") };
      if (box.getAttribute("data-kind") === "link") { body.consent = true; }
      else { body.signer = "mediator"; body.method = "pad"; }
      ev.target.disabled = true; say(msg, "正在提交…");
      post(box.getAttribute("data-url"), body).then(function (r) {
        say(msg, r.effective ? "签署成功。全部签名已齐备，协议已生效。" : "签署成功。");
        setTimeout(function () { window.location.reload(); }, 1200);
      }).catch(function (err) { ev.target.disabled = false; say(msg, err.message); });
    });
    reset();
  }

  Array.prototype.forEach.call(root.querySelectorAll("[data-pad]"), setupPad);

  var adminMsg = root.querySelector("[data-admin-msg]");
  var base = "/api/v1/agreements/" + agreementId;
  function done(text) { say(adminMsg, text); setTimeout(function () { window.location.reload(); }, 1200); }
  function fail(err) { say(adminMsg, err.message); }

  root.addEventListener("click", function (e) {
    var btn = e.target.closest("button[data-action]");
    if (!btn) { return; }
    var action = btn.getAttribute("data-action");
    var party = parseInt(btn.getAttribute("data-party"), 10);
    if (action === "seal") {
      post(base + "/seal", {}).then(function (r) { done(r.effective ? "已盖章，协议已生效。" : "已盖章。"); }).catch(fail);
    } else if (action === "kiosk") {
      post(base + "/sign-links", { party_id: party, method: "kiosk" }).then(function (r) { window.location.href = r.path; }).catch(fail);
    } else if (action === "link") {
      post(base + "/sign-links", { party_id: party, method: "pad" }).then(function (r) {
        var box = root.querySelector('[data-link-for="' + party + '"]');
        box.textContent = "";
        var img = document.createElement("img"); img.className = "qr"; img.src = r.qr_svg; img.alt = "";
        var a = document.createElement("a"); a.href = r.url; a.textContent = r.url;
        box.appendChild(img); box.appendChild(document.createElement("br")); box.appendChild(a);
      }).catch(fail);
    }
  });

  root.addEventListener("change", function (e) {
    var input = e.target;
    if (input.getAttribute("data-action") !== "scan" || !input.files || !input.files[0]) { return; }
    var reader = new FileReader();
    reader.onload = function () {
      post(base + "/signatures", {
        signer: "party", party_id: parseInt(input.getAttribute("data-party"), 10), method: "scanned_paper", image: reader.result
      }).then(function (r) { done(r.effective ? "已上传，协议已生效。" : "已上传纸质签字页。"); }).catch(fail);
    };
    reader.readAsDataURL(input.files[0]);
  });
})();
