// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  document.querySelectorAll("form button.no").forEach(function (btn) {
    btn.form.addEventListener("submit", function (ev) {
      if (!window.confirm("确定排除这个匹配吗？以后的扫描也会保持排除。")) { ev.preventDefault(); }
    });
  });
});
