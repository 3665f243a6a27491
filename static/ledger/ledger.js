/* The record form: optional device position, duration presets, previews of chosen photos.
 * Plain ES2020 in a static file (the Content-Security-Policy allows no inline script); the form works without it. */
(() => {
  "use strict";

  function locationPicker(box) {
    const button = box.querySelector("[data-location-button]");
    const status = box.querySelector("[data-location-status]");
    const form = box.closest("form");
    const field = (name) => form.querySelector(`input[name="${name}"]`);
    if (!button || !form) return;
    if (!("geolocation" in navigator)) {
      status.textContent = box.dataset.labelUnsupported || "";
      return;
    }
    button.hidden = false;
    const set = (lng, lat, acc) => {
      field("lng").value = lng;
      field("lat").value = lat;
      field("accuracy_m").value = acc;
    };
    if (field("lng").value && field("lat").value) {
      status.textContent = (box.dataset.labelDone || "").replace("{m}", Math.round(Number(field("accuracy_m").value) || 0));
    }
    button.addEventListener("click", () => {
      status.textContent = box.dataset.labelAsking || "";
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          const { longitude, latitude, accuracy } = position.coords;
          set(longitude.toFixed(6), latitude.toFixed(6), Math.round(accuracy || 0));
          status.textContent = (box.dataset.labelDone || "").replace("{m}", Math.round(accuracy || 0));
          button.disabled = false;
          button.blur();
        },
        () => {
          set("", "", "");
          status.textContent = box.dataset.labelDenied || "";
          button.disabled = false;
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
      );
    });
  }

  function durationPresets(box) {
    const input = box.closest("form").querySelector('input[name="duration_min"]');
    if (!input) return;
    box.hidden = false;
    box.addEventListener("click", (event) => {
      const chip = event.target.closest("[data-minutes]");
      if (!chip) return;
      input.value = chip.dataset.minutes;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function filePreview(input) {
    const target = document.querySelector(input.dataset.filePreview);
    if (!target) return;
    const urls = [];
    input.addEventListener("change", () => {
      urls.splice(0).forEach((url) => URL.revokeObjectURL(url));
      target.replaceChildren();
      Array.from(input.files || []).forEach((file) => {
        if (file.type.startsWith("image/")) {
          const img = document.createElement("img");
          const url = URL.createObjectURL(file);
          urls.push(url);
          img.src = url;
          img.alt = file.name;
          target.append(img);
        } else {
          const doc = document.createElement("span");
          doc.className = "file-doc";
          doc.textContent = file.name;
          target.append(doc);
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-location]").forEach(locationPicker);
    document.querySelectorAll("[data-duration-presets]").forEach(durationPresets);
    document.querySelectorAll("input[type=file][data-file-preview]").forEach(filePreview);
  });
})();
