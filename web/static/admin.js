// Small behaviours of the admin without inline handlers (the Content-Security-Policy allows
// scripts from this origin only): a button with data-print prints the page.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
