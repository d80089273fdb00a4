// Small enhancements for the party pages; every form also works without this script.
(function () {
  "use strict";

  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  // Get the code without leaving the page, then count down before a resend.
  var sendBtn = document.getElementById("send-code");
  var phone = document.getElementById("applicant_phone");
  var status = document.getElementById("code-status");
  if (sendBtn && phone && status) {
    sendBtn.addEventListener("click", function (ev) {
      ev.preventDefault();
      if (!/^1[3-9][0-9]{9}$/.test(phone.value.trim())) {
        status.textContent = "请先填写正确的 11 位手机号。";
        phone.focus();
        return;
      }
      sendBtn.disabled = true;
      fetch("/api/v1/party/codes", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept-Language": "zh-CN" },
        body: JSON.stringify({ phone: phone.value.trim(), purpose: "apply" })
      }).then(function (resp) {
        return resp.json().then(function (body) { return { ok: resp.ok, body: body }; });
      }).then(function (r) {
        if (r.ok) {
          status.textContent = "验证码已发送,10 分钟内有效。";
          countdown(r.body.resend_after || 60);
          var code = document.getElementById("code");
          if (code) { code.focus(); }
        } else {
          status.textContent = r.body.detail || "发送失败,请稍后再试。";
          sendBtn.disabled = false;
        }
      }).catch(function () {
        status.textContent = "网络不畅,请稍后再试。";
        sendBtn.disabled = false;
      });
    });
  }

  function countdown(seconds) {
    var left = seconds;
    var label = sendBtn.textContent;
    var timer = setInterval(function () {
      left -= 1;
      sendBtn.textContent = left + " 秒后重发";
      if (left <= 0) {
        clearInterval(timer);
        sendBtn.textContent = label;
        sendBtn.disabled = false;
      }
    }, 1000);
    sendBtn.textContent = left + " 秒后重发";
  }

  // Shrink photos in the browser: phone pictures are large, mobile data is not.
  document.querySelectorAll("input[type=file][data-max]").forEach(function (input) {
    input.addEventListener("change", function () { shrink(input); });
  });

  function shrink(input) {
    var max = parseInt(input.dataset.max, 10) || 6;
    var note = document.getElementById("photo-status");
    var files = Array.prototype.slice.call(input.files || []);
    if (files.length > max) {
      files = files.slice(0, max);
      if (note) { note.textContent = "最多 " + max + " 张,只保留了前 " + max + " 张。"; }
    }
    if (typeof DataTransfer === "undefined" || typeof createImageBitmap === "undefined") { return; }
    Promise.all(files.map(resize)).then(function (out) {
      var dt = new DataTransfer();
      out.forEach(function (f) { dt.items.add(f); });
      input.files = dt.files;
      if (note && files.length) { note.textContent = "已选择 " + out.length + " 张照片。"; }
    });
  }

  function resize(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || file.size < 400 * 1024) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (img) {
      var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.width * scale);
      canvas.height = Math.round(img.height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (done) {
        canvas.toBlob(function (blob) {
          done(blob ? new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.82);
      });
    }).catch(function () { return file; });
  }

  // One tap, one application.
  var form = document.getElementById("apply-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      var submitter = ev.submitter;
      if (submitter && submitter.id === "send-code") { return; }
      var btn = document.getElementById("submit");
      if (btn) { setTimeout(function () { btn.disabled = true; btn.textContent = "正在提交…"; }, 0); }
    });
  }

  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var target = document.querySelector(btn.dataset.copy);
      if (!target || !navigator.clipboard) { return; }
      navigator.clipboard.writeText(target.textContent.trim()).then(function () { btn.textContent = "已复制"; });
    });
  });
})();
