// Light enhancements for the console; every page works without them.
(function () {
  'use strict';

  // After a form was sent, move focus to its outcome so keyboard and screen-reader users hear it.
  function focusNotice() {
    var notice = document.querySelector('[data-notice]');
    if (notice) notice.focus();
  }

  // Forms that remove something ask first.
  function confirmForms() {
    document.querySelectorAll('form[data-confirm]').forEach(function (form) {
      form.addEventListener('submit', function (event) {
        if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
      });
    });
  }

  // Copy buttons next to DNS records; shown only where the clipboard can be written.
  function copyButtons() {
    if (!navigator.clipboard) return;
    document.querySelectorAll('button[data-copy]').forEach(function (button) {
      var target = document.getElementById(button.getAttribute('data-copy'));
      if (!target) return;
      button.hidden = false;
      var label = button.textContent;
      button.addEventListener('click', function () {
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          button.textContent = button.getAttribute('data-copied') || label;
          setTimeout(function () {
            button.textContent = label;
          }, 1500);
        });
      });
    });
  }

  // An email frame as tall as the email, so its footer is never cut off. The framed document is
  // same-origin and runs no script (sandbox="allow-same-origin"), so its height can be read.
  function fitToContent(frame) {
    var doc = frame.contentDocument;
    if (!doc || !doc.documentElement) return;
    var content = Math.max(doc.documentElement.scrollHeight, doc.body ? doc.body.scrollHeight : 0);
    var border = frame.offsetHeight - frame.clientHeight;
    frame.style.height = content + border + 'px';
  }

  function fitFrames() {
    document.querySelectorAll('iframe[data-fit-content]').forEach(function (frame) {
      frame.addEventListener('load', function () {
        fitToContent(frame);
      });
      if (frame.contentDocument && frame.contentDocument.readyState === 'complete')
        fitToContent(frame);
    });
  }

  // The template editor's live preview: the draft is posted (with the form's CSRF token) as the
  // author types; problems go beside their fields, and the rendered email into a fresh sandboxed
  // frame, so the preview never piles up entries in the browser history.
  function templatePreview() {
    var form = document.getElementById('template-form');
    if (!form || !form.hasAttribute('data-preview-url')) return;
    var previewUrl = form.getAttribute('data-preview-url');
    var frameUrl = form.getAttribute('data-frame-url');
    var subject = document.getElementById('preview-subject');
    var status = document.getElementById('preview-status');
    var button = form.querySelector('[data-preview-button]');
    var timer = null;
    var sequence = 0;
    var frames = 0;

    function body() {
      return new URLSearchParams(new FormData(form));
    }

    function showProblems(problems) {
      form.querySelectorAll('[data-errors-for]').forEach(function (box) {
        box.textContent = '';
        var field = form.querySelector('[name="' + box.getAttribute('data-errors-for') + '"]');
        if (field) field.removeAttribute('aria-invalid');
      });
      problems.forEach(function (problem) {
        var box = form.querySelector('[data-errors-for="' + problem.field + '"]');
        if (!box) return;
        var line = document.createElement('p');
        line.textContent = (problem.where ? problem.where + ': ' : '') + problem.message;
        box.appendChild(line);
        var field = form.querySelector('[name="' + problem.field + '"]');
        if (field) field.setAttribute('aria-invalid', 'true');
      });
    }

    function refreshFrame() {
      var current = document.getElementById('preview-frame');
      if (!current) return;
      var next = document.createElement('iframe');
      frames += 1;
      next.name = 'preview-frame-' + frames;
      next.className = current.className;
      next.title = current.title;
      next.setAttribute('sandbox', 'allow-same-origin');
      next.hidden = true;
      current.parentNode.insertBefore(next, current.nextSibling);
      next.addEventListener(
        'load',
        function () {
          if (!next.isConnected) return;
          document.querySelectorAll('iframe[id="preview-frame"]').forEach(function (old) {
            old.remove();
          });
          next.id = 'preview-frame';
          next.hidden = false;
          fitToContent(next);
        },
        { once: true },
      );
      var post = document.createElement('form');
      post.method = 'post';
      post.action = frameUrl;
      post.target = next.name;
      post.hidden = true;
      body().forEach(function (value, name) {
        var input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        post.appendChild(input);
      });
      document.body.appendChild(post);
      post.submit();
      post.remove();
    }

    function update(withFrame) {
      var mine = ++sequence;
      fetch(previewUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: body(),
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (result) {
          if (mine !== sequence) return;
          showProblems(result.problems || []);
          if (result.ok) subject.textContent = result.subject;
          status.textContent = form.getAttribute(
            result.ok ? 'data-msg-updated' : 'data-msg-problems',
          );
          if (withFrame) refreshFrame();
        })
        .catch(function () {
          if (mine === sequence) status.textContent = form.getAttribute('data-msg-failed');
        });
    }

    form.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        update(true);
      }, 400);
    });
    if (button) {
      button.addEventListener('click', function (event) {
        event.preventDefault();
        clearTimeout(timer);
        update(true);
      });
    }
    update(false);
  }

  document.addEventListener('DOMContentLoaded', function () {
    focusNotice();
    confirmForms();
    copyButtons();
    fitFrames();
    templatePreview();
  });
})();
