// The lot page of an auction: the current price, the next minimum bid, the number of bids, the end (which moves when
// a bid comes in the last minutes) and the visitor's own standing (leading, outbid, won) are read again every few
// seconds from the lot's state (a JSON answer of this host, never naming bidders) and shown without reloading. The
// bid form's amount follows the minimum; once bidding closes the form is hidden. A file of this host, so that the
// Content Security Policy allows no inline script (connect-src 'self').
document.addEventListener("DOMContentLoaded", function () {
  var root = document.querySelector("[data-lot-state]");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-lot-state");
  var every = 5000;
  var wasOpen = null;

  function show(data) {
    document.querySelectorAll("[data-live]").forEach(function (element) {
      var key = element.getAttribute("data-live");
      if (Object.prototype.hasOwnProperty.call(data, key)) {
        var value = data[key];
        element.textContent = value === null || value === "" ? (key === "current_price_wan" ? "—" : "") : value;
      }
    });
    var amount = document.querySelector("input[name='amount_wan']");
    if (amount && data.minimum_bid_wan !== null) {
      amount.min = data.minimum_bid_wan;
      if (!amount.value || parseFloat(amount.value) < parseFloat(data.minimum_bid_wan)) {
        amount.value = data.minimum_bid_wan;
      }
    }
    document.querySelectorAll("[data-live-show]").forEach(function (element) {
      element.hidden = !data[element.getAttribute("data-live-show")];
    });
    if (wasOpen === true && data.status !== "open") {
      every = 0; // the lot closed: nothing changes any more
    }
    wasOpen = data.status === "open";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) {
          show(data);
        }
      })
      .catch(function () {})
      .then(function () {
        if (every) {
          window.setTimeout(poll, document.hidden ? every * 4 : every);
        }
      });
  }
  window.setTimeout(poll, every);
});
