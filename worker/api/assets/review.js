// The review page: findings of a run grouped by severity and department, reviewed with the keyboard.
// j/k move, c confirm, d dismiss (asks a reason, Enter sends), e correct the value, o reopen.
// Everything comes from /api/review; form text is untrusted, so it goes in with textContent
// (detail_html is escaped by the server's report renderer).
"use strict";
(function () {
  const FILTERS = ["run", "severity", "rule", "department", "status"];
  const KEY_STORE = "formaudit-api-key";
  const groupsEl = document.getElementById("groups");
  const notice = document.getElementById("notice");
  let cards = [];
  let current = -1;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function say(text, bad) {
    notice.textContent = text;
    notice.hidden = !text;
    notice.classList.toggle("bad", !!bad);
  }

  async function api(path, options) {
    const opts = Object.assign({headers: {}}, options || {});
    const key = localStorage.getItem(KEY_STORE);
    if (key) opts.headers["X-API-Key"] = key;
    if (opts.body !== undefined) opts.headers["Content-Type"] = "application/json";
    const response = await fetch(path, opts);
    if (response.status === 401 || response.status === 403) {
      const detail = (await response.json()).detail;
      const entered = window.prompt(detail + "\nAPI key / 审核密钥:");
      if (entered) {
        localStorage.setItem(KEY_STORE, entered.trim());
        return api(path, options);
      }
      throw new Error(detail);
    }
    const data = await response.json();
    if (!response.ok) {
      const detail = Array.isArray(data.detail) ? data.detail.map(d => d.msg).join("; ") : data.detail;
      throw new Error(detail || response.statusText);
    }
    return data;
  }

  function params() {
    const url = new URL(window.location.href);
    const out = new URLSearchParams();
    for (const name of FILTERS) {
      const value = url.searchParams.get(name);
      if (value) out.set(name, value);
    }
    return out;
  }

  function fillSelect(select, values, chosen, label) {
    const keep = select.name === "run" ? [] : [el("option", {value: ""}, "全部 All")];
    select.replaceChildren(...keep, ...values.map(v => {
      const option = el("option", {value: String(v.value)}, v.text || String(v.value));
      if (String(v.value) === String(chosen || "")) option.selected = true;
      return option;
    }));
    if (label) select.title = label;
  }

  function renderFilters(data, query) {
    fillSelect(document.getElementById("f-run"), data.runs.map(r => ({
      value: r.id, text: `#${r.id} ${r.kind}${r.day ? " " + r.day : ""} ${r.started_at.slice(0, 16).replace("T", " ")} (${r.status})`,
    })), data.run);
    fillSelect(document.getElementById("f-severity"),
      data.facets.severity.map(s => ({value: s, text: data.labels.severity[s]})), query.get("severity"));
    fillSelect(document.getElementById("f-rule"),
      data.facets.rule.map(r => ({value: r, text: data.labels.rule[r] || r})), query.get("rule"));
    fillSelect(document.getElementById("f-department"),
      data.facets.department.map(d => ({value: d})), query.get("department"));
    fillSelect(document.getElementById("f-status"),
      data.facets.status.map(s => ({value: s, text: data.labels.status[s]})), query.get("status"));
  }

  function card(f, data) {
    const finding = f.finding;
    const subject = [finding.project, finding.indicator].filter(Boolean).join(" / ");
    const node = el("article", {class: "finding", tabindex: "-1", "data-id": f.id, "data-status": f.status,
                                "data-severity": f.severity});
    node.append(el("div", {class: "head"},
      el("span", {class: `sev sev-${f.severity}`}, data.labels.severity[f.severity] || f.severity),
      el("span", {class: "rule"}, data.labels.rule[f.rule] || f.rule),
      subject ? el("span", {class: "subject"}, subject) : null,
      el("span", {class: `status status-${f.status}`}, data.labels.status[f.status] || f.status)));
    node.append(el("p", {class: "message"}, finding.message));
    const actions = el("div", {class: "actions"});
    const button = (text, handler) => {
      const b = el("button", {type: "button"}, text);
      b.addEventListener("click", () => { focus(cards.indexOf(node)); handler(); });
      return b;
    };
    actions.append(...[button("确认 Confirm (c)", () => decide(f.id, "confirm")),
                       button("驳回 Dismiss (d)", () => askDismiss(node, f)),
                       f.form_id && finding.field ? button("更正 Correct (e)", () => askCorrection(node, f)) : null,
                       f.status !== "open" ? button("重新打开 Reopen (o)", () => decide(f.id, "reopen")) : null,
                      ].filter(Boolean));
    node.append(actions);
    const media = el("div", {class: "media"});
    const detail = el("div");
    detail.innerHTML = f.detail_html;
    media.append(detail);
    if (f.crop_url) {
      media.append(el("div", {class: "crop"},
        el("img", {src: f.crop_url, alt: `第${finding.page}页 page ${finding.page}`, loading: "lazy"})));
    }
    node.append(media);
    if (f.decisions.length) {
      node.append(el("ul", {class: "trail"}, ...f.decisions.map(d => el("li", {},
        `${d.at.slice(0, 16).replace("T", " ")} ${d.who}: ${data.labels.action[d.action] || d.action}` +
        (d.why ? ` — ${d.why}` : "")))));
    }
    node.finding = f;
    return node;
  }

  function render(data, query) {
    renderFilters(data, query);
    document.getElementById("summary").textContent =
      `批次 run #${data.run ?? "—"}: 显示 ${data.count} / 共 ${data.total} 条 findings shown of ${data.total}`;
    const parts = [];
    for (const group of data.groups) {
      parts.push(el("h2", {}, el("span", {class: `sev sev-${group.severity}`},
        data.labels.severity[group.severity] || group.severity), ` ${group.count}`));
      for (const dept of group.departments) {
        parts.push(el("h3", {}, dept.department || "（无主管部门 no department）", ` · ${dept.findings.length}`));
        for (const f of dept.findings) parts.push(card(f, data));
      }
    }
    if (!data.groups.length) parts.push(el("p", {class: "empty"}, "没有符合条件的问题 No findings match."));
    groupsEl.replaceChildren(...parts);
    cards = Array.from(groupsEl.querySelectorAll("article.finding"));
  }

  async function refresh(keepId) {
    const query = params();
    try {
      const data = await api(`/api/review?${query}`);
      render(data, query);
      const index = cards.findIndex(c => c.finding.id === keepId);
      focus(index >= 0 ? index : Math.min(Math.max(current, 0), cards.length - 1), keepId !== undefined);
    } catch (err) {
      say(`无法加载 Cannot load: ${err.message}`, true);
    }
  }

  function focus(index, scroll = true) {
    if (index < 0 || index >= cards.length) return;
    if (cards[current]) cards[current].classList.remove("current");
    current = index;
    const card = cards[current];
    card.classList.add("current");
    card.focus({preventScroll: true});
    if (!scroll) return;
    // the sticky header covers the top of the window: bring the card's head just below it
    const header = document.querySelector("header").getBoundingClientRect().bottom;
    const top = card.getBoundingClientRect().top;
    if (top < header || top > window.innerHeight * 0.6) window.scrollBy(0, top - header - 8);
  }

  async function decide(id, action, reason) {
    try {
      const body = reason === undefined ? undefined : JSON.stringify({reason});
      await api(`/api/findings/${id}/${action}`, {method: "POST", body: body ?? "{}"});
      say("");
      await refresh(id);
    } catch (err) {
      say(`未保存 Not saved: ${err.message}`, true);
    }
  }

  function ask(node, fields, submit) {
    node.querySelector(".ask")?.remove();
    const form = el("form", {class: "ask"}, ...fields);
    form.addEventListener("submit", ev => { ev.preventDefault(); submit(form); });
    form.addEventListener("keydown", ev => { if (ev.key === "Escape") { form.remove(); node.focus(); } });
    form.append(el("button", {type: "submit"}, "保存 Save (Enter)"), el("span", {class: "hint"}, "Esc 取消 cancel"));
    node.querySelector(".actions").after(form);
    form.querySelector("input:not([readonly])").focus();
  }

  function askDismiss(node, f) {
    ask(node, [el("label", {}, "驳回理由 Reason ", el("input", {name: "reason", required: "", autocomplete: "off",
                                                                 placeholder: "为何不成立 why it does not apply"}))],
        form => decide(f.id, "dismiss", form.elements.reason.value));
  }

  function askCorrection(node, f) {
    const printed = f.current === null || f.current === undefined ? "" : String(f.current);
    ask(node, [el("code", {}, f.finding.field),
               el("input", {type: "hidden", name: "path", value: f.finding.field, readonly: ""}),
               el("label", {}, "正确值 Value ", el("input", {name: "value", value: printed, autocomplete: "off"})),
               el("label", {}, "依据 Reason ", el("input", {name: "reason", required: "", autocomplete: "off",
                                                              placeholder: "依据 where the right value comes from"}))],
        async form => {
          say("保存并重新审核中 Saving and re-auditing…");
          try {
            const result = await api(`/api/forms/${f.form_id}/corrections`, {method: "POST", body: JSON.stringify({
              path: form.elements.path.value, value: form.elements.value.value, reason: form.elements.reason.value})});
            say(`已更正 ${result.correction.path}: ${JSON.stringify(result.correction.old_value)} → ` +
                `${JSON.stringify(result.correction.new_value)}；已重新审核 ${result.reaudited.length} 个批次 re-audited`);
            await refresh(f.id);
          } catch (err) {
            say(`未保存 Not saved: ${err.message}`, true);
          }
        });
  }

  document.addEventListener("keydown", ev => {
    const target = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
    const node = cards[current];
    const handlers = {
      j: () => focus(current + 1),
      k: () => focus(current - 1),
      c: () => node && decide(node.finding.id, "confirm"),
      d: () => node && askDismiss(node, node.finding),
      e: () => node && node.finding.form_id && node.finding.finding.field && askCorrection(node, node.finding),
      o: () => node && decide(node.finding.id, "reopen"),
    };
    if (handlers[ev.key]) {
      ev.preventDefault();
      handlers[ev.key]();
    }
  });

  document.getElementById("filters").addEventListener("change", () => {
    const url = new URL(window.location.href);
    for (const name of FILTERS) {
      const value = document.getElementById(`f-${name}`).value;
      if (value) url.searchParams.set(name, value); else url.searchParams.delete(name);
    }
    history.replaceState(null, "", url);
    current = -1;
    refresh();
  });

  refresh();
})();
