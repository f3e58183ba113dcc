// FeePay console: the few things that need a script. Every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Confirm before forms that change the books.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // Live refresh of Today's figures.
  var collected = document.getElementById("today-collected");
  if (collected) {
    var note = document.getElementById("live-note");
    if (note) note.hidden = false;
    window.setInterval(function () {
      fetch("/console/today.json", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (figures) { if (figures) collected.textContent = figures.collected; })
        .catch(function () {});
    }, 30000);
  }

  // Statement upload with progress: the file goes as the request body (streamed to disk by
  // the server); the page shows the upload's bytes, then each stage the server reports.
  var form = document.getElementById("upload");
  if (form) {
    form.addEventListener("submit", function (event) {
      var file = form.querySelector("input[type=file]").files[0];
      if (!file) return;
      event.preventDefault();
      var box = document.getElementById("upload-progress");
      var bar = box.querySelector("progress");
      var status = document.getElementById("upload-status");
      var stages = box.querySelectorAll("[data-stage]");
      function stage(name) {
        var seen = false;
        stages.forEach(function (li) {
          var mine = li.getAttribute("data-stage") === name;
          li.className = mine ? "active" : (seen ? "" : "done");
          if (mine) seen = true;
        });
      }
      box.hidden = false;
      stage("upload");
      var query = new URLSearchParams({
        connector: form.elements.connector.value,
        business_date: form.elements.business_date.value,
        format: /\.xml$/i.test(file.name) ? "camt" : "csv"
      });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/console/statements?" + query.toString());
      xhr.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round((e.loaded / e.total) * 100);
          status.textContent = bar.value + "%";
        }
      });
      xhr.upload.addEventListener("load", function () {
        stage("parse");
        bar.value = 0;
        status.textContent = "0%";
      });
      // The server answers with a JSON line per stage as it reaches it.
      var read = 0;
      var last = {};
      function drain() {
        var text = xhr.responseText;
        var end;
        while ((end = text.indexOf("\n", read)) !== -1) {
          var line = text.slice(read, end);
          read = end + 1;
          try { last = JSON.parse(line); } catch (e) { continue; }
          if (last.stage === "parse") {
            stage("parse");
            bar.value = last.percent;
            status.textContent = last.percent + "%";
          } else if (last.stage === "match") {
            stage("match");
            bar.removeAttribute("value");
            status.textContent = last.lines.toLocaleString("vi-VN") + " " + status.getAttribute("data-lines");
          }
        }
      }
      xhr.addEventListener("progress", drain);
      xhr.addEventListener("load", function () {
        drain();
        if (xhr.status === 200 && last.location) {
          stage("done");
          window.location.assign(last.location);
        } else {
          box.hidden = true;
          status.textContent = "";
          var problem = document.getElementById("problem") || document.createElement("p");
          problem.id = "problem";
          problem.className = "status bad";
          problem.setAttribute("role", "alert");
          problem.textContent = last.error || ("HTTP " + xhr.status);
          form.parentNode.insertBefore(problem, form);
        }
      });
      xhr.send(file);
    });
  }
});
