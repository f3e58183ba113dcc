// The payment page without reloading: copy buttons, and the status polled until the payment
// lands (then the page shows "Đã thanh toán" and the receipt link). The page works without it.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        button.textContent = button.getAttribute("data-copied");
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });

  var status = document.getElementById("status");
  if (!status || !window.fetch) return;
  var url = status.getAttribute("data-status-url");
  var state = status.getAttribute("data-state");
  if (state !== "open" && !document.getElementById("receipt-pending")) return;

  function show(answer) {
    status.textContent = answer.label;
    status.className = "status " + answer.tone;
    status.setAttribute("data-state", answer.status);
    var payable = document.getElementById("payable");
    if (answer.status !== "open" && payable) {
      payable.parentNode.removeChild(payable);
      document.querySelectorAll("table, .hint, noscript").forEach(function (node) { node.parentNode.removeChild(node); });
    }
    var pending = document.getElementById("receipt-pending");
    if (answer.receipt_url && !document.getElementById("receipt-link")) {
      var p = document.createElement("p");
      p.id = "receipt-link";
      var a = document.createElement("a");
      a.className = "button";
      a.href = answer.receipt_url;
      a.textContent = answer.receipt_label;
      p.appendChild(a);
      status.parentNode.insertBefore(p, status.nextSibling);
      if (pending) pending.parentNode.removeChild(pending);
    } else if (answer.status === "paid" && !answer.receipt_url && !pending) {
      var wait = document.createElement("p");
      wait.id = "receipt-pending";
      wait.textContent = answer.receipt_pending;
      status.parentNode.insertBefore(wait, status.nextSibling);
    }
    return answer.status === "open" || (answer.status === "paid" && !answer.receipt_url);
  }

  function poll() {
    fetch(url, { cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 429) throw new Error("slow down");
        return response.json();
      })
      .then(function (answer) { if (show(answer)) setTimeout(poll, 4000); })
      .catch(function () { setTimeout(poll, 15000); });
  }
  setTimeout(poll, 4000);
})();
