// A printed notice's screen-only bar: the 打印 button (no inline script under the site's CSP).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
